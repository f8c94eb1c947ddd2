//! "Add to a wallet or merchant": choose cards and a token requestor (in
//! either order), review what will be shared, confirm it is you, push.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, html};
use crate::catalog::MAX_CARDS_PER_PUSH;
use crate::catalog::{Device, Ineligible, why_ineligible};
use crate::mdes::model::{TokenRequestor, TokenRequestorType};
use crate::provisioning::{Journey, JourneyError, StepUp, shared_fields};
use crate::store::{Cardholder, CodeIssue, FundingAccount};
use crate::web::AppState;
use crate::web::csrf::{CsrfField, CsrfForm};
use crate::web::error::AppError;
use crate::web::session::SignedIn;

/// A token requestor as the cardholder sees it: logo, full name, kind.
pub struct RequestorRow {
    pub trid: String,
    pub name: String,
    pub kind_label: &'static str,
    pub logo_url: String,
    /// Where choosing it leads.
    pub next_url: String,
}

impl RequestorRow {
    pub fn new(tr: &TokenRequestor, next_url: String) -> Self {
        Self {
            trid: tr.token_requestor_id.clone(),
            name: tr.consumer_facing_entity_name.clone(),
            kind_label: kind_label(tr),
            logo_url: logo_url(tr),
            next_url,
        }
    }
}

pub fn kind_label(tr: &TokenRequestor) -> &'static str {
    match tr.token_requestor_type {
        TokenRequestorType::Wallet => "Wallet",
        TokenRequestorType::Merchant => "Merchant",
        TokenRequestorType::Other(_) => "Other service",
    }
}

pub fn logo_url(tr: &TokenRequestor) -> String {
    match &tr.image_asset_id {
        Some(id) => format!("/logos/{id}"),
        None => crate::web::assets::versioned_url("tr-placeholder.svg"),
    }
}

/// A card or account in a choice list.
pub struct CardChoice {
    pub id: String,
    pub label: String,
    pub masked: String,
    /// For `data-last4` (browser tests pick a card by its last four digits).
    pub last4: String,
}

impl CardChoice {
    pub fn new(account: &FundingAccount) -> Self {
        Self {
            id: account.public_id.clone(),
            label: account.product.clone(),
            masked: format!("ending {}", account.last4),
            last4: account.last4.clone(),
        }
    }
}

/// Cards and accounts that can be pushed at all: active and not expired.
pub fn pushable(accounts: &[FundingAccount]) -> Vec<&FundingAccount> {
    let today = time::OffsetDateTime::now_utc().date();
    accounts.iter().filter(|a| a.status == "ACTIVE" && !a.is_expired(today)).collect()
}

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
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| AppError::BadRequest("That address was not complete. Please start again from your cards."))?;
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
            return Err(AppError::BadRequest("Too many cards were chosen. You can add up to 5 at a time."));
        }
        let mut seen = std::collections::HashSet::new();
        if !self.card_ids.iter().all(|id| seen.insert(id.as_str())) {
            return Err(AppError::BadRequest("The same card was chosen more than once. Please choose again from your cards."));
        }
        Ok(())
    }

    fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(trid) = &self.trid {
            parts.push(format!("tr={}", crate::web::error::percent_encode(trid)));
        }
        if !self.card_ids.is_empty() {
            parts.push(format!("cards={}", crate::web::error::percent_encode(&self.card_ids.join(","))));
        }
        parts.join("&")
    }
}

/// The signed-in cardholder with their pushable cards and the catalogue.
struct Context {
    cardholder: Cardholder,
    accounts: Vec<FundingAccount>,
    catalogue: std::sync::Arc<Vec<TokenRequestor>>,
}

impl Context {
    async fn load(state: &AppState, who: &SignedIn) -> Result<Self, AppError> {
        let (cardholder, accounts) = super::signed_in_cardholder_with_accounts(state, who).await?;
        let catalogue = state.store.token_requestors().await?;
        Ok(Self { cardholder, accounts, catalogue })
    }

    fn pushable(&self) -> Vec<&FundingAccount> {
        pushable(&self.accounts)
    }

