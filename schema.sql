-- minicrm schema: the whole schema of a new database, at the latest version. Older databases
-- get there by the numbered migrations in src/db/migrations.rs from version 1
-- (tests/fixtures/schema_v1.sql); PRAGMA user_version records the version and PRAGMA
-- application_id marks the file as a minicrm database.
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
    updated_at    TEXT NOT NULL,
    -- The SHA-256 of the secret token of the user's calendar feed (/calendar/{token}.ics).
    calendar_token_hash BLOB
) STRICT;
CREATE UNIQUE INDEX users_calendar_token ON users(calendar_token_hash) WHERE calendar_token_hash IS NOT NULL;

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
    search_text TEXT NOT NULL DEFAULT '',
    -- What the event says as data (src/log/sentence.rs), written out in the reader's language
    -- when shown; NULL for a person's own text (a note), whose summary is the text.
    data        TEXT
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

-- Events are never edited (no route does it), and the database holds to that: an update is
-- refused except the two audited ones, each of which writes its reason in `events_unlock`
-- inside its own transaction and removes it before committing (src/log/audit.rs): a merge
-- moves events to the kept customer or contact (only those two columns change), and the
-- erasure of a person rewrites the texts that named them (only the texts change).
CREATE TABLE events_unlock (
    reason TEXT PRIMARY KEY CHECK (reason IN ('merge', 'erase'))
) STRICT, WITHOUT ROWID;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NOT (
    new.id IS old.id AND new.at IS old.at AND new.kind IS old.kind
    AND new.document_id IS old.document_id AND new.task_id IS old.task_id
    AND new.user_id IS old.user_id AND new.amount IS old.amount
    AND new.currency IS old.currency AND new.reference IS old.reference
    AND (
        (EXISTS (SELECT 1 FROM events_unlock WHERE reason = 'merge')
            AND new.summary IS old.summary AND new.search_text IS old.search_text
            AND new.data IS old.data)
        OR (EXISTS (SELECT 1 FROM events_unlock WHERE reason = 'erase')
            AND new.customer_id IS old.customer_id AND new.contact_id IS old.contact_id)
    )
)
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

-- ---- Customers and contacts ----

-- Tags are shared by customers and contacts.
CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
) STRICT;

