-- What the inbox has imported from the watched folder (key: the file's SHA-256) and from the
-- IMAP mailbox (key: account, UIDVALIDITY and UID), written in the same transaction as the
-- documents made from it: a message or file is imported exactly once, also across a crash.
CREATE TABLE inbox_messages (
    source      TEXT NOT NULL CHECK (source IN ('folder', 'imap')),
    key         TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;
