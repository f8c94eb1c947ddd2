//! A provisioning record's page and "Where my cards are"
//! (`templates/provisioning/show.html`, `templates/cards_where.html`).

use askama::Template;

use super::{AccountLine, Chrome, LineStatus, RecordView, WhereRow};
use crate::provisioning::{AccountOutcome, Problem};

#[derive(Template)]
#[template(path = "provisioning/show.html")]
pub struct RecordPage {
    pub chrome: Chrome,
    pub id: String,
    pub view: RecordView,
    pub tr_name: String,
    pub tr_logo: String,
    pub issuer_name: String,
    pub accounts: Vec<AccountLine>,
    pub some_not_sent: bool,
    pub retry_offered: bool,
    /// Why the whole push failed (`RecordView::Failed`).
    pub failure: Problem,
    pub start_again_url: String,
}

#[derive(Template)]
#[template(path = "cards_where.html")]
pub struct WherePage {
    pub chrome: Chrome,
    pub cards: Vec<WhereRow>,
}
