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
