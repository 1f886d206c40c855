//! Journeys through the app in a real headless Chromium, driven over WebDriver. These catch what
//! the HTTP-level tests cannot: that the pages' forms, buttons, menus and cookies work together
//! in a browser. They need Debian's `chromium` and `chromium-driver`.

mod common;

use std::path::Path;

use common::webdriver::Browser;
use common::*;

const COMPANY: &str = "Kahvila Äijälä Oy";

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
