//! The page table: method + path → who may use it → handler, readable top to bottom. Literal
//! paths come before the patterns that would also match them (`/customers/new` before
//! `/customers/{id}`).

use super::routes::{route, Access::*, Route};
use crate::contacts::list::Contacts;
use crate::customers::list::Customers;
use crate::http::Method::{Get, Post};
use crate::register::form;
use crate::register::page::{self, bulk_tags};
use crate::tasks::list::Tasks;
use crate::views::Section;
use crate::{admin, contacts, customers, exchange, home, tasks, users, ytj};

#[rustfmt::skip]
pub static PAGES: &[Route] = &[
    // Open to anyone: the first-run wizard and the login.
    route(Get, "/setup", Anyone, |c, _, _| users::pages::setup_form(c)),
    route(Post, "/setup", Anyone, |c, _, f| users::pages::setup_submit(c, f)),
    route(Get, "/login", Anyone, |c, _, _| users::pages::login_form(c)),
    route(Post, "/login", Anyone, |c, _, f| users::pages::login_submit(c, f)),
    // The calendar feed: the secret token in the path is the key; the handler checks it.
    route(Get, "/calendar/{token}.ics", Anyone, |c, p, _| tasks::calendar::feed(c, p.text(0))),
    route(Get, "/", LoggedIn, |c, _, _| home::front(c)),
    route(Get, "/search", LoggedIn, |c, _, _| home::search(c)),
    route(Get, "/documents", LoggedIn, |c, _, _| home::section(c, Section::Documents)),
    route(Get, "/tasks", LoggedIn, |c, _, _| tasks::pages::list_page(c)),
    route(Get, "/tasks/new", Writer, |c, _, _| tasks::pages::new_form(c)),
    route(Post, "/tasks/new", Writer, |c, _, f| form::create::<Tasks>(c, f)),
    route(Get, "/tasks/{id}", LoggedIn, |c, p, _| tasks::pages::card(c, p.id(0)?)),
    route(Get, "/tasks/{id}/edit", Writer, |c, p, _| form::edit_form::<Tasks>(c, p.id(0)?)),
    route(Post, "/tasks/{id}/edit", Writer, |c, p, f| form::save::<Tasks>(c, p.id(0)?, f)),
    route(Post, "/tasks/{id}/done", Writer, |c, p, f| tasks::pages::set_done(c, p.id(0)?, true, f)),
    route(Post, "/tasks/{id}/reopen", Writer, |c, p, f| tasks::pages::set_done(c, p.id(0)?, false, f)),
    route(Get, "/tasks/{id}/delete", Writer, |c, p, _| tasks::pages::delete_confirm(c, p.id(0)?)),
    route(Post, "/tasks/{id}/delete", Writer, |c, p, _| tasks::pages::delete(c, p.id(0)?)),
    route(Post, "/reminders/{id}/dismiss", LoggedIn, |c, p, _| tasks::pages::dismiss(c, p.id(0)?)),
    route(Get, "/log", LoggedIn, |c, _, _| home::section(c, Section::Log)),
    route(Get, "/customers", LoggedIn, |c, _, _| page::list::<Customers>(c)),
    route(Get, "/customers.csv", LoggedIn, |c, _, _| exchange::pages::customers_csv(c)),
    route(Get, "/customers.xlsx", LoggedIn, |c, _, _| exchange::pages::customers_xlsx(c)),
    route(Post, "/customers/tags", Writer, |c, _, f| bulk_tags::<Customers>(c, f)),
    route(Get, "/customers/new", Writer, |c, _, _| customers::pages::new_form(c)),
    route(Post, "/customers/new", Writer, |c, _, f| form::create::<Customers>(c, f)),
    route(Post, "/customers/ytj", Writer, |c, _, f| ytj::pages::lookup_new(c, f)),
    route(Get, "/customers/duplicates", LoggedIn, |c, _, _| customers::merge::duplicates_page(c)),
    route(Get, "/customers/merge", Admin, |c, _, _| customers::merge::merge_form(c)),
    route(Post, "/customers/merge", Admin, |c, _, f| customers::merge::merge_submit(c, f)),
    route(Get, "/customers/{id}", LoggedIn, |c, p, _| contacts::pages::customer_card(c, p.id(0)?)),
    route(Get, "/customers/{id}/edit", Writer, |c, p, _| form::edit_form::<Customers>(c, p.id(0)?)),
    route(Post, "/customers/{id}/edit", Writer, |c, p, f| form::save::<Customers>(c, p.id(0)?, f)),
    route(Post, "/customers/{id}/ytj", Writer, |c, p, f| ytj::pages::lookup_edit(c, p.id(0)?, f)),
    route(Post, "/customers/{id}/archive", Writer, |c, p, f| customers::pages::archive(c, p.id(0)?, f)),
    route(Get, "/customers/{id}/delete", Admin, |c, p, _| customers::pages::delete_confirm(c, p.id(0)?)),
    route(Post, "/customers/{id}/delete", Admin, |c, p, _| customers::pages::delete(c, p.id(0)?)),
    route(Post, "/customers/{id}/contacts", Writer, |c, p, f| contacts::pages::add_to_customer(c, p.id(0)?, f)),
    route(Get, "/customers/{id}/contacts/{contact}/role", Writer, |c, p, _| contacts::pages::role_form(c, p.id(0)?, p.id(1)?)),
    route(Post, "/customers/{id}/contacts/{contact}/role", Writer, |c, p, f| contacts::pages::set_role(c, p.id(0)?, p.id(1)?, f)),
    route(Get, "/customers/{id}/contacts/{contact}/unlink", Writer, |c, p, _| contacts::pages::unlink_confirm(c, p.id(0)?, p.id(1)?)),
    route(Post, "/customers/{id}/contacts/{contact}/unlink", Writer, |c, p, f| contacts::pages::unlink(c, p.id(0)?, p.id(1)?, f)),
    route(Get, "/contacts", LoggedIn, |c, _, _| page::list::<Contacts>(c)),
    route(Get, "/contacts.csv", LoggedIn, |c, _, _| exchange::pages::contacts_csv(c)),
    route(Get, "/contacts.xlsx", LoggedIn, |c, _, _| exchange::pages::contacts_xlsx(c)),
    route(Get, "/contacts.vcf", LoggedIn, |c, _, _| exchange::pages::contacts_vcard(c)),
    route(Post, "/contacts/tags", Writer, |c, _, f| bulk_tags::<Contacts>(c, f)),
    route(Get, "/contacts/new", Writer, |c, _, _| contacts::pages::new_form(c)),
    route(Post, "/contacts/new", Writer, |c, _, f| form::create::<Contacts>(c, f)),
    route(Get, "/contacts/duplicates", LoggedIn, |c, _, _| contacts::merge::duplicates_page(c)),
    route(Get, "/contacts/merge", Admin, |c, _, _| contacts::merge::merge_form(c)),
    route(Post, "/contacts/merge", Admin, |c, _, f| contacts::merge::merge_submit(c, f)),
    route(Get, "/contacts/{id}.vcf", LoggedIn, |c, p, _| exchange::pages::contact_vcard(c, p.id(0)?)),
    route(Get, "/contacts/{id}", LoggedIn, |c, p, _| contacts::pages::card(c, p.id(0)?)),
    route(Get, "/contacts/{id}/edit", Writer, |c, p, _| form::edit_form::<Contacts>(c, p.id(0)?)),
    route(Post, "/contacts/{id}/edit", Writer, |c, p, f| form::save::<Contacts>(c, p.id(0)?, f)),
    route(Get, "/contacts/{id}/delete", Writer, |c, p, _| contacts::pages::delete_confirm(c, p.id(0)?)),
    route(Post, "/contacts/{id}/delete", Writer, |c, p, _| contacts::pages::delete(c, p.id(0)?)),
    route(Post, "/contacts/{id}/customers", Writer, |c, p, f| contacts::pages::link(c, p.id(0)?, f)),
    // One's own account: readonly users too.
    route(Post, "/logout", LoggedIn, |c, _, _| users::pages::logout(c)),
    route(Get, "/account", LoggedIn, |c, _, _| users::pages::account(c)),
    route(Post, "/account/password", LoggedIn, |c, _, f| users::pages::change_password(c, f)),
    route(Post, "/account/language", LoggedIn, |c, _, f| users::pages::change_language(c, f)),
    route(Post, "/account/calendar", LoggedIn, |c, _, _| users::pages::new_calendar_link(c)),
    route(Post, "/account/tokens", LoggedIn, |c, _, f| users::pages::create_token(c, f)),
    route(Post, "/account/tokens/{id}/delete", LoggedIn, |c, p, _| users::pages::delete_token(c, p.id(0)?)),
    route(Get, "/settings", LoggedIn, |c, _, _| admin::pages::index(c)),
    route(Post, "/settings", Admin, |c, _, f| admin::pages::save(c, f)),
    route(Get, "/settings/users", Admin, |c, _, _| users::pages::user_list(c)),
    route(Get, "/settings/users/new", Admin, |c, _, _| users::pages::user_new(c)),
    route(Post, "/settings/users/new", Admin, |c, _, f| users::pages::user_create(c, f)),
    route(Get, "/settings/users/{id}", Admin, |c, p, _| users::pages::user_edit(c, p.id(0)?)),
    route(Post, "/settings/users/{id}", Admin, |c, p, f| users::pages::user_save(c, p.id(0)?, f)),
    route(Get, "/settings/task-groups", Admin, |c, _, _| tasks::pages::groups_page(c)),
    route(Post, "/settings/task-groups", Admin, |c, _, f| tasks::pages::add_group(c, f)),
    route(Post, "/settings/task-groups/{id}/delete", Admin, |c, p, _| tasks::pages::delete_group(c, p.id(0)?)),
    route(Get, "/settings/logins", Admin, |c, _, _| users::pages::login_history(c)),
    route(Get, "/settings/import", Admin, |c, _, _| exchange::pages::import_form(c)),
    route(Post, "/settings/import", Admin, |c, _, f| exchange::pages::import_submit(c, f)),
    route(Get, "/settings/backups", Admin, |c, _, _| admin::pages::backups(c)),
    route(Get, "/settings/backups/download", Admin, |c, _, _| admin::pages::download_fresh(c)),
    route(Get, "/settings/backups/file/{name}", Admin, |c, p, _| admin::pages::download_file(c, p.text(0))),
];
