//! What every register list gets from the shared list page: the result count (exact up to a
//! bound), "select all" working without JavaScript, the bulk bar above the rows, sorting by a
//! click on a column heading, and bulk tagging on both registers.

mod common;

use common::page::{id_from_location, unescape};
use common::{Client, TestServer};
use minicrm::register::list::COUNT_BOUND;

fn add_customer(c: &Client, name: &str) -> i64 {
    let resp = c.post_form("/customers/new", "/customers/new", &[("name", name)]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    id_from_location(resp.location(), "/customers/")
}

fn add_contact(c: &Client, first: &str, last: &str) -> i64 {
    let resp = c.post_form(
        "/contacts/new",
        "/contacts/new",
        &[("first_name", first), ("last_name", last)],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    id_from_location(resp.location(), "/contacts/")
}

/// The text of the `<p class="count">`.
fn count_text(body: &str) -> String {
    let at = body
        .find("<p class=\"count\"")
        .unwrap_or_else(|| panic!("no count in {body}"));
    let rest = &body[at..];
    let start = rest.find('>').unwrap() + 1;
    unescape(&rest[start..rest.find("</p>").unwrap()])
}

/// The href of the link in the column heading that reads `label`.
fn heading_link(body: &str, label: &str) -> Option<String> {
    let thead = body.split("<thead>").nth(1)?.split("</thead>").next()?;
    thead.split("<th").find_map(|th| {
        let text = th.split("</th>").next()?;
        if !text.contains(label) {
            return None;
        }
        let href = text.split("href=\"").nth(1)?.split('"').next()?;
        Some(unescape(href))
    })
}

#[test]
fn the_list_says_how_many_it_found() {
    let (_server, admin) = TestServer::with_admin();
    for name in ["Alfa Oy", "Beeta Oy", "Gamma Ab"] {
        add_customer(&admin, name);
    }
    assert_eq!(count_text(&admin.get("/customers").body), "3 löytyi");
    assert_eq!(count_text(&admin.get("/customers?q=oy").body), "2 löytyi");
    // The count is of the whole list, not of the page.
    assert_eq!(
        count_text(&admin.get("/customers?limit=1").body),
        "3 löytyi"
    );
    add_contact(&admin, "Anna", "Alfa");
    assert_eq!(count_text(&admin.get("/contacts").body), "1 löytyi");
}

#[test]
fn a_list_longer_than_the_bound_says_so_instead_of_counting_on() {
    let (server, admin) = TestServer::with_admin();
    // Straight into the file: a thousand customers through the form would take a while.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    // The server's own jobs may be writing at start: wait for them like any writer does.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let n = COUNT_BOUND + 5;
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    for i in 0..n {
        conn.execute(
            "INSERT INTO customers(number, number_seq, name, name_key, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?3, '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')",
            rusqlite::params![format!("{}", 5000 + i), 5000 + i, format!("Asiakas {i}")],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    assert_eq!(
        count_text(&admin.get("/customers").body),
        "1\u{a0}000+ löytyi"
    );
    let english = admin.with_header("Accept-Language", "en");
    english.post_form("/account", "/account/language", &[("language", "en")]);
    assert_eq!(count_text(&english.get("/customers").body), "1,000+ found");
}

#[test]
fn select_all_ticks_every_row_without_javascript_and_the_bulk_bar_comes_first() {
    let (_server, admin) = TestServer::with_admin();
    for name in ["Alfa Oy", "Beeta Oy"] {
        add_customer(&admin, name);
    }
    let page = admin.get("/customers?q=oy");
    let select_all = page
        .body
        .split("class=\"select-all\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(unescape)
        .expect("a select-all link");
    assert!(select_all.contains("q=oy") && select_all.contains("select=all"));
    assert!(
        page.body.find("class=\"bulk\"").unwrap() < page.body.find("<tbody>").unwrap(),
        "the bulk bar is above the rows"
    );
    assert!(!page.body.contains("checked"));
    let ticked = admin.get(&select_all);
    assert_eq!(ticked.body.matches(" checked").count(), 2);
    // The bulk bar's way back does not keep the ticks.
    assert!(!ticked
        .body
        .contains("name=\"back\" value=\"/customers?q=oy&amp;select"));
}

#[test]
fn a_column_heading_sorts_by_it_and_a_second_click_turns_it_round() {
    let (_server, admin) = TestServer::with_admin();
    for name in ["Beeta Oy", "Alfa Oy", "Gamma Oy"] {
        add_customer(&admin, name);
    }
    let page = admin.get("/customers?q=oy&sort=number");
    let by_name = heading_link(&page.body, "Nimi").expect("the name heading is a link");
    assert!(
        by_name.contains("sort=name") && by_name.contains("q=oy"),
        "{by_name}"
    );
    let sorted = admin.get(&by_name);
    let order: Vec<usize> = ["Alfa Oy", "Beeta Oy", "Gamma Oy"]
        .iter()
        .map(|n| sorted.body.find(n).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "A→Z");
    assert!(sorted.body.contains("aria-sort=\"ascending\""));
    let again = heading_link(&sorted.body, "Nimi").unwrap();
    assert!(again.contains("sort=-name"), "{again}");
    let reversed = admin.get(&again);
    assert!(reversed.body.find("Gamma Oy").unwrap() < reversed.body.find("Alfa Oy").unwrap());
    assert!(reversed.body.contains("aria-sort=\"descending\""));
    // A heading that sorts nothing is plain text.
    assert!(heading_link(&page.body, "Puhelin").is_none());
}

#[test]
fn contacts_are_tagged_in_bulk_like_customers() {
    let (_server, admin) = TestServer::with_admin();
    let a = add_contact(&admin, "Anna", "Alfa");
    let b = add_contact(&admin, "Bert", "Beeta");
    let list = admin.get("/contacts");
    let csrf = list.csrf();
    let resp = admin.post_raw(
        "/contacts/tags",
        &[
            ("csrf", &csrf),
            ("back", "/contacts?q=a"),
            ("id", &a.to_string()),
            ("id", &b.to_string()),
            ("tag", "Messut 2026"),
            ("action", "add"),
        ],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), "/contacts?q=a");
    let tagged = admin.get("/contacts?tag=Messut%202026");
    assert_eq!(count_text(&tagged.body), "2 löytyi");
    // Each change is in the contact's log.
    let card = admin.get(&format!("/contacts/{a}?tab=log"));
    assert!(card.body.contains("Messut 2026"), "{}", card.body);
    // A way back off the list is not followed.
    let resp = admin.post_raw(
        "/contacts/tags",
        &[
            ("csrf", &csrf),
            ("back", "https://example.com/"),
            ("id", &a.to_string()),
            ("tag", "Messut 2026"),
            ("action", "remove"),
        ],
    );
    assert_eq!(resp.location(), "/contacts");
    assert_eq!(
        count_text(&admin.get("/contacts?tag=Messut%202026").body),
        "1 löytyi"
    );
}