    /// The chosen cards, all the cardholder's and pushable; else 400.
    fn chosen_cards(&self, ids: &[String]) -> Result<Vec<&FundingAccount>, AppError> {
        let pushable = self.pushable();
        ids.iter()
            .map(|id| {
                pushable.iter().copied().find(|a| &a.public_id == id).ok_or(AppError::BadRequest(
                    "One of the cards you chose can't be added. Please choose again from your cards.",
                ))
            })
            .collect()
    }

    fn requestor(&self, trid: &str) -> Result<&TokenRequestor, AppError> {
        self.catalogue
            .iter()
            .find(|t| t.token_requestor_id == trid)
            .ok_or(AppError::BadRequest("That wallet or merchant is not available. Please choose again."))
    }
}

fn chrome(state: &AppState, who: &SignedIn, cardholder: &Cardholder) -> Result<Chrome, AppError> {
    Chrome::signed_in(&state.settings, &cardholder.display_name, who)
}

#[derive(Template)]
#[template(path = "add/intro.html")]
struct IntroPage {
    chrome: Chrome,
    has_cards: bool,
}

pub async fn intro(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, AppError> {
    let ctx = Context::load(&state, &who).await?;
    let page = IntroPage { chrome: chrome(&state, &who, &ctx.cardholder)?, has_cards: !ctx.pushable().is_empty() };
    html(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "add/cards.html")]
struct CardsPage {
    chrome: Chrome,
    requestor: Option<RequestorRow>,
    single_card_only: bool,
    cards: Vec<CardChoice>,
    max_cards: usize,
    error: Option<&'static str>,
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
    let error = match req.query_string().contains("error=none-chosen") {
        true => Some("Choose at least one card."),
        false => None,
    };
    let page = CardsPage {
        chrome: chrome(&state, &who, &ctx.cardholder)?,
        single_card_only: tr.is_some_and(|t| t.supports_multiple_pushed_cards != Some(true)),
        requestor: tr.map(|t| RequestorRow::new(t, String::new())),
        cards,
        max_cards: MAX_CARDS_PER_PUSH,
        error,
    };
    html(if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK }, &page)
}

#[derive(Template)]
#[template(path = "add/requestors.html")]
struct RequestorsPage {
    chrome: Chrome,
    chosen: Vec<CardChoice>,
    requestors: Vec<RequestorRow>,
}

/// Choose a token requestor: the ones that can take all the chosen cards,
/// or (nothing chosen yet) at least one of the cardholder's cards.
pub async fn requestors(state: web::Data<AppState>, who: SignedIn, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let selection = Selection::from_query(req.query_string())?;
    let ctx = Context::load(&state, &who).await?;
    let device = device_of(&req);
    let chosen = ctx.chosen_cards(&selection.card_ids)?;
    if chosen.len() > MAX_CARDS_PER_PUSH {
        return Err(AppError::BadRequest("You can add up to 5 cards at a time. Please choose fewer."));
    }
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
        chrome: chrome(&state, &who, &ctx.cardholder)?,
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
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish())
}

#[derive(Template)]
#[template(path = "add/review.html")]
struct ReviewPage {
    chrome: Chrome,
    requestor: RequestorRow,
    cards: Vec<CardChoice>,
    shared: Vec<&'static str>,
    trid: String,
    card_ids: String,
    submission_id: String,
    step_up_password: bool,
    /// Demo only: the one-time code, shown as an SMS would deliver it.
    demo_code: Option<String>,
    /// Too many codes were sent: none can be entered for now.
    codes_paused: bool,
    error: Option<&'static str>,
}

fn ineligible_message(why: &Ineligible) -> &'static str {
    match why {
        Ineligible::NoCards => "Choose at least one card.",
        Ineligible::TooManyCards => "You can add up to 5 cards at a time. Please choose fewer.",
        Ineligible::SingleCardOnly => "This wallet or merchant takes one card at a time. Please choose one card.",
        Ineligible::RangeNotEnabled { .. } => "One of your cards can't be added to this wallet or merchant.",
        Ineligible::NoPushMethodForDevice => "This wallet or merchant can't be reached from this device.",
        Ineligible::NotTokenConnect => "This wallet or merchant does not accept cards from your bank this way.",
    }
}

