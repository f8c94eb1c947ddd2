//! "Add to a wallet or merchant": choose cards and a token requestor (in
//! either order), review what will be shared, confirm it is you, push.
//! The pages are `web::views::{IntroPage, CardsPage, RequestorsPage, ReviewPage}`;
//! the step-up is `auth::step_up`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, record_path, see_other, with_retry_after};
use crate::auth::SignInError;
use crate::auth::step_up::{self, ReviewCode};
use crate::catalog::{Device, MAX_CARDS_PER_PUSH, why_ineligible};
use crate::domain::TokenRequestor;
use crate::provisioning::{StepUp, shared_fields};
use crate::store::{Cardholder, FundingAccount};
use crate::web::AppState;
use crate::web::csrf::{CsrfForm, csrf_field};
use crate::web::error::{AppError, Refusal};
use crate::web::session::SignedIn;
use crate::web::views::{
    CardChoice, CardsPage, Chrome, FormError, IntroPage, RequestorRow, RequestorsPage, ReviewPage, pushable,
};

pub fn device_of(req: &HttpRequest) -> Device {
    let ua = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    Device::from_user_agent(ua)
}

/// `cards=a&cards=b` (checkboxes) or `cards=a,b` (hidden field), and `tr`.
#[derive(Debug, Default)]
struct Selection {
    trid: Option<String>,
    card_ids: Vec<String>,
}

