-- minicrm schema, version 1: the whole schema of a new database.
-- Later changes are numbered migrations in src/db/migrations.rs; PRAGMA user_version records
-- the version and PRAGMA application_id marks the file as a minicrm database.
-- Times are RFC 3339 UTC text ('2026-11-22T09:15:00Z') unless a column says it holds unix seconds.

-- Company-wide settings as key/value pairs; src/settings/store.rs knows the keys and defaults.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'user', 'readonly')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- NULL: follow the browser's Accept-Language, else the company default.
    language      TEXT CHECK (language IN ('fi', 'en')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

-- Browser sessions. Only the SHA-256 of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    remember     INTEGER NOT NULL CHECK (remember IN (0, 1)),
    created_at   INTEGER NOT NULL, -- unix seconds
    last_seen_at INTEGER NOT NULL  -- unix seconds
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

-- API bearer tokens. Only the SHA-256 of the token is stored; the token is shown once.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Every login attempt: the login history admins see, and the source of the brute-force lockout.
CREATE TABLE login_attempts (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL, -- unix seconds
    username TEXT NOT NULL COLLATE NOCASE,
    user_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    ip       TEXT NOT NULL,
    success  INTEGER NOT NULL CHECK (success IN (0, 1))
) STRICT;
CREATE INDEX login_attempts_username_at ON login_attempts(username, at);
CREATE INDEX login_attempts_ip_at ON login_attempts(ip, at);

-- The customer log: everything that happened, append-only (see src/log/store.rs).
-- customer_id, contact_id, document_id and task_id carry no foreign key on purpose: an event
-- outlives the row it names, so the log stays complete after a delete.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    customer_id INTEGER,
    contact_id  INTEGER,
    document_id INTEGER,
    task_id     INTEGER,
    user_id     INTEGER REFERENCES users(id),
    summary     TEXT NOT NULL,
    amount      TEXT,
    currency    TEXT,
    reference   TEXT,
    -- Names of what the event links to (customer, contact, document title), kept for search.
    search_text TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_customer ON events(customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX events_contact ON events(contact_id, id) WHERE contact_id IS NOT NULL;
CREATE INDEX events_document ON events(document_id, id) WHERE document_id IS NOT NULL;
CREATE INDEX events_task ON events(task_id, id) WHERE task_id IS NOT NULL;
CREATE INDEX events_user ON events(user_id, id);
CREATE INDEX events_kind ON events(kind, id);
CREATE INDEX events_at ON events(at);

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the customer log is append-only');
END;

-- Full-text index over the log; remove_diacritics 2 lets `cafe` find `Café` and `jarvinen` find
-- `Järvinen`. External content: the text lives once, in events.
CREATE VIRTUAL TABLE events_fts USING fts5(
    summary, search_text, reference,
    content = 'events', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER events_fts_insert AFTER INSERT ON events
BEGIN
    INSERT INTO events_fts(rowid, summary, search_text, reference)
    VALUES (new.id, new.summary, new.search_text, coalesce(new.reference, ''));
END;
-- Updates happen only when a merge re-points an event or a person is anonymised.
CREATE TRIGGER events_fts_update AFTER UPDATE ON events
BEGIN
    INSERT INTO events_fts(events_fts, rowid, summary, search_text, reference)
    VALUES ('delete', old.id, old.summary, old.search_text, coalesce(old.reference, ''));
    INSERT INTO events_fts(rowid, summary, search_text, reference)
    VALUES (new.id, new.summary, new.search_text, coalesce(new.reference, ''));
END;
