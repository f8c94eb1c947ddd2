//! The token requestor catalogue (wire contract §2, §9): fetched from MDES, stored
//! with logos, refreshed safely, and filtered for the cards a cardholder picks.

mod assets;
mod eligibility;
mod refresh;

pub use assets::{AssetLimits, checked_logo};
pub use eligibility::{
    Device, Ineligible, MAX_CARDS_PER_PUSH, eligible_for, usable_push_method_uri, usable_push_uri, why_ineligible,
};
pub use refresh::{
    CatalogSettings, CatalogueAge, RefreshError, RefreshReport, catalogue_age, lease_owner, refresh, refresh_if_stale,
    run_schedule,
};
