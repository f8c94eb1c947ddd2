//! "My cards" (`web::views::MyCardsPage`), and the home page's redirect.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::{html, see_other};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::session::SignedIn;
use crate::web::views::{CardRow, Chrome, MyCardsPage};

pub async fn home(session: actix_session::Session) -> HttpResponse {
    let signed_in = session.get::<i64>(crate::store::CARDHOLDER_SESSION_KEY).ok().flatten().is_some();
    see_other(if signed_in { "/cards" } else { "/login" })
}

pub async fn my_cards(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, AppError> {
    let (cardholder, accounts) = super::signed_in_cardholder_with_accounts(&state, &who).await?;
    let today = state.store.clock().now().date();
    let cards = accounts.iter().map(|a| CardRow::new(a, today)).collect();
    let page = MyCardsPage {
        chrome: Chrome::signed_in(&state.settings, &cardholder.display_name, &who)?,
        display_name: cardholder.display_name,
        cards,
    };
    html(StatusCode::OK, &page)
}
