//! The calendar feed: a secret per-user link made on the account page, open without a login,
//! serving the user's open tasks as valid iCalendar (parsed back here: CRLF, folding, nesting,
//! required properties, alarms); a new link retires the old one; `export tasks --format ics`.

mod common;

use chrono::{Duration, Utc};
use serde_json::json;

use common::tasks::day;
use common::*;

fn token(client: &Client) -> String {
    make_api_token(client, "testit")
}

/// A new calendar link's path, from the account page.
fn calendar_path(client: &Client) -> String {
    let resp = client.post_form("/account", "/account/calendar", &[]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    // Post/redirect/get: the link shows once, on the page the post redirects to.
    assert_eq!(resp.location(), "/account#calendar");
    let page = client.get("/account");
    assert!(!client.get("/account").body.contains("calendar-link"));
    let link = page
        .body
        .split("id=\"calendar-link\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert!(link.starts_with("http://"), "{link}");
    let path = &link[link.find("/calendar/").unwrap()..];
    assert!(path.ends_with(".ics"), "{path}");
    path.to_string()
}

/// A parsed component: its name, properties (name with parameters, value) and children.
#[derive(Debug, Default)]
struct Component {
    name: String,
    props: Vec<(String, String)>,
    children: Vec<Component>,
}

impl Component {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(n, _)| n == name || n.starts_with(&format!("{name};")))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses iCalendar text strictly: CRLF line ends, lines of at most 75 octets, unfolding,
/// BEGIN/END nesting; returns the one top-level component.
fn parse(text: &str) -> Component {
    assert!(text.ends_with("\r\n"), "no CRLF at the end");
    let mut lines: Vec<String> = Vec::new();
    for raw in text[..text.len() - 2].split("\r\n") {
        assert!(
            !raw.contains('\n') && !raw.contains('\r'),
            "bare line end in {raw:?}"
        );
        assert!(raw.len() <= 75, "line over 75 octets: {raw:?}");
        match raw.strip_prefix(' ') {
            Some(rest) => lines
                .last_mut()
                .expect("a continuation first")
                .push_str(rest),
            None => lines.push(raw.to_string()),
        }
    }
    let mut stack: Vec<Component> = Vec::new();
    let mut top = None;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("no colon: {line:?}"));
        match name {
            "BEGIN" => stack.push(Component {
                name: value.to_string(),
                ..Default::default()
            }),
            "END" => {
                let done = stack.pop().expect("END without BEGIN");
                assert_eq!(done.name, value, "END does not match BEGIN");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => {
                        assert!(top.is_none(), "two top-level components");
                        top = Some(done);
                    }
                }
            }
            _ => stack
                .last_mut()
                .expect("a property outside any component")
                .props
                .push((name.to_string(), value.to_string())),
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    top.expect("no component")
}

fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn check_calendar(cal: &Component) {
    assert_eq!(cal.name, "VCALENDAR");
    assert_eq!(cal.prop("VERSION"), Some("2.0"));
    assert!(cal.prop("PRODID").is_some());
    for event in &cal.children {
        assert_eq!(event.name, "VEVENT");
        for required in ["UID", "DTSTAMP", "DTSTART", "SUMMARY"] {
            assert!(event.prop(required).is_some(), "{required} in {event:?}");
        }
        for alarm in &event.children {
            assert_eq!(alarm.name, "VALARM");
            assert_eq!(alarm.prop("ACTION"), Some("DISPLAY"));
            assert!(alarm.prop("DESCRIPTION").is_some());
            let trigger = alarm.prop("TRIGGER").expect("TRIGGER");
            assert!(trigger.ends_with('Z') && trigger.len() == 16, "{trigger}");
        }
    }
}

/// Checks with Python's `icalendar` when this machine has it; silently not otherwise.
fn python_check(text: &str, dir: &std::path::Path) {
    let has = std::process::Command::new("python3")
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        return;
    }
    let file = dir.join("feed.ics");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, icalendar; c = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read()); print(len(c.walk('VEVENT')))")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_feed_serves_open_tasks_with_alarms_to_whoever_holds_the_link() {
    let (server, admin) = TestServer::with_admin();
    let api = token(&admin);
    let me = my_id(&admin, &api);
    let create = |body: serde_json::Value| {
        let resp = admin.api("POST", "/api/v1/tasks", Some(&api), Some(&body.to_string()));
        assert_eq!(resp.status, 201, "{}", resp.body);
        resp.json()["id"].as_i64().unwrap()
    };
    let long = format!(
        "Soita Virtaselle, tarjous; hinnat\\alennukset\nToinen rivi {}",
        "pitkä ".repeat(30)
    );
    let timed = create(
        json!({"description": long, "assignee_id": me, "due_date": day(10), "due_time": "14:00", "remind_days_before": 2}),
    );
    let all_day =
        create(json!({"description": "Koko päivä", "assignee_id": me, "due_date": day(5)}));
    let done = create(json!({"description": "Valmis jo", "assignee_id": me, "due_date": day(6)}));
    // Overdue for longer than a month: on the task list, not in the calendar.
    create(json!({"description": "Unohtunut", "assignee_id": me, "due_date": day(-40)}));
    let resp = admin.api(
        "PATCH",
        &format!("/api/v1/tasks/{done}"),
        Some(&api),
        Some(r#"{"status": "done"}"#),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);

    let account = admin.get("/account");
    assert!(
        account.body.contains("/account/calendar"),
        "{}",
        account.body
    );
    let path = calendar_path(&admin);

    // No login: the token is the key.
    let anyone = server.client();
    let feed = anyone.get(&path);
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(
        feed.header("content-type")
            .unwrap()
            .starts_with("text/calendar"),
        "{:?}",
        feed.header("content-type")
    );
    let cal = parse(&feed.body);
    check_calendar(&cal);
    let uids: Vec<&str> = cal
        .children
        .iter()
        .map(|e| e.prop("UID").unwrap())
        .collect();
    assert_eq!(
        uids,
        [
            format!("task-{all_day}@minicrm"),
            format!("task-{timed}@minicrm")
        ]
    );
    let event = &cal.children[1];
    assert_eq!(
        unescape(event.prop("SUMMARY").unwrap()),
        "Soita Virtaselle, tarjous; hinnat\\alennukset"
    );
    assert!(unescape(event.prop("DESCRIPTION").unwrap()).starts_with(long.trim_end()));
    assert!(event
        .prop("URL")
        .unwrap()
        .ends_with(&format!("/tasks/{timed}")));
    assert!(event.prop("DTSTART").unwrap().ends_with('Z'));
    assert_eq!(event.children.len(), 2, "before and due alarms");
    let all_day_event = &cal.children[0];
    assert!(all_day_event
        .props
        .iter()
        .any(|(n, _)| n == "DTSTART;VALUE=DATE"));
    python_check(&feed.body, server.dir.path());

    // A delivered reminder is no longer an alarm.
    let resp = admin.get(&format!(
        "/_test/reminders/deliver?now={}",
        (Utc::now() + Duration::days(9))
            .to_rfc3339()
            .replace('+', "%2B")
    ));
    assert_eq!(resp.status, 200, "{}", resp.body);
    let cal = parse(&anyone.get(&path).body);
    let event = cal
        .children
        .iter()
        .find(|e| e.prop("UID") == Some(&format!("task-{timed}@minicrm")))
        .unwrap();
    assert_eq!(event.children.len(), 1);

    // A wrong token is not found; a new link retires the old one.
    assert_eq!(anyone.get("/calendar/cal_nope.ics").status, 404);
    let again = calendar_path(&admin);
    assert_ne!(again, path);
    assert_eq!(anyone.get(&path).status, 404);
    assert_eq!(anyone.get(&again).status, 200);
    assert!(!admin.get("/account").body.contains("calendar-link"));

    // The command line writes every open task the same way, the long overdue one too.
    let out = minicrm(&server.db)
        .args(["export", "tasks", "--format", "ics"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let cal = parse(&stdout(&out));
    check_calendar(&cal);
    assert_eq!(cal.children.len(), 3);
}
