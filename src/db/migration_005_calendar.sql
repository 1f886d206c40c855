-- A user's secret calendar feed token (only its SHA-256 is stored), for /calendar/{token}.ics.
ALTER TABLE users ADD COLUMN calendar_token_hash BLOB;
CREATE UNIQUE INDEX users_calendar_token ON users(calendar_token_hash) WHERE calendar_token_hash IS NOT NULL;