-- AUTOINCREMENT: an id is never given again after a delete, so the log events that still
-- name a deleted customer or contact never attach to a new one.
CREATE TABLE customers (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The customer number as shown ("1001", or with the prefix of settings, "A-1001").
    number            TEXT NOT NULL UNIQUE,
    -- The running part of an assigned number; NULL for numbers imported as they were.
    number_seq        INTEGER,
    name              TEXT NOT NULL,
    -- The name folded for the duplicate check: lower case, no accents, no company form.
    name_key          TEXT NOT NULL,
    -- Finnish business ID (Y-tunnus), normalised to 1234567-8.
    business_id       TEXT,
    email             TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    website           TEXT NOT NULL DEFAULT '',
    street            TEXT NOT NULL DEFAULT '',
    postal_code       TEXT NOT NULL DEFAULT '',
    city              TEXT NOT NULL DEFAULT '',
    country           TEXT NOT NULL DEFAULT 'FI',
    einvoice_address  TEXT NOT NULL DEFAULT '',
    einvoice_operator TEXT NOT NULL DEFAULT '',
    notes             TEXT NOT NULL DEFAULT '',
    owner_id          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    archived          INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- A copy of the customer's tag names (char(31) between) for its list row, kept by the
    -- triggers under `customer_tags`, so that a page of fifty customers reads fifty rows.
    tag_names         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX customers_business_id ON customers(business_id) WHERE business_id IS NOT NULL;
CREATE INDEX customers_by_name ON customers(archived, name COLLATE NOCASE, id);
CREATE INDEX customers_by_name_all ON customers(name COLLATE NOCASE, id);
CREATE INDEX customers_by_number ON customers(archived, number_seq, number, id);
CREATE INDEX customers_by_number_all ON customers(number_seq, number, id);
CREATE INDEX customers_by_owner ON customers(owner_id, archived, name COLLATE NOCASE, id);
CREATE INDEX customers_by_owner_newest ON customers(owner_id, archived, id);
CREATE INDEX customers_by_created ON customers(archived, id);
CREATE INDEX customers_name_key ON customers(name_key);
CREATE INDEX customers_email ON customers(email COLLATE NOCASE) WHERE email <> '';
-- A search sorts its newest matches from here (src/register/list.rs `Register::SEARCH_KEYS`):
-- every column its sorts and filters read, some eighty customers to a page.
CREATE INDEX customers_search_keys ON customers(id, archived, owner_id, name COLLATE NOCASE, number_seq, number);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    -- Copies of the customer's columns of the same names (see the triggers below).
    archived    INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL DEFAULT '',
    number_seq  INTEGER,
    number      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_tags_by_tag ON customer_tags(tag_id, customer_id);
-- A tag's list walks one of these indexes in list order (src/register/list.rs): the link
-- table keeps copies of the customer's sort columns, which the triggers below keep equal.
CREATE INDEX customer_tags_by_tag_archived ON customer_tags(tag_id, archived, customer_id);
CREATE INDEX customer_tags_by_name ON customer_tags(tag_id, archived, name COLLATE NOCASE, customer_id);
CREATE INDEX customer_tags_by_name_all ON customer_tags(tag_id, name COLLATE NOCASE, customer_id);
CREATE INDEX customer_tags_by_number ON customer_tags(tag_id, archived, number_seq, number, customer_id);
CREATE INDEX customer_tags_by_number_all ON customer_tags(tag_id, number_seq, number, customer_id);
CREATE TRIGGER customer_tags_copy AFTER INSERT ON customer_tags
BEGIN
    UPDATE customer_tags SET (archived, name, number_seq, number) =
        (SELECT archived, name, number_seq, number FROM customers WHERE id = new.customer_id)
    WHERE customer_id = new.customer_id AND tag_id = new.tag_id;
END;
CREATE TRIGGER customers_tag_copies AFTER UPDATE OF archived, name, number_seq, number ON customers
WHEN old.archived IS NOT new.archived OR old.name IS NOT new.name
    OR old.number_seq IS NOT new.number_seq OR old.number IS NOT new.number
BEGIN
    UPDATE customer_tags SET archived = new.archived, name = new.name,
        number_seq = new.number_seq, number = new.number
    WHERE customer_id = new.id;
END;
-- The copy of the tag names on a customer's row, made again whenever one of its tags is added
-- or removed. (A tag is never renamed, and a link never moves: a merge adds the kept record's
-- links and deletes the other's.)
CREATE TRIGGER customer_tags_names_insert AFTER INSERT ON customer_tags
BEGIN
    UPDATE customers SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM customer_tags x JOIN tags t ON t.id = x.tag_id WHERE x.customer_id = customers.id)
    WHERE id = new.customer_id;
END;
CREATE TRIGGER customer_tags_names_delete AFTER DELETE ON customer_tags
BEGIN
    UPDATE customers SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM customer_tags x JOIN tags t ON t.id = x.tag_id WHERE x.customer_id = customers.id)
    WHERE id = old.customer_id;
END;

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name  TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Copies for the contact's list row, kept by the triggers under `customer_contacts`, so
    -- that a page of fifty contacts reads fifty rows: its tag names (char(31) between) and
    -- its customers, each `customer_id char(30) role char(30) customer name` (char(31) between).
    tag_names      TEXT NOT NULL DEFAULT '',
    customer_links TEXT NOT NULL DEFAULT '',
    CHECK (first_name <> '' OR last_name <> '')
) STRICT;
CREATE INDEX contacts_by_name ON contacts(last_name COLLATE NOCASE, first_name COLLATE NOCASE, id);
-- A search sorts its newest matches from here (as customers_search_keys).
CREATE INDEX contacts_search_keys ON contacts(id, last_name COLLATE NOCASE, first_name COLLATE NOCASE);
CREATE INDEX contacts_email ON contacts(email COLLATE NOCASE) WHERE email <> '';

CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    -- Copies of the contact's columns of the same names, for a tag's list in name order.
    last_name  TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (contact_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_tags_by_tag ON contact_tags(tag_id, contact_id);
CREATE INDEX contact_tags_by_name ON contact_tags(tag_id, last_name COLLATE NOCASE, first_name COLLATE NOCASE, contact_id);
CREATE TRIGGER contact_tags_copy AFTER INSERT ON contact_tags
BEGIN
    UPDATE contact_tags SET (last_name, first_name) =
        (SELECT last_name, first_name FROM contacts WHERE id = new.contact_id)
    WHERE contact_id = new.contact_id AND tag_id = new.tag_id;
END;
CREATE TRIGGER contacts_tag_copies AFTER UPDATE OF last_name, first_name ON contacts
WHEN old.last_name IS NOT new.last_name OR old.first_name IS NOT new.first_name
BEGIN
    UPDATE contact_tags SET last_name = new.last_name, first_name = new.first_name
    WHERE contact_id = new.id;
END;

-- A contact belongs to any number of customers, with a role in each ("CEO", "Board member").
CREATE TABLE customer_contacts (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    role        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, contact_id)
) STRICT, WITHOUT ROWID;
-- With the role: a contact's links and roles read from the index alone.
CREATE INDEX customer_contacts_by_contact ON customer_contacts(contact_id, customer_id, role);
-- The copies on a contact's row (`tag_names`, `customer_links`), made again from the links
-- whenever one is added or removed or a role changes, and when a customer is renamed. (As
-- for customers, a tag is never renamed and a link never moves.)
CREATE TRIGGER contact_tags_names_insert AFTER INSERT ON contact_tags
BEGIN
    UPDATE contacts SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = contacts.id)
    WHERE id = new.contact_id;
END;
CREATE TRIGGER contact_tags_names_delete AFTER DELETE ON contact_tags
BEGIN
    UPDATE contacts SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = contacts.id)
    WHERE id = old.contact_id;
END;
CREATE TRIGGER customer_contacts_copy_insert AFTER INSERT ON customer_contacts
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id = new.contact_id;
END;
CREATE TRIGGER customer_contacts_copy_delete AFTER DELETE ON customer_contacts
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id = old.contact_id;
END;
CREATE TRIGGER customer_contacts_copy_update AFTER UPDATE OF role ON customer_contacts
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id = new.contact_id;
END;
CREATE TRIGGER customers_contact_copies AFTER UPDATE OF name ON customers
WHEN old.name IS NOT new.name
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id IN (SELECT contact_id FROM customer_contacts WHERE customer_id = new.id);
END;

-- The duplicate finder's candidates: the keys more than one record has (a customer's folded
-- name or e-mail; a contact's full name or e-mail), kept by the triggers as records change,
-- so the finder reads a short table instead of grouping the whole register. Keys are
-- lower case, as the NOCASE indexes the members are found by compare them.
CREATE TABLE customer_duplicates (
    kind TEXT NOT NULL CHECK (kind IN ('name', 'email')),
    key  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER customers_duplicates_insert AFTER INSERT ON customers
BEGIN
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'name', new.name_key WHERE new.name_key <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE name_key = new.name_key AND id <> new.id);
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'email', lower(new.email) WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;
CREATE TRIGGER customers_duplicates_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_duplicates WHERE kind = 'name' AND key = old.name_key
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE name_key = old.name_key LIMIT 2)) < 2;
    DELETE FROM customer_duplicates WHERE kind = 'email' AND key = lower(old.email)
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
END;
CREATE TRIGGER customers_duplicates_update AFTER UPDATE OF name_key, email ON customers
WHEN old.name_key IS NOT new.name_key OR lower(old.email) IS NOT lower(new.email)
BEGIN
    DELETE FROM customer_duplicates WHERE kind = 'name' AND key = old.name_key
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE name_key = old.name_key LIMIT 2)) < 2;
    DELETE FROM customer_duplicates WHERE kind = 'email' AND key = lower(old.email)
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'name', new.name_key WHERE new.name_key <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE name_key = new.name_key AND id <> new.id);
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'email', lower(new.email) WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;

