//! Journeys through the app in a real headless Chromium, driven over WebDriver. These catch what
//! the HTTP-level tests cannot: that the pages' forms, buttons, menus and cookies work together
//! in a browser. They need Debian's `chromium` and `chromium-driver`.

mod common;

use std::path::Path;

use common::webdriver::Browser;
use common::*;

const COMPANY: &str = "Kahvila Äijälä Oy";

#[test]
fn the_browser_programs_are_looked_up_on_path() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    std::fs::write(second.path().join("chromedriver"), "").unwrap();
    let path = std::env::join_paths([first.path(), second.path()]).unwrap();
    assert_eq!(
        common::webdriver::find_on_path(&path, &["chromedriver"]),
        Some(second.path().join("chromedriver"))
    );
    assert_eq!(common::webdriver::find_on_path(&path, &["chromium"]), None);
}

#[test]
fn browser_setup_wizard_login_and_language_switch() {
    let server = TestServer::start();
    let browser = Browser::start();

    // A new database sends the browser to the set-up wizard, in Finnish (the browser asks
    // for Finnish, and Finnish is the default too).
    browser.goto(&server.url("/"));
    browser.wait_for("form[action=\"/setup\"]");
    assert!(browser.current_url().ends_with("/setup"));
    assert_eq!(browser.text("h1"), "Tervetuloa minicrm:ään");

    browser.type_into("#f-company_name", COMPANY);
    browser.select_value("#f-language", "fi");
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-name", "Aino Admin");
    browser.type_into("#f-email", "aino@example.fi");
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.type_into("#f-password_again", ADMIN_PASSWORD);
    browser.click("form[action=\"/setup\"] button[type=submit]");

    // The wizard logs the admin in and shows the front page. The user menu is only on pages
    // of a logged-in user, so waiting for it waits for the new page.
    browser.wait_for("details.user-menu");
    assert_eq!(browser.text("h1"), "Hei, Aino Admin!");
    assert_eq!(browser.text("header a.brand"), COMPANY);
    assert_eq!(
        browser.text("p.flash"),
        "Rekisterisi on valmis. Tervetuloa!"
    );
    assert!(browser.page_source().contains(COMPANY));

    // The README shows this screenshot: `MINICRM_SCREENSHOTS=1 cargo test --test browser`
    // refreshes it; otherwise it goes to the temporary folder, so a test run changes no file.
    let shots = match std::env::var_os("MINICRM_SCREENSHOTS") {
        Some(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots"),
        None => server.dir.path().to_path_buf(),
    };
    std::fs::create_dir_all(&shots).unwrap();
    browser.screenshot_png(&shots.join("front-page.png"));

    // Log out through the user menu: open it, then press its logout button.
    browser.click("details.user-menu summary");
    browser.click("details.user-menu form[action=\"/logout\"] button[type=submit]");
    browser.wait_for("form[action=\"/login\"]");
    assert_eq!(browser.text("h1"), "Kirjaudu sisään");
    assert_eq!(browser.text("p.flash"), "Olet kirjautunut ulos.");

    // A wrong password: the Finnish error, the username kept, the password emptied.
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", "väärä-salasana");
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("p.form-error");
    assert_eq!(
        browser.text("p.form-error"),
        "Väärä käyttäjätunnus tai salasana."
    );
    assert_eq!(browser.value("#f-username"), "admin");
    assert_eq!(browser.value("#f-password"), "");

    // The right password logs in again.
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("details.user-menu");
    assert_eq!(browser.text("h1"), "Hei, Aino Admin!");

    // Switch the account to English: the page answers in English from then on.
    browser.goto(&server.url("/account"));
    browser.wait_for("form[action=\"/account/language\"]");
    assert_eq!(browser.text("h1"), "Omat tiedot");
    browser.select_value("#f-language", "en");
    browser.click("form[action=\"/account/language\"] button[type=submit]");
    browser.wait_for("html[lang=en]");
    assert!(browser.current_url().ends_with("/account"));
    assert_eq!(browser.text("h1"), "My account");
    assert_eq!(browser.text("p.flash"), "Language changed.");
    assert_eq!(browser.text("nav.sections a[href=\"/\"]"), "Front page");
    assert_eq!(browser.value("#f-language"), "en");
}

#[test]
fn browser_customer_with_two_contacts_is_found_by_search_with_their_roles() {
    let (server, admin) = TestServer::with_admin();
    // Another customer, so that the searches below have something to leave out.
    let other = admin.post_form(
        "/customers/new",
        "/customers/new",
        &[("name", "Muu Yritys Oy"), ("city", "Oulu")],
    );
    assert_eq!(other.status, 303, "{}", other.body);
    let browser = Browser::start();

    browser.goto(&server.url("/login"));
    browser.wait_for("form[action=\"/login\"]");
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("details.user-menu");

    // The customer list's button opens the form; the new customer's card follows.
    browser.goto(&server.url("/customers"));
    browser.wait_for("a.button.primary[href=\"/customers/new\"]");
    browser.click("a.button.primary[href=\"/customers/new\"]");
    browser.wait_for("form[action=\"/customers/new\"]");
    assert_eq!(browser.text("h1"), "Lisää asiakas");
    browser.type_into("#f-name", COMPANY);
    browser.type_into("#f-business_id", "FI01120389");
    browser.type_into("#f-email", "info@aijala.fi");
    browser.type_into("#f-phone", "040 123 4567");
    browser.type_into("#f-city", "Jyväskylä");
    browser.click("form[action=\"/customers/new\"] button.primary[type=submit]");
    browser.wait_for("section#contacts");
    assert_eq!(browser.text("h1"), COMPANY);
    assert_eq!(browser.text("p.flash"), "Asiakas lisättiin.");
    let card_url = browser.current_url();
    let id: i64 = card_url
        .rsplit('/')
        .next()
        .and_then(|s| s.split(['#', '?']).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no customer id in {card_url}"));
    assert!(browser.page_source().contains("0112038-9"), "normalised");

    // Two contacts made in place on the card, each with a role.
    let form = format!("form[action=\"/customers/{id}/contacts\"][novalidate]");
    for (first, last, email, role) in [
        ("Maija", "Meikäläinen", "maija@aijala.fi", "Toimitusjohtaja"),
        ("Kalle", "Kirjanpitäjä", "kalle@tilit.fi", "Kirjanpitäjä"),
    ] {
        browser.type_into(&format!("{form} #f-first_name"), first);
        browser.type_into(&format!("{form} #f-last_name"), last);
        browser.type_into(&format!("{form} #f-email"), email);
        browser.type_into(&format!("{form} #f-role"), role);
        browser.click(&format!("{form} button[type=submit]"));
        if first == "Maija" {
            browser.wait_for("section#contacts tbody tr:nth-child(1) td.role");
        } else {
            browser.wait_for("section#contacts tbody tr:nth-child(2) td.role");
        }
        assert_eq!(browser.text("p.flash"), "Kontakti lisättiin.");
    }

    // The header's search box finds the customer without its accents.
    browser.type_into("#global-search", "aijala");
    browser.click("form.search button[type=submit]");
    let result = format!("main ul.plain a[href=\"/customers/{id}\"]");
    browser.wait_for(&result);
    assert_eq!(browser.text("h1"), "Haku");
    assert!(browser.current_url().contains("/search?q=aijala"));
    assert!(!browser.page_source().contains("Muu Yritys Oy"));
    // The contacts are found too, by the company's e-mail domain.
    assert!(browser.page_source().contains("Maija Meikäläinen"));
    browser.click(&result);
    browser.wait_for("section#contacts tbody tr:nth-child(2)");
    assert_eq!(browser.text("h1"), COMPANY);
    assert_contacts_and_roles(&browser);

    // The list's own search does the same.
    browser.goto(&server.url("/customers"));
    browser.wait_for("form.filters #f-q");
    browser.type_into("form.filters #f-q", "äijälä");
    browser.click("form.filters button[type=submit]");
    browser.wait_for("form.filters #f-q[value=\"äijälä\"]");
    let row = format!("table.list a[href=\"/customers/{id}\"]");
    assert_eq!(browser.text(&row), COMPANY);
    assert!(!browser.page_source().contains("Muu Yritys Oy"));
    browser.click(&row);
    browser.wait_for("section#contacts tbody tr:nth-child(2)");
    assert_contacts_and_roles(&browser);
}

/// Both contacts on the card, by last name, each with its role in the role box.
fn assert_contacts_and_roles(browser: &Browser) {
    let row = |n: usize, what: &str| format!("section#contacts tbody tr:nth-child({n}) {what}");
    assert_eq!(browser.text(&row(1, "td a")), "Kalle Kirjanpitäjä");
    assert_eq!(browser.text(&row(1, "td.role")), "Kirjanpitäjä");
    assert_eq!(browser.text(&row(2, "td a")), "Maija Meikäläinen");
    assert_eq!(browser.text(&row(2, "td.role")), "Toimitusjohtaja");
    let section = browser.text("section#contacts");
    assert!(section.contains("maija@aijala.fi"), "{section}");
    assert!(section.contains("kalle@tilit.fi"), "{section}");
}

/// On a phone (390 px wide, an iPhone) the lists and the card fit the screen: nothing makes
/// the page scroll sideways, the header stays compact and every card tab is on the screen.
#[test]
fn browser_lists_and_card_fit_a_phone_screen() {
    let (server, _admin) = TestServer::with_admin();
    // Realistic data: long company names, e-mail addresses, tags and several contacts each.
    let out = minicrm(&server.db)
        .args(["demo-data", "--customers", "30", "--seed", "1"])
        .args(["--until", "2026-06-01"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let browser = Browser::start();
    browser.set_window_size(390, 844);

    browser.goto(&server.url("/login"));
    browser.wait_for("form[action=\"/login\"]");
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("details.user-menu");

    for (path, wait) in [
        ("/customers", "table.list tbody tr"),
        ("/customers/1", "section#contacts tbody tr"),
        ("/contacts", "table.list tbody tr"),
    ] {
        browser.goto(&server.url(path));
        browser.wait_for(wait);
        let m = browser.execute(
            "const tabs = [...document.querySelectorAll('nav.tabs a')];
             return {
               inner: window.innerWidth,
               page: document.documentElement.scrollWidth,
               header: document.querySelector('header.top').getBoundingClientRect().height,
               tabs: tabs.length,
               tabs_off: tabs.filter(a => a.getBoundingClientRect().right > window.innerWidth)
                 .map(a => a.textContent),
             };",
        );
        let (inner, page, header) = (
            m["inner"].as_f64(),
            m["page"].as_f64(),
            m["header"].as_f64(),
        );
        let (Some(inner), Some(page), Some(header)) = (inner, page, header) else {
            panic!("{path}: unexpected measurements {m}");
        };
        assert_eq!(
            inner, 390.0,
            "{path}: the window did not become phone-sized"
        );
        assert!(
            page <= inner,
            "{path}: the page is {page} px wide on a {inner} px screen"
        );
        assert!(
            header <= 120.0,
            "{path}: the header takes {header} px of the screen"
        );
        if path.starts_with("/customers/") {
            assert_eq!(m["tabs"], 4, "{path}: {m}");
        }
        assert_eq!(
            m["tabs_off"],
            serde_json::json!([]),
            "{path}: card tabs off the screen"
        );
    }
}

/// A one-page PDF that says "Tarjous".
const PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 44 >>
stream
BT /F1 24 Tf 40 100 Td (Tarjous) Tj ET
endstream
endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// Two files chosen on the Documents page land under Incoming; one is linked to its customer
/// and contact from there, shows on the customer's card, and the PDF previews in its frame.
#[test]
fn browser_documents_upload_assign_and_preview() {
    let (server, admin) = TestServer::with_admin();
    let created = admin.post_form(
        "/customers/new",
        "/customers/new",
        &[("name", COMPANY), ("business_id", "0112038-9")],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let customer = created
        .location()
        .trim_start_matches("/customers/")
        .to_string();
    let linked = admin.post_form(
        &format!("/customers/{customer}"),
        &format!("/customers/{customer}/contacts"),
        &[
            ("first_name", "Maija"),
            ("last_name", "Meikäläinen"),
            ("role", "Toimitusjohtaja"),
        ],
    );
    assert_eq!(linked.status, 303, "{}", linked.body);
    let files = server.dir.path().join("lähetettävät");
    std::fs::create_dir_all(&files).unwrap();
    let pdf = files.join("tarjous.pdf");
    let note = files.join("muistio.txt");
    std::fs::write(&pdf, PDF).unwrap();
    std::fs::write(&note, "Tilaus. Y-tunnus 0112038-9.\n").unwrap();

    let browser = Browser::start();
    browser.goto(&server.url("/login"));
    browser.wait_for("form[action=\"/login\"]");
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("details.user-menu");

    // Two files at once through the file input (drag-and-drop fills the same input).
    browser.goto(&server.url("/documents"));
    browser.wait_for("form.drop-zone");
    browser.send_keys(
        "form.drop-zone input[type=file]",
        &format!("{}\n{}", pdf.display(), note.display()),
    );
    browser.click("form.drop-zone button[type=submit]");
    browser.wait_for("p.flash");
    assert_eq!(browser.text("p.flash"), "Tiedostot lisättiin.");

    // Incoming lists both; the note's business ID points to the customer.
    browser.goto(&server.url("/documents?incoming=1"));
    browser.wait_for("table.list tbody tr:nth-child(2)");
    let incoming = browser.text("table.list");
    assert!(
        incoming.contains("tarjous.pdf") && incoming.contains("muistio.txt"),
        "{incoming}"
    );
    assert!(browser.text(".suggestion").contains(COMPANY));

    // The note's page (newest first: the second file chosen): choose the customer, save, then
    // its contact, save.
    browser.click("table.list tbody tr:nth-child(1) a[href^=\"/documents/\"]");
    browser.wait_for("section#details");
    assert!(browser.text("h1").contains("muistio"));
    let page_url = browser.current_url();
    browser.select_value("#f-customer_id", &customer);
    browser.click("section#details form[method=post] button[type=submit]");
    browser.wait_for("p.flash");
    let contact_option = "#f-contact_id option:nth-child(2)";
    browser.wait_for(contact_option);
    assert!(browser.text(contact_option).contains("Maija Meikäläinen"));
    browser.click(contact_option);
    browser.click("section#details form[method=post] button[type=submit]");
    browser.wait_for("p.flash");
    assert_eq!(browser.current_url(), page_url);
    let details = browser.text("main section.card");
    assert!(
        details.contains(COMPANY) && details.contains("Maija Meikäläinen"),
        "{details}"
    );

    // The customer's card lists it under Documents.
    browser.goto(&server.url(&format!("/customers/{customer}?tab=documents")));
    browser.wait_for("section#documents");
    let tab = browser.text("section#documents");
    assert!(
        tab.contains("muistio.txt") && !tab.contains("tarjous.pdf"),
        "{tab}"
    );

    // The PDF previews in a sandboxed frame, from a sandboxed inline answer.
    browser.goto(&server.url("/documents?incoming=1"));
    browser.wait_for("table.list tbody tr");
    browser.click("table.list tbody tr a[href^=\"/documents/\"]");
    browser.wait_for("iframe.preview");
    // Not a sandboxed frame (Chromium would not show a PDF in one); the answer is sandboxed.
    browser.find("iframe.preview:not([sandbox])");
    let answer = browser.execute(
        "const src = document.querySelector('iframe.preview').getAttribute('src');
         return fetch(src).then(r => [r.status, r.headers.get('content-type'),
           r.headers.get('content-disposition'), r.headers.get('content-security-policy')]);",
    );
    assert_eq!(answer[0], 200, "{answer}");
    assert_eq!(answer[1], "application/pdf");
    assert!(
        answer[2].as_str().unwrap().starts_with("inline;"),
        "{answer}"
    );
    assert!(
        answer[3].as_str().unwrap().starts_with("sandbox;"),
        "{answer}"
    );
}

/// At 1280 px the customer card's contacts table fits its column: no sideways scroll, each
/// phone number on one line, the row's actions whole. Roles read as text, with the actions as
/// links to their own pages. The screenshots are kept as the front page's is
/// (`MINICRM_SCREENSHOTS=1`).
#[test]
fn browser_the_card_contacts_table_fits_at_1280_px_and_on_a_phone() {
    let (server, _admin) = TestServer::with_admin();
    let out = minicrm(&server.db)
        .args(["demo-data", "--customers", "30", "--seed", "1"])
        .args(["--until", "2026-06-01"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shots = match std::env::var_os("MINICRM_SCREENSHOTS") {
        Some(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots"),
        None => server.dir.path().to_path_buf(),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Browser::start();
    browser.goto(&server.url("/login"));
    browser.wait_for("form[action=\"/login\"]");
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("details.user-menu");
    for (width, shot) in [
        (1280, "customer-card.png"),
        (390, "customer-card-phone.png"),
    ] {
        browser.set_window_size(width, 900);
        browser.goto(&server.url("/customers/1"));
        browser.wait_for("section#contacts tbody tr");
        let m = browser.execute(
            "const wrap = document.querySelector('section#contacts .table-wrap');
             const card = document.querySelector('section#contacts').getBoundingClientRect();
             const cells = sel => [...document.querySelectorAll('section#contacts ' + sel)];
             const lines = el => { const r = document.createRange(); r.selectNodeContents(el);
               return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; };
             return {
               inner: window.innerWidth,
               page: document.documentElement.scrollWidth,
               wrap_scroll: wrap.scrollWidth, wrap_width: wrap.clientWidth,
               tall_phones: cells('td.phone').filter(td => lines(td) > 1).map(td => td.textContent),
               cut_actions: cells('td.row-actions').filter(td =>
                 td.getBoundingClientRect().right > card.right + 1).length,
               role_inputs: cells('tbody input[name=role]').length,
             };",
        );
        browser.screenshot_png(&shots.join(shot));
        let n = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{width}: {m}"));
        assert!(
            n("page") <= n("inner"),
            "{width}: the page scrolls sideways: {m}"
        );
        if width == 1280 {
            assert!(
                n("wrap_scroll") <= n("wrap_width"),
                "the table scrolls: {m}"
            );
        }
        assert_eq!(m["tall_phones"], serde_json::json!([]), "{width}: {m}");
        assert_eq!(m["cut_actions"], 0, "{width}: {m}");
        assert_eq!(
            m["role_inputs"], 0,
            "{width}: roles are text, not inputs: {m}"
        );
    }
}

#[test]
fn browser_a_call_recorded_on_a_card_is_found_in_the_log_and_leads_back_to_the_customer() {
    let (server, admin) = TestServer::with_admin();
    let mut ids = Vec::new();
    for name in ["Kattila Oy", "Muu Yritys Oy"] {
        let made = admin.post_form("/customers/new", "/customers/new", &[("name", name)]);
        assert_eq!(made.status, 303, "{}", made.body);
        let id: i64 = made.location().rsplit('/').next().unwrap().parse().unwrap();
        ids.push(id);
    }
    let id = ids[0];
    let browser = Browser::start();
    browser.goto(&server.url("/login"));
    browser.wait_for("form[action=\"/login\"]");
    browser.type_into("#f-username", "admin");
    browser.type_into("#f-password", ADMIN_PASSWORD);
    browser.click("form[action=\"/login\"] button[type=submit]");
    browser.wait_for("details.user-menu");

    // The card's Log tab: open the entry form, record a call.
    browser.goto(&server.url(&format!("/customers/{id}?tab=log")));
    browser.wait_for("details.new-entry summary");
    browser.click("details.new-entry summary");
    browser.wait_for("form.entry #f-summary");
    browser.select_value("form.entry #f-kind", "call");
    browser.type_into(
        "form.entry #f-summary",
        "Soitettiin: lämpöpumppu vaihdetaan syyskuussa",
    );
    browser.click("form.entry button.primary[type=submit]");
    // The card already lists the customer's creation: wait for the answer to the entry (its
    // flash), not for any entry.
    browser.wait_for("p.flash");
    assert!(browser
        .text("ol.events li.event span.summary")
        .contains("lämpöpumppu"));

    // The log page's search finds it by the beginning of a word, without its accents.
    browser.goto(&server.url("/log"));
    browser.wait_for("form.log-filter #f-q");
    browser.type_into("form.log-filter #f-q", "lampopump");
    browser.click("form.log-filter button[type=submit]");
    browser.wait_for("ol.events li.event mark");
    assert_eq!(browser.text("ol.events li.event mark"), "lämpöpumppu");
    assert_eq!(browser.text("ol.events li.event span.kind"), "Puhelu");
    assert!(!browser.page_source().contains("Muu Yritys Oy"));

    // The hit names its customer; the link opens the card.
    let link = format!("ol.events li.event a.customer[href=\"/customers/{id}\"]");
    assert_eq!(browser.text(&link), "Kattila Oy");
    browser.click(&link);
    browser.wait_for("section#contacts");
    assert_eq!(browser.text("h1"), "Kattila Oy");
    assert!(browser.current_url().ends_with(&format!("/customers/{id}")));
}