async fn review_page(
    state: &AppState,
    who: &SignedIn,
    ctx: &Context,
    selection: &Selection,
    device: Device,
    error: Option<&'static str>,
) -> Result<ReviewPage, AppError> {
    let trid = selection.trid.as_deref().ok_or(AppError::BadRequest("Choose a wallet or merchant first."))?;
    let tr = ctx.requestor(trid)?;
    let cards = ctx.chosen_cards(&selection.card_ids)?;
    if let Some(why) = why_ineligible(tr, &cards, device) {
        return Err(AppError::BadRequest(ineligible_message(&why)));
    }
    let step_up_password = state.settings.provisioning.step_up == StepUp::Password;
    let mut demo_code = None;
    let mut codes_paused = false;
    if !step_up_password {
        // One live code per cardholder: showing the page again sends no new
        // code while the last one can still be used (each is an SMS).
        let purpose = crate::auth::code_purpose(trid, &selection.card_ids);
        let demo = state.settings.demo.enabled;
        let (issued, _to_send) =
            crate::auth::issue_code(&state.store, &state.settings.security, ctx.cardholder.id, &purpose, demo).await?;
        // Outside the demo `_to_send` goes out by SMS (not built here).
        match issued {
            CodeIssue::Issued => {
                tracing::info!(cardholder_id = ctx.cardholder.id, "step-up code issued");
                demo_code = _to_send.filter(|_| demo);
            }
            CodeIssue::StillLive { demo_code: live } => demo_code = live.filter(|_| demo),
            CodeIssue::Throttled => {
                tracing::warn!(cardholder_id = ctx.cardholder.id, "step-up codes paused: too many issued");
                codes_paused = true;
            }
        }
    }
    let mut submission = [0u8; 16];
    rand::fill(&mut submission);
    Ok(ReviewPage {
        chrome: chrome(state, who, &ctx.cardholder)?,
        requestor: RequestorRow::new(tr, String::new()),
        cards: cards.iter().map(|c| CardChoice::new(c)).collect(),
        shared: shared_fields(tr, &ctx.cardholder),
        trid: trid.to_string(),
        card_ids: selection.card_ids.join(","),
        submission_id: hex::encode(submission),
        step_up_password,
        demo_code,
        codes_paused,
        error: error.or(codes_paused.then_some(CODES_PAUSED)),
    })
}

const CODES_PAUSED: &str =
    "We have sent you several codes in a short time. For your security, please wait a while before you ask for another.";
const TOO_MANY_TRIES: &str = "Too many wrong attempts. For your security, please wait a while before you try again.";

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