CREATE TABLE contact_duplicates (
    kind TEXT NOT NULL CHECK (kind IN ('name', 'email')),
    -- The last name, or the e-mail address.
    key  TEXT NOT NULL,
    -- The first name; '' for an e-mail address.
    key2 TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, key, key2)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER contacts_duplicates_insert AFTER INSERT ON contacts
BEGIN
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'name', lower(new.last_name), lower(new.first_name)
        WHERE EXISTS (SELECT 1 FROM contacts WHERE last_name = new.last_name COLLATE NOCASE
            AND first_name = new.first_name COLLATE NOCASE AND id <> new.id);
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'email', lower(new.email), '' WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM contacts WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;
CREATE TRIGGER contacts_duplicates_delete AFTER DELETE ON contacts
BEGIN
    DELETE FROM contact_duplicates WHERE kind = 'name' AND key = lower(old.last_name) AND key2 = lower(old.first_name)
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE last_name = old.last_name COLLATE NOCASE
            AND first_name = old.first_name COLLATE NOCASE LIMIT 2)) < 2;
    DELETE FROM contact_duplicates WHERE kind = 'email' AND key = lower(old.email) AND key2 = ''
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
END;
CREATE TRIGGER contacts_duplicates_update AFTER UPDATE OF last_name, first_name, email ON contacts
WHEN lower(old.last_name) IS NOT lower(new.last_name) OR lower(old.first_name) IS NOT lower(new.first_name)
    OR lower(old.email) IS NOT lower(new.email)
BEGIN
    DELETE FROM contact_duplicates WHERE kind = 'name' AND key = lower(old.last_name) AND key2 = lower(old.first_name)
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE last_name = old.last_name COLLATE NOCASE
            AND first_name = old.first_name COLLATE NOCASE LIMIT 2)) < 2;
    DELETE FROM contact_duplicates WHERE kind = 'email' AND key = lower(old.email) AND key2 = ''
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'name', lower(new.last_name), lower(new.first_name)
        WHERE EXISTS (SELECT 1 FROM contacts WHERE last_name = new.last_name COLLATE NOCASE
            AND first_name = new.first_name COLLATE NOCASE AND id <> new.id);
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'email', lower(new.email), '' WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM contacts WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;

