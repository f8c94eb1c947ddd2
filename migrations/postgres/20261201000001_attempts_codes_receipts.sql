-- Issue 14: throttles that hold when requests race, one-time codes in the
-- database, and every receipt a record has issued.

-- Attempts under way count against the limit as much as failures do: an
-- attempt is reserved (a conditional increment) before the password or code
-- is checked, so 50 parallel guesses cannot all pass the check.
ALTER TABLE sign_in_failures ADD COLUMN in_flight BIGINT NOT NULL DEFAULT 0;

-- The step-up one-time code of a cardholder (at most one live code), and how
-- many were issued in the current window (each would be an SMS).
CREATE TABLE step_up_codes (
    cardholder_id BIGINT PRIMARY KEY REFERENCES cardholders(id),
    code_hash TEXT,                          -- SHA-256 of the live code; NULL once used or spent
    purpose TEXT NOT NULL,                   -- SHA-256 of what it confirms (token requestor and cards)
    demo_code TEXT,                          -- the code itself, only in demo mode (shown on the page)
    expires_at BIGINT NOT NULL,
    tries BIGINT NOT NULL,                  -- checks made against this code
    issued BIGINT NOT NULL,                 -- codes issued in the window
    window_started_at BIGINT NOT NULL
);

-- Every pushAccountReceipt a record was given, by every push (a re-push for
-- fresh receipts does not make the earlier ones unusable at the TR).
CREATE TABLE provisioning_receipts (
    receipt TEXT PRIMARY KEY,
    provisioning_id TEXT NOT NULL REFERENCES provisionings(id),
    push_account_id TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    reported_status TEXT                     -- the TR's status for this receipt on return (not proof)
);
CREATE INDEX provisioning_receipts_by_record ON provisioning_receipts (provisioning_id, push_account_id);

INSERT INTO provisioning_receipts (receipt, provisioning_id, push_account_id, issued_at, expires_at, reported_status)
SELECT a.receipt, a.provisioning_id, a.push_account_id, p.updated_at, COALESCE(p.receipts_expire_at, p.updated_at), a.reported_status
FROM provisioning_accounts a JOIN provisionings p ON p.id = a.provisioning_id
WHERE a.receipt IS NOT NULL;
