-- Which session confirmed a record's push (step-up), and when: only that
-- session, for a while, may push the record again without confirming again
-- (fresh receipts, a retry, a resend after an interruption). Kept with the
-- record, written before the first push, so it survives an instance dying.
ALTER TABLE provisionings ADD COLUMN step_up_binding TEXT;   -- SHA-256 of the session's CSRF token
ALTER TABLE provisionings ADD COLUMN stepped_up_at BIGINT;

-- issuerInitiatedDigitizationData MDES returns with a receipt when the bank
-- asked for it (a TR it has a proprietary agreement with).
ALTER TABLE provisioning_receipts ADD COLUMN digitization_data TEXT;

-- The code a form used (SHA-256) and that form's submission id: the same
-- form sent twice (a double click) is confirmed again, without a failure.
ALTER TABLE step_up_codes ADD COLUMN used_hash TEXT;
ALTER TABLE step_up_codes ADD COLUMN used_by TEXT;