-- Search indexes: word-prefix search, case- and accent-insensitive (`jarvinen*` finds
-- `Järvinen`). Contentless: they hold only the index; the triggers keep them in step.
-- The `digits` column holds phone numbers and business IDs as bare digits and every tail of
-- four or more of them, so `0401234567`, `1234567` and `112038` all find `040 123 4567` or
-- `0112038-9`: numbers match from the middle too, words from their beginning.
CREATE VIRTUAL TABLE customers_fts USING fts5(
    name, number, business_id, email, phone, city, digits,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customers_fts(rowid, name, number, business_id, email, phone, city, digits)
    VALUES (new.id, new.name, new.number, coalesce(new.business_id, ''), new.email, new.phone, new.city,
            replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 4, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 2), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 5, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 3), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 6, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 4), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 7, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 5), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 8, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 6), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 9, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 7), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 10, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 8), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 11, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 9), '') || ' ' ||
            replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 4, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 2), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 5, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 3), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 6, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 4), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 7, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 5), ''));
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, number, business_id, email, phone, city ON customers
BEGIN
    DELETE FROM customers_fts WHERE rowid = old.id;
    INSERT INTO customers_fts(rowid, name, number, business_id, email, phone, city, digits)
    VALUES (new.id, new.name, new.number, coalesce(new.business_id, ''), new.email, new.phone, new.city,
            replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 4, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 2), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 5, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 3), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 6, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 4), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 7, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 5), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 8, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 6), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 9, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 7), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 10, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 8), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 11, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 9), '') || ' ' ||
            replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 4, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 2), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 5, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 3), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 6, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 4), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 7, substr(replace(replace(replace(replace(replace(coalesce(new.business_id, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 5), ''));
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customers_fts WHERE rowid = old.id;
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5(
    first_name, last_name, email, phone, title, digits,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts
BEGIN
    INSERT INTO contacts_fts(rowid, first_name, last_name, email, phone, title, digits)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.phone, new.title,
            replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 4, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 2), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 5, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 3), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 6, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 4), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 7, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 5), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 8, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 6), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 9, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 7), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 10, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 8), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 11, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 9), ''));
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF first_name, last_name, email, phone, title ON contacts
BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.id;
    INSERT INTO contacts_fts(rowid, first_name, last_name, email, phone, title, digits)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.phone, new.title,
            replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 4, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 2), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 5, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 3), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 6, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 4), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 7, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 5), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 8, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 6), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 9, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 7), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 10, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 8), '') || ' ' ||
            iif(length(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')) > 11, substr(replace(replace(replace(replace(replace(new.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), 9), ''));
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts
BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.id;
END;

-- Tasks: who does what for which customer, and when. Groups are a hierarchy written as paths
-- ("Myynti/Puhelut"); filtering by a group takes its subgroups too.
CREATE TABLE task_groups (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE COLLATE NOCASE
) STRICT;

CREATE TABLE tasks (
    id                 INTEGER PRIMARY KEY,
    description        TEXT NOT NULL,
    assignee_id        INTEGER NOT NULL REFERENCES users(id),
    group_id           INTEGER REFERENCES task_groups(id) ON DELETE SET NULL,
    due_date           TEXT NOT NULL,
    due_time           TEXT,
    customer_id        INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    contact_id         INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    done               INTEGER NOT NULL DEFAULT 0,
    done_at            TEXT,
    remind_days_before INTEGER,
    created_by         INTEGER REFERENCES users(id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;
CREATE INDEX tasks_by_due ON tasks(done, due_date, due_time, id);
CREATE INDEX tasks_by_date ON tasks(due_date, due_time, id);
CREATE INDEX tasks_by_assignee ON tasks(assignee_id, done, due_date, due_time, id);
CREATE INDEX tasks_by_customer ON tasks(customer_id, done, due_date, due_time, id) WHERE customer_id IS NOT NULL;
CREATE INDEX tasks_by_contact ON tasks(contact_id, done, due_date, due_time, id) WHERE contact_id IS NOT NULL;
CREATE INDEX tasks_by_group ON tasks(group_id, done, due_date, due_time, id) WHERE group_id IS NOT NULL;

-- Tasks carry no tags yet; the table keeps the registers' shared tag filter valid for them.
CREATE TABLE task_tags (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, tag_id)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE tasks_fts USING fts5(
    description,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO tasks_fts(rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF description ON tasks
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
    INSERT INTO tasks_fts(rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
END;

-- A task's reminders, scheduled when it is saved and delivered once by the reminder job.
CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL CHECK (kind IN ('before', 'due')),
    remind_at    TEXT NOT NULL,
    delivered_at TEXT,
    dismissed_at TEXT
) STRICT;
CREATE INDEX reminders_task ON reminders(task_id);
CREATE INDEX reminders_undelivered ON reminders(remind_at) WHERE delivered_at IS NULL;
-- A user's reminders not dismissed, newest first: those delivered (the front page, the badge)
-- and those still to come, apart, so that neither list walks past the other's (a month of
-- tasks ahead holds many more reminders to come than have been delivered).
CREATE INDEX reminders_delivered ON reminders(user_id, remind_at) WHERE dismissed_at IS NULL AND delivered_at IS NOT NULL;
CREATE INDEX reminders_pending ON reminders(user_id, remind_at) WHERE dismissed_at IS NULL AND delivered_at IS NULL;

-- The reminder e-mail outbox: a row for each reminder that is to go out by e-mail, written in
-- the transaction that delivers the reminder in the app (when an SMTP server is set then).
-- The reminder job sends the pending ones: it claims one ('sending', attempts + 1, next_try a
-- lease ahead), sends, and records how it went; a failure is 'pending' again until next_try
-- (back-off). A claim left by a stopped server is taken again when the server starts.
CREATE TABLE reminder_emails (
    reminder_id INTEGER PRIMARY KEY REFERENCES reminders(id) ON DELETE CASCADE,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try    TEXT NOT NULL,
    tried_at    TEXT,
    sent_at     TEXT,
    -- Why the last try failed, or why the reminder was skipped (no address).
    error       TEXT
) STRICT;
CREATE INDEX reminder_emails_due ON reminder_emails(next_try) WHERE state IN ('pending', 'sending');
CREATE INDEX reminder_emails_sent ON reminder_emails(sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX reminder_emails_tried ON reminder_emails(tried_at, state) WHERE tried_at IS NOT NULL;
-- ---- Documents ----

-- Documents: files kept inside the database file (the one-file invariant), each linked to a
-- customer and/or a contact, or waiting under Incoming until someone assigns it. The row holds
-- the current version's file details; every version's bytes are in document_versions.
-- AUTOINCREMENT: an id is never given again, so log events naming a deleted document never
-- attach to a new one.
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT NOT NULL,
    customer_id   INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    contact_id    INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    -- Not yet assigned: shown under Incoming. Cleared by setting a customer or a contact, and
    -- not set again when a customer's deletion takes the link away (it stays findable).
    incoming      INTEGER NOT NULL DEFAULT 1 CHECK (incoming IN (0, 1)),
    source        TEXT NOT NULL CHECK (source IN ('upload', 'email', 'folder', 'api')),
    email_from    TEXT,
    email_subject TEXT,
    email_date    TEXT,
    -- The current version: its number and its file's details (copies of its row below).
    version       INTEGER NOT NULL DEFAULT 1,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX documents_by_incoming ON documents(incoming, id);
CREATE INDEX documents_by_title ON documents(title COLLATE NOCASE, id);
CREATE INDEX documents_by_incoming_title ON documents(incoming, title COLLATE NOCASE, id);
CREATE INDEX documents_by_customer ON documents(customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX documents_by_contact ON documents(contact_id, id) WHERE contact_id IS NOT NULL;

-- Every version of a document with its bytes, written and read with incremental BLOB I/O in
-- chunks (src/documents/blob.rs). The content is the last column, so reading a version's
-- details never reads its bytes.
CREATE TABLE document_versions (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    content      BLOB NOT NULL,
    UNIQUE (document_id, version)
) STRICT;

-- The text read from the current version (plain text, .docx, .odt, PDF), bounded, for search.
CREATE TABLE document_texts (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    text        TEXT NOT NULL
) STRICT;

-- Documents carry no tags yet; the table keeps the registers' shared tag filter valid for them.
CREATE TABLE document_tags (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (document_id, tag_id)
) STRICT, WITHOUT ROWID;

-- Title, file name and text, searched like the registers. The store writes a document's row
-- here after each change (src/documents/store.rs `index`), as the text is not a column of
-- documents; a deleted document's row goes with it.
CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, file_name, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents
BEGIN
    DELETE FROM documents_fts WHERE rowid = old.id;
END;

-- The Incoming suggestions find customers by their e-mail's domain and their website.
CREATE INDEX customers_email_domain ON customers(lower(substr(email, instr(email, '@') + 1))) WHERE email <> '';
CREATE INDEX customers_website ON customers(website COLLATE NOCASE) WHERE website <> '';

-- The search indexes merge their segments in the background (the server's job
-- `jobs.search_index`, src/log/store.rs `merge_search_indexes`), not in the write that
-- happens to complete a level of four: that made one create in a few dozen take tens of
-- milliseconds. If the job falls behind, FTS5 still merges a level of 16 (crisismerge) itself.
INSERT INTO customers_fts(customers_fts, rank) VALUES ('automerge', 0);
INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('automerge', 0);
INSERT INTO events_fts(events_fts, rank) VALUES ('automerge', 0);
-- What the inbox has imported from the watched folder (key: the file's SHA-256) and from the
-- IMAP mailbox (key: account, UIDVALIDITY and UID), written in the same transaction as the
-- documents made from it: a message or file is imported exactly once, also across a crash.
CREATE TABLE inbox_messages (
    source      TEXT NOT NULL CHECK (source IN ('folder', 'imap')),
    key         TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;
