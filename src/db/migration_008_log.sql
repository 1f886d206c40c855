-- The customer log keeps what an event says as data (src/log/sentence.rs) besides the summary
-- written when it happened; the page writes the sentence in the reader's language. Older
-- events have no data and show their summary.
ALTER TABLE events ADD COLUMN data TEXT;

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
