-- Push provisioning: one record per push journey, its accounts, and token events.

CREATE TABLE provisionings (
    id TEXT PRIMARY KEY,                     -- opaque, in the portal's own URLs
    callback_token_hash TEXT NOT NULL UNIQUE,-- SHA-256 of the one-time token in callbackURL (lookup)
    callback_token_enc TEXT NOT NULL,        -- the token itself, sealed like account numbers (to rebuild the URL)
    submission_id TEXT NOT NULL,             -- the review form's id: a double submit finds this row
    cardholder_id INTEGER NOT NULL REFERENCES cardholders(id),
    trid TEXT NOT NULL,
    tr_name TEXT NOT NULL,                   -- as shown when pushed
    state TEXT NOT NULL,                     -- see src/provisioning/state.rs
    request_id TEXT NOT NULL,                -- requestId of the latest push to MDES
    push_count INTEGER NOT NULL,             -- pushes made for this record (re-pushes for fresh receipts)
    locale TEXT NOT NULL,
    holder_data_supplied INTEGER NOT NULL,   -- 0/1: accountHolderDataSupplied
    push_method TEXT,                        -- WEB | IOS | ANDROID: chosen for the device
    push_uri TEXT,                           -- the TR's URI for that method, from MDES
    signature TEXT,                          -- MDES's JWS over the receipts
    receipts_expire_at INTEGER,
    error_reason TEXT,                       -- MDES reason code when the push failed
    error_recoverable INTEGER,               -- 0/1
    reported_by_tr TEXT,                     -- what the TR said on return (not proof)
    returned_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (cardholder_id, submission_id)
);
CREATE INDEX provisionings_by_cardholder ON provisionings (cardholder_id);

CREATE TABLE provisioning_accounts (
    provisioning_id TEXT NOT NULL REFERENCES provisionings(id),
    position INTEGER NOT NULL,               -- order in the push
    push_account_id TEXT NOT NULL,           -- our pushAccountId for it
    funding_account_id TEXT NOT NULL,        -- funding_accounts.public_id
    receipt TEXT,                            -- pushAccountReceipt of the latest push
    error_reason TEXT,
    error_recoverable INTEGER,
    reported_status TEXT,                    -- the TR's status for this receipt (not proof)
    PRIMARY KEY (provisioning_id, push_account_id)
);
CREATE INDEX provisioning_accounts_by_receipt ON provisioning_accounts (receipt);
CREATE INDEX provisioning_accounts_by_funding_account ON provisioning_accounts (funding_account_id);

-- Token events as received (SPEC §8). Kept by receipt, so an event that arrives
-- before the push response is stored still applies once it is; the status
-- shown is the one of the latest event (by occurred_at), whatever the order
-- of delivery; a repeated event_id is a duplicate and changes nothing.
CREATE TABLE token_events (
    event_id TEXT PRIMARY KEY,
    receipt TEXT NOT NULL,
    token_unique_reference TEXT,
    status TEXT NOT NULL,
    occurred_at_ms INTEGER NOT NULL,         -- when it happened, Unix milliseconds
    received_at INTEGER NOT NULL
);
CREATE INDEX token_events_by_receipt ON token_events (receipt);
