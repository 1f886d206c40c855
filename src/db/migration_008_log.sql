-- The customer log keeps what an event says as data (src/log/sentence.rs) besides the summary
-- written when it happened; the page writes the sentence in the reader's language. Older
-- events have no data and show their summary.
ALTER TABLE events ADD COLUMN data TEXT;
