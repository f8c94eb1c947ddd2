-- When an attempt was last reserved. Reservations of an instance that died
-- mid-check are never ended; once no attempt was reserved for a minute (no
-- check takes that long), attempts under way are taken to be none.
ALTER TABLE sign_in_failures ADD COLUMN in_flight_at BIGINT NOT NULL DEFAULT 0;