impl CsrfField for PushForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Step-up, then create the record and push; on to its page.
pub async fn push(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    form: CsrfForm<PushForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let selection = Selection {
        trid: Some(form.tr.clone()),
        card_ids: form.cards.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
    };
    selection.check_cards()?;
    if selection.card_ids.len() > MAX_CARDS_PER_PUSH {
        return Err(AppError::BadRequest("You can add up to 5 cards at a time. Please choose fewer."));
    }
    let submission_ok = form.submission_id.len() == 32 && form.submission_id.bytes().all(|b| b.is_ascii_hexdigit());
    if !submission_ok {
        return Err(AppError::BadRequest("That form was not complete. Please start again from your cards."));
    }
    let ctx = Context::load(&state, &who).await?;
    let device = device_of(&req);
    let tr = ctx.requestor(&form.tr)?;
    let cards = ctx.chosen_cards(&selection.card_ids)?;
    if let Some(why) = why_ineligible(tr, &cards, device) {
        return Err(AppError::BadRequest(ineligible_message(&why)));
    }
    // A double submit of an already pushed form goes to its record without
    // a second step-up or push.
    if let Some(id) = state.store.provisioning_by_submission(ctx.cardholder.id, &form.submission_id).await? {
        return Ok(see_other(&format!("/provisioning/{id}")));
    }
    let address = crate::web::client_address(&req, &state.settings);
    let limits = &state.settings.security;
    let checked = match state.settings.provisioning.step_up {
        StepUp::Password => {
            let login = crate::domain::Login::parse(&ctx.cardholder.login).map_err(|e| AppError::Internal(e.into()))?;
            match crate::auth::sign_in(&state.store, limits, &login, &form.password, &address).await {
                Ok(_) => Ok(true),
                Err(crate::auth::SignInError::WrongCredentials) => Ok(false),
                Err(e) => Err(e),
            }
        }
        StepUp::Otp => {
            let who_tries = crate::auth::Attempter { login: &ctx.cardholder.login, address: &address };
            let purpose = crate::auth::code_purpose(&form.tr, &selection.card_ids);
            crate::auth::check_code(
                &state.store,
                limits,
                &who_tries,
                ctx.cardholder.id,
                &purpose,
                &form.submission_id,
                &form.code,
            )
            .await
        }
    };
    let confirmed = match checked {
        Ok(confirmed) => confirmed,
        Err(crate::auth::SignInError::Throttled { retry_after_secs }) => {
            // The same form, confirmed by a twin request meanwhile (a double
            // click): its record, not "too many attempts".
            if let Some(id) = state.store.provisioning_by_submission(ctx.cardholder.id, &form.submission_id).await? {
                return Ok(see_other(&format!("/provisioning/{id}")));
            }
            tracing::warn!(cardholder_id = ctx.cardholder.id, retry_after_secs, "step-up throttled");
            let page = review_page(&state, &who, &ctx, &selection, device, Some(TOO_MANY_TRIES)).await?;
            let mut response = html(StatusCode::TOO_MANY_REQUESTS, &page)?;
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    if !confirmed {
        tracing::info!(cardholder_id = ctx.cardholder.id, "step-up refused");
        let message = match state.settings.provisioning.step_up {
            StepUp::Password => "That password is not right. Please try again.",
            StepUp::Otp => "That code is not right or has expired. Please check it and try again.",
        };
        let page = review_page(&state, &who, &ctx, &selection, device, Some(message)).await?;
        return html(StatusCode::UNAUTHORIZED, &page);
    }
    let journey = Journey { store: &state.store, mdes: &state.mdes, settings: &state.settings };
    // This session may push the record again for fresh receipts, for a while
    // and a few times (`Journey::may_repush`): the binding goes with it.
    let binding = who.session.step_up_binding()?;
    let id = journey.start(&ctx.cardholder, tr, &cards, device, &form.submission_id, &binding).await.map_err(journey_error)?;
    Ok(see_other(&format!("/provisioning/{id}")))
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// Journey errors as the cardholder meets them.
pub fn journey_error(e: JourneyError) -> AppError {
    match e {
        JourneyError::Ineligible(why) => AppError::BadRequest(ineligible_message(&why)),
        JourneyError::UnknownCard => {
            AppError::BadRequest("One of the cards you chose can't be added. Please choose again from your cards.")
        }
        JourneyError::UnknownRequestor => AppError::BadRequest("That wallet or merchant is not available any more."),
        JourneyError::NotFound => AppError::NotFound,
        JourneyError::AlreadyUsed => {
            AppError::Gone("This link was already used. Your cards' status is on the Where my cards are page.")
        }
        JourneyError::Expired => {
            AppError::Gone("This link has expired. If your card was not added, please start again from your cards.")
        }
        JourneyError::InProgress => AppError::Conflict("We are still sending your cards. Refresh this page in a few seconds."),
        JourneyError::StepUpRequired => {
            AppError::BadRequest("For your security, please confirm it is you again. Start again from your cards.")
        }
        JourneyError::PushFailed | JourneyError::NotRetryable => {
            AppError::BadRequest("Your cards could not be sent. Please start again from your cards.")
        }
        JourneyError::Store(e) => AppError::Internal(e.into()),
    }
}