impl Selection {
    fn from_query(query: &str) -> Result<Self, AppError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|_| AppError::BadRequest(Refusal::IncompleteAddress))?;
        let mut selection = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "tr" => selection.trid = Some(value),
                "cards" => selection.card_ids.extend(value.split(',').filter(|s| !s.is_empty()).map(str::to_string)),
                _ => {}
            }
        }
        selection.check_cards()?;
        Ok(selection)
    }

    /// Refuses a list no form of ours makes: more than 20 ids, or one card
    /// twice (it would go to MDES twice in one push).
    fn check_cards(&self) -> Result<(), AppError> {
        if self.card_ids.len() > 20 {
            return Err(AppError::BadRequest(Refusal::TooManyChosen));
        }
        let mut seen = std::collections::HashSet::new();
        if !self.card_ids.iter().all(|id| seen.insert(id.as_str())) {
            return Err(AppError::BadRequest(Refusal::SameCardTwice));
        }
        Ok(())
    }

    /// No more cards than one push takes.
    fn check_count(&self) -> Result<(), AppError> {
        match self.card_ids.len() > MAX_CARDS_PER_PUSH {
            true => Err(AppError::BadRequest(Refusal::TooManyCards)),
            false => Ok(()),
        }
    }

    fn query(&self) -> String {
        let cards = self.card_ids.join(",");
        let mut pairs = Vec::new();
        if let Some(trid) = &self.trid {
            pairs.push(("tr", trid.as_str()));
        }
        if !cards.is_empty() {
            pairs.push(("cards", cards.as_str()));
        }
        // Pairs of strings always encode.
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The signed-in cardholder with their pushable cards and the catalogue.
struct Context {
    cardholder: Cardholder,
    accounts: Vec<FundingAccount>,
    catalogue: std::sync::Arc<Vec<TokenRequestor>>,
    /// By the application's clock: cards expire at the end of their month.
    today: time::Date,
}

impl Context {
    async fn load(state: &AppState, who: &SignedIn) -> Result<Self, AppError> {
        let (cardholder, accounts) = super::signed_in_cardholder_with_accounts(state, who).await?;
        let catalogue = state.store.token_requestors().await?;
        Ok(Self { cardholder, accounts, catalogue, today: state.store.clock().now().date() })
    }

    fn pushable(&self) -> Vec<&FundingAccount> {
        pushable(&self.accounts, self.today)
    }

    /// The chosen cards, all the cardholder's and pushable; else 400.
    fn chosen_cards(&self, ids: &[String]) -> Result<Vec<&FundingAccount>, AppError> {
        let pushable = self.pushable();
        ids.iter()
            .map(|id| pushable.iter().copied().find(|a| &a.public_id == id).ok_or(AppError::BadRequest(Refusal::CardNotAddable)))
            .collect()
    }

    fn requestor(&self, trid: &str) -> Result<&TokenRequestor, AppError> {
        self.catalogue.iter().find(|t| t.token_requestor_id == trid).ok_or(AppError::BadRequest(Refusal::RequestorUnavailable))
    }

    /// The token requestor and cards of a push, if they may go together.
    fn push_of(
        &self,
        trid: &str,
        card_ids: &[String],
        device: Device,
    ) -> Result<(&TokenRequestor, Vec<&FundingAccount>), AppError> {
        let tr = self.requestor(trid)?;
        let cards = self.chosen_cards(card_ids)?;
        if let Some(why) = why_ineligible(tr, &cards, device) {
            return Err(AppError::BadRequest(Refusal::from(&why)));
        }
        Ok((tr, cards))
    }

    fn chrome(&self, state: &AppState, who: &SignedIn) -> Result<Chrome, AppError> {
        Chrome::signed_in(&state.settings, &self.cardholder.display_name, who)
    }
}

pub async fn intro(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, AppError> {
    let ctx = Context::load(&state, &who).await?;
    let page =
        IntroPage { chrome: ctx.chrome(&state, &who)?, has_cards: !ctx.pushable().is_empty(), max_cards: MAX_CARDS_PER_PUSH };
    html(StatusCode::OK, &page)
}

/// Choose cards: all pushable cards, or — when the TR was chosen first —
/// the ones it can take.
pub async fn cards(state: web::Data<AppState>, who: SignedIn, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let selection = Selection::from_query(req.query_string())?;
    let ctx = Context::load(&state, &who).await?;
    let device = device_of(&req);
    let tr = selection.trid.as_deref().map(|t| ctx.requestor(t)).transpose()?;
    let cards: Vec<CardChoice> = ctx
        .pushable()
        .into_iter()
        .filter(|card| tr.is_none_or(|tr| why_ineligible(tr, &[card], device).is_none()))
        .map(CardChoice::new)
        .collect();
    let error = req.query_string().contains("error=none-chosen").then_some(FormError::NoCardChosen);
    let page = CardsPage {
        chrome: ctx.chrome(&state, &who)?,
        single_card_only: tr.is_some_and(|t| t.supports_multiple_pushed_cards != Some(true)),
        requestor: tr.map(|t| RequestorRow::new(t, String::new())),
        cards,
        max_cards: MAX_CARDS_PER_PUSH,
        error,
    };
    html(if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK }, &page)
}

/// Choose a token requestor: the ones that can take all the chosen cards,
/// or (nothing chosen yet) at least one of the cardholder's cards.
pub async fn requestors(state: web::Data<AppState>, who: SignedIn, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let selection = Selection::from_query(req.query_string())?;
    let ctx = Context::load(&state, &who).await?;
    let device = device_of(&req);
    let chosen = ctx.chosen_cards(&selection.card_ids)?;
    selection.check_count()?;
    let requestors = ctx
        .catalogue
        .iter()
        .filter(|tr| {
            if chosen.is_empty() {
                ctx.pushable().iter().any(|card| why_ineligible(tr, &[card], device).is_none())
            } else {
                why_ineligible(tr, &chosen, device).is_none()
            }
        })
        .map(|tr| {
            let next = Selection { trid: Some(tr.token_requestor_id.clone()), card_ids: selection.card_ids.clone() };
            let path = if chosen.is_empty() { "/add/cards" } else { "/add/review" };
            RequestorRow::new(tr, format!("{path}?{}", next.query()))
        })
        .collect();
    let page = RequestorsPage {
        chrome: ctx.chrome(&state, &who)?,
        chosen: chosen.into_iter().map(CardChoice::new).collect(),
        requestors,
    };
    html(StatusCode::OK, &page)
}

/// From the card form: on to the TR list, or — TR already chosen — review.
pub async fn cards_chosen(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let selection = Selection::from_query(req.query_string())?;
    let to = if selection.card_ids.is_empty() {
        let mut back = Selection { trid: selection.trid.clone(), card_ids: Vec::new() }.query();
        if !back.is_empty() {
            back.push('&');
        }
        format!("/add/cards?{back}error=none-chosen")
    } else if selection.trid.is_some() {
        format!("/add/review?{}", selection.query())
    } else {
        format!("/add/requestors?{}", selection.query())
    };
    Ok(see_other(&to))
}

async fn review_page(
    state: &AppState,
    who: &SignedIn,
    ctx: &Context,
    selection: &Selection,
    device: Device,
    error: Option<FormError>,
) -> Result<ReviewPage, AppError> {
    let trid = selection.trid.as_deref().ok_or(AppError::BadRequest(Refusal::ChooseRequestorFirst))?;
    let (tr, cards) = ctx.push_of(trid, &selection.card_ids, device)?;
    let step_up_password = state.settings.provisioning.step_up == StepUp::Password;
    let code = match step_up_password {
        true => ReviewCode::Ready { demo_code: None },
        false => {
            let (limits, demo) = (&state.settings.security, state.settings.demo.enabled);
            step_up::code_for_review(&state.store, limits, ctx.cardholder.id, trid, &selection.card_ids, demo).await?
        }
    };
    let (demo_code, codes_paused) = match code {
        ReviewCode::Ready { demo_code } => (demo_code, false),
        ReviewCode::Paused => (None, true),
    };
    let mut submission = [0u8; 16];
    rand::fill(&mut submission);
    Ok(ReviewPage {
        chrome: ctx.chrome(state, who)?,
        requestor: RequestorRow::new(tr, String::new()),
        cards: cards.iter().map(|c| CardChoice::new(c)).collect(),
        shared: shared_fields(tr, &ctx.cardholder),
        trid: trid.to_string(),
        card_ids: selection.card_ids.join(","),
        submission_id: hex::encode(submission),
        step_up_password,
        demo_code,
        codes_paused,
        error: error.or(codes_paused.then_some(FormError::CodesPaused)),
    })
}

/// Review: what will be shared, and step-up before the push.
pub async fn review(state: web::Data<AppState>, who: SignedIn, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let selection = Selection::from_query(req.query_string())?;
    let ctx = Context::load(&state, &who).await?;
    let page = review_page(&state, &who, &ctx, &selection, device_of(&req), None).await?;
    html(if page.codes_paused { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::OK }, &page)
}

#[derive(Deserialize)]
pub struct PushForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    submission_id: String,
    #[serde(default)]
    tr: String,
    #[serde(default)]
    cards: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

csrf_field!(PushForm);

/// Step-up, then create the record and push; on to its page. (The journey's
/// `push` span carries the record and its requestId.)
#[tracing::instrument(name = "push_form", skip_all)]
pub async fn push(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<PushForm>,
) -> Result<HttpResponse, AppError> {
    let selection = Selection {
        trid: Some(form.tr.clone()),
        card_ids: form.cards.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
    };
    selection.check_cards()?;
    selection.check_count()?;
    let submission_ok = form.submission_id.len() == 32 && form.submission_id.bytes().all(|b| b.is_ascii_hexdigit());
    if !submission_ok {
        return Err(AppError::BadRequest(Refusal::IncompleteForm));
    }
    let ctx = Context::load(&state, &who).await?;
    let device = device_of(&req);
    let (tr, cards) = ctx.push_of(&form.tr, &selection.card_ids, device)?;
    // A double submit of an already pushed form goes to its record without
    // a second step-up or push.
    if let Some(id) = state.store.provisioning_by_submission(ctx.cardholder.id, &form.submission_id).await? {
        return Ok(see_other(&record_path(&id)));
    }
    // The same client-address rule as sign-in: behind the bank's proxy, the
    // cardholder's address, not the proxy's.
    let address = crate::web::client_address(&req, &state.settings);
    let push = step_up::Push { trid: &form.tr, card_ids: &selection.card_ids, submission_id: &form.submission_id };
    let answer = match state.settings.provisioning.step_up {
        StepUp::Password => step_up::Answer::Password(&form.password),
        StepUp::Otp => step_up::Answer::Code(&form.code),
    };
    let limits = &state.settings.security;
    let confirmed = match step_up::confirm(&state.store, limits, &ctx.cardholder, &address, &push, answer).await {
        Ok(confirmed) => confirmed,
        Err(SignInError::Throttled { retry_after_secs }) => {
            // The same form, confirmed by a twin request meanwhile (a double
            // click): its record, not "too many attempts".
            if let Some(id) = state.store.provisioning_by_submission(ctx.cardholder.id, &form.submission_id).await? {
                return Ok(see_other(&record_path(&id)));
            }
            tracing::warn!(cardholder_id = ctx.cardholder.id, retry_after_secs, "step-up throttled");
            let page = review_page(&state, &who, &ctx, &selection, device, Some(FormError::TooManyTries)).await?;
            return Ok(with_retry_after(html(StatusCode::TOO_MANY_REQUESTS, &page)?, retry_after_secs));
        }
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    if !confirmed {
        tracing::info!(cardholder_id = ctx.cardholder.id, "step-up refused");
        let error = match state.settings.provisioning.step_up {
            StepUp::Password => FormError::WrongPassword,
            StepUp::Otp => FormError::WrongCode,
        };
        let page = review_page(&state, &who, &ctx, &selection, device, Some(error)).await?;
        return html(StatusCode::UNAUTHORIZED, &page);
    }
    let journey = state.journey();
    // This session may push the record again for fresh receipts, for a while
    // and a few times (`Journey::may_repush`): the binding goes with it.
    let binding = who.session.step_up_binding()?;
    let id = journey.start(&ctx.cardholder, tr, &cards, device, &form.submission_id, &binding).await?;
    Ok(see_other(&record_path(&id)))
}
