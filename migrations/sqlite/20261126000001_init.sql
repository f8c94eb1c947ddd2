-- Cardholders, their cards and financial accounts, sessions and sign-in throttling.
-- Times are Unix seconds (INTEGER) so the same SQL runs on SQLite and PostgreSQL.

CREATE TABLE cardholders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE,              -- stored lower-case
    password_hash TEXT NOT NULL,             -- argon2id PHC string
    display_name TEXT NOT NULL,
    locale TEXT NOT NULL,                    -- ll_CC, e.g. en_GB
    -- Account-holder data, sent to a token requestor only for the fields it supports.
    holder_name TEXT,                        -- accountHolderName, <= 27 characters
    email TEXT,
    phone_dial_code TEXT,
    phone_number TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    address_city TEXT,
    address_subdivision TEXT,
    address_postal_code TEXT,
    address_country TEXT,                    -- ISO 3166-1 alpha-3
    created_at INTEGER NOT NULL
);

-- A card or a financial account the cardholder can push.
CREATE TABLE funding_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,          -- opaque id for pages and forms
    cardholder_id INTEGER NOT NULL REFERENCES cardholders(id),
    kind TEXT NOT NULL CHECK (kind IN ('CARD', 'FINANCIAL_ACCOUNT')),
    product TEXT NOT NULL,                   -- e.g. "World Mastercard Credit"
    funding_type TEXT NOT NULL,              -- CREDIT | DEBIT | PREPAID | ACCOUNT
    -- The PAN (or financial account id), AES-256-GCM under database.account_number_key,
    -- bound to public_id; see README "Card numbers at rest".
    account_number_enc TEXT NOT NULL,
    last4 TEXT NOT NULL,
    account_range TEXT NOT NULL,             -- the issuer account range (9–19 digits) it belongs to
    expiry_month INTEGER,                    -- cards only
    expiry_year INTEGER,                     -- four digits; cards only
    interbank_card_association_id TEXT,      -- financial accounts only
    country_code TEXT,                       -- financial accounts only, alpha-3
    status TEXT NOT NULL,                    -- ACTIVE | BLOCKED | CLOSED
    created_at INTEGER NOT NULL
);
CREATE INDEX funding_accounts_by_cardholder ON funding_accounts (cardholder_id);

-- Server-side session state (actix-session store). The cookie carries a random
-- key; only its SHA-256 is stored, so a copy of this table opens no session.
CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    cardholder_id INTEGER,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_cardholder ON sessions (cardholder_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed sign-ins per login and per client address, for throttling.
CREATE TABLE sign_in_failures (
    scope TEXT NOT NULL,                     -- 'login' | 'address'
    subject TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL,
    PRIMARY KEY (scope, subject)
);
