//! The pages of "Add to a wallet or merchant" (`templates/add/`).

use askama::Template;

use super::{CardChoice, Chrome, FormError, RequestorKind, RequestorRow};
use crate::provisioning::SharedField;

#[derive(Template)]
#[template(path = "add/intro.html")]
pub struct IntroPage {
    pub chrome: Chrome,
    pub has_cards: bool,
    pub max_cards: usize,
}

#[derive(Template)]
#[template(path = "add/cards.html")]
pub struct CardsPage {
    pub chrome: Chrome,
    pub requestor: Option<RequestorRow>,
    pub single_card_only: bool,
    pub cards: Vec<CardChoice>,
    pub max_cards: usize,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "add/requestors.html")]
pub struct RequestorsPage {
    pub chrome: Chrome,
    pub chosen: Vec<CardChoice>,
    pub requestors: Vec<RequestorRow>,
}

#[derive(Template)]
#[template(path = "add/review.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub requestor: RequestorRow,
    pub cards: Vec<CardChoice>,
    pub shared: Vec<SharedField>,
    pub trid: String,
    pub card_ids: String,
    pub submission_id: String,
    pub step_up_password: bool,
    /// Demo only: the one-time code, shown as an SMS would deliver it.
    pub demo_code: Option<String>,
    /// Too many codes were sent: none can be entered for now.
    pub codes_paused: bool,
    pub error: Option<FormError>,
}
