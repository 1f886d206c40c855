//! Secrets shown once after a redirect (a new API token, a new calendar link). A form that
//! creates one answers with a redirect (post/redirect/get), so reloading the page makes no
//! second token; the secret waits here, in memory and keyed by the session, for the next
//! page that session loads, which takes it. It is never written to a cookie or the database.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a secret waits for its page: long enough for any redirect, short enough that a
/// forgotten one is soon gone.
const KEEP: Duration = Duration::from_secs(120);

/// What a secret is, so a page takes only its own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Secret {
    ApiToken,
    CalendarLink,
}

/// A session's token hash and the kind of secret waiting for it.
type Key = (Vec<u8>, Secret);

/// The waiting secrets, each with the moment it was kept.
#[derive(Default)]
pub(crate) struct ShownOnce {
    waiting: Mutex<HashMap<Key, (String, Instant)>>,
}

impl ShownOnce {
    /// Keeps `value` for the session's next page; expired ones go at the same time.
    pub(crate) fn keep(&self, session: &[u8], kind: Secret, value: String, now: Instant) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|_, (_, at)| now.duration_since(*at) < KEEP);
        waiting.insert((session.to_vec(), kind), (value, now));
    }

    /// Takes the session's secret of this kind, if one is waiting and fresh.
    pub(crate) fn take(&self, session: &[u8], kind: Secret, now: Instant) -> Option<String> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let (value, at) = waiting.remove(&(session.to_vec(), kind))?;
        (now.duration_since(at) < KEEP).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_taken_once_by_its_own_session_and_expires() {
        let once = ShownOnce::default();
        let now = Instant::now();
        once.keep(b"a", Secret::ApiToken, "t1".into(), now);
        assert_eq!(once.take(b"b", Secret::ApiToken, now), None);
        assert_eq!(once.take(b"a", Secret::CalendarLink, now), None);
        assert_eq!(
            once.take(b"a", Secret::ApiToken, now).as_deref(),
            Some("t1")
        );
        assert_eq!(once.take(b"a", Secret::ApiToken, now), None);
        once.keep(b"a", Secret::ApiToken, "t2".into(), now);
        assert_eq!(once.take(b"a", Secret::ApiToken, now + KEEP), None);
    }
}
