//! When a task's reminders go out: one `before`, `remind_days_before` days ahead at the start
//! of the working day, and one `due` on the day at the start of the working day, or an hour
//! before the task's time when that is earlier. Local times are the company's time zone; a
//! time that does not exist that day (the spring-forward gap) moves on by the gap's hour, an
//! ambiguous one (autumn) takes the earlier moment. A task whose date has passed gets none.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Which of a task's reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Before,
    Due,
}

impl Kind {
    /// The text form, stored in `reminders.kind` and shown by the API.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Before => "before",
            Kind::Due => "due",
        }
    }
}

/// What the schedule depends on besides the task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub tz: Tz,
    pub workday_start: NaiveTime,
}

/// A local time in `tz` as a moment.
pub(crate) fn local_moment(tz: Tz, at: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&at) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
        // In a gap: the same wall-clock time an hour later exists.
        chrono::LocalResult::None => local_moment(tz, at + Duration::hours(1)),
    }
}

/// The reminders of a task due on `date` (at `time`, if given), as seen at `now`. A `before`
/// whose moment has passed is left out (the `due` one follows); a `due` one already past on
/// the task's own day is kept, for the next delivery to bring at once.
pub(crate) fn reminders(
    date: NaiveDate,
    time: Option<NaiveTime>,
    days_before: Option<u32>,
    rules: Rules,
    now: DateTime<Utc>,
) -> Vec<(Kind, DateTime<Utc>)> {
    let today = now.with_timezone(&rules.tz).date_naive();
    if date < today {
        return Vec::new();
    }
    let start = date.and_time(rules.workday_start);
    let due_local = match time {
        Some(t) => start.min(date.and_time(t) - Duration::hours(1)),
        None => start,
    };
    let mut out = Vec::new();
    if let Some(days) = days_before.filter(|d| *d > 0) {
        let day = date - Duration::days(i64::from(days));
        let at = local_moment(rules.tz, day.and_time(rules.workday_start));
        if at > now {
            out.push((Kind::Before, at));
        }
    }
    out.push((Kind::Due, local_moment(rules.tz, due_local)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            tz: chrono_tz::Europe::Helsinki,
            workday_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn time(text: &str) -> Option<NaiveTime> {
        Some(NaiveTime::parse_from_str(text, "%H:%M").unwrap())
    }

    fn texts(list: &[(Kind, DateTime<Utc>)]) -> Vec<(&'static str, String)> {
        list.iter()
            .map(|(k, t)| (k.as_str(), t.to_rfc3339()))
            .collect()
    }

    #[test]
    fn before_at_the_start_of_the_working_day_and_due_on_the_day() {
        let now = utc("2026-03-02T10:00:00Z");
        let got = reminders(date("2026-03-10"), None, Some(2), rules(), now);
        // Helsinki is UTC+2 in winter: 08:00 local is 06:00 UTC.
        assert_eq!(
            texts(&got),
            [
                ("before", "2026-03-08T06:00:00+00:00".to_string()),
                ("due", "2026-03-10T06:00:00+00:00".to_string())
            ]
        );
    }

    #[test]
    fn due_is_an_hour_before_an_early_time_of_day() {
        let now = utc("2026-03-02T10:00:00Z");
        let early = reminders(date("2026-03-10"), time("08:30"), None, rules(), now);
        assert_eq!(
            texts(&early),
            [("due", "2026-03-10T05:30:00+00:00".to_string())]
        );
        let late = reminders(date("2026-03-10"), time("14:00"), None, rules(), now);
        assert_eq!(
            texts(&late),
            [("due", "2026-03-10T06:00:00+00:00".to_string())]
        );
        // Zero days ahead is no advance reminder.
        assert_eq!(
            reminders(date("2026-03-10"), None, Some(0), rules(), now).len(),
            1
        );
    }

    #[test]
    fn the_working_day_starts_at_local_time_across_the_dst_change() {
        // Helsinki moves to summer time on Sunday 2026-03-29 at 03:00.
        let now = utc("2026-03-20T10:00:00Z");
        let got = reminders(date("2026-03-30"), None, Some(2), rules(), now);
        assert_eq!(
            texts(&got),
            [
                ("before", "2026-03-28T06:00:00+00:00".to_string()),
                ("due", "2026-03-30T05:00:00+00:00".to_string())
            ]
        );
        // A time in the gap (03:30 does not exist that night) moves on by the hour.
        let gap = Rules {
            workday_start: NaiveTime::from_hms_opt(3, 30, 0).unwrap(),
            ..rules()
        };
        let got = reminders(date("2026-03-29"), None, None, gap, now);
        assert_eq!(
            texts(&got),
            [("due", "2026-03-29T01:30:00+00:00".to_string())]
        );
        // Autumn: back to UTC+2 on 2026-10-25.
        let now = utc("2026-10-20T10:00:00Z");
        let got = reminders(date("2026-10-26"), None, Some(3), rules(), now);
        assert_eq!(
            texts(&got),
            [
                ("before", "2026-10-23T05:00:00+00:00".to_string()),
                ("due", "2026-10-26T06:00:00+00:00".to_string())
            ]
        );
    }

    #[test]
    fn a_past_date_gets_none_and_a_passed_before_is_left_out() {
        let now = utc("2026-03-10T12:00:00Z");
        assert!(reminders(date("2026-03-09"), None, Some(1), rules(), now).is_empty());
        // Due tomorrow with one day ahead: today's 08:00 has passed.
        let got = reminders(date("2026-03-11"), None, Some(1), rules(), now);
        assert_eq!(
            texts(&got),
            [("due", "2026-03-11T06:00:00+00:00".to_string())]
        );
        // Due today: the due reminder is kept, to be delivered at once.
        let got = reminders(date("2026-03-10"), None, Some(1), rules(), now);
        assert_eq!(
            texts(&got),
            [("due", "2026-03-10T06:00:00+00:00".to_string())]
        );
    }
}
