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
