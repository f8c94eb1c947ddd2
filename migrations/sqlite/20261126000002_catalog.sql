-- The token requestor catalogue (SPEC §2): what getEligibleTokenRequestors returned at the
-- last successful refresh, and the logos fetched with getAsset (an asset id never changes).

CREATE TABLE token_requestors (
    trid TEXT PRIMARY KEY,                   -- tokenRequestorId, 11 digits
    display_name TEXT NOT NULL,              -- consumerFacingEntityName, shown in full
    tr_type TEXT NOT NULL,                   -- WALLET | MERCHANT | anything MDES adds
    image_asset_id TEXT,
    data TEXT NOT NULL,                      -- the TR as MDES sent it (JSON), parsed again on read
    refreshed_at INTEGER NOT NULL
);

CREATE TABLE token_requestor_logos (
    asset_id TEXT NOT NULL,
    media_type TEXT NOT NULL,                -- image/png | image/svg+xml
    content BLOB NOT NULL,
    sha256 TEXT NOT NULL,                    -- hex, the ETag
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, media_type)
);

-- One row per named job: who holds it until when, so that several portal
-- instances sharing a database do not refresh at once.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT,
    held_until INTEGER NOT NULL
);
INSERT INTO leases (name, owner, held_until) VALUES ('catalog-refresh', NULL, 0);

-- Outcome of catalogue refreshes, for staleness and for operators.
CREATE TABLE catalog_status (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_success_at INTEGER,
    last_attempt_at INTEGER,
    last_error TEXT
);
INSERT INTO catalog_status (id, last_success_at, last_attempt_at, last_error) VALUES (1, NULL, NULL, NULL);
