//! The demo data generator: customers, contacts, links, tags and log events, a chunk at a time.

use super::words::*;
use super::Stats;
use indicatif::ProgressBar;

use chrono::NaiveDate;
use rusqlite::{params, Connection};

use crate::customers::{name_key, BusinessId};
use crate::i18n::Lang;
use crate::log::EventKind;

pub(super) struct Gen {
    rng: Rng,
    lang: Lang,
    n: u64,
    users: Vec<i64>,
    prefix: String,
    next_seq: i64,
    next_invoice: u64,
    business_ids: BusinessIds,
    tag_ids: Vec<(String, i64)>,
    /// First day of the history and the day it ends (exclusive), in days since 1970.
    first_day: i64,
    end_day: i64,
    /// Contacts of recent customers that a later one may share: (id, full name).
    recent: Vec<(i64, String)>,
    /// When reminders go out (the company's time zone and working day), for future tasks.
    rules: crate::tasks::schedule::Rules,
    /// The new tasks' reminder lead time in days (the setting).
    remind_days: u32,
}

pub(super) const INSERT_CUSTOMER: &str = "INSERT INTO customers (number, number_seq, name, name_key, business_id, email, phone,
    website, street, postal_code, city, country, einvoice_address, einvoice_operator, notes, owner_id, archived,
    created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'FI', ?12, ?13, ?14, ?15, ?16, ?17, ?17)";
pub(super) const INSERT_CONTACT: &str = "INSERT INTO contacts (first_name, last_name, email, phone, title, notes, created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?6)";
pub(super) const INSERT_LINK: &str =
    "INSERT INTO customer_contacts (customer_id, contact_id, role) VALUES (?1, ?2, ?3)";
pub(super) const INSERT_CUSTOMER_TAG: &str =
    "INSERT INTO customer_tags (customer_id, tag_id) VALUES (?1, ?2)";
pub(super) const INSERT_CONTACT_TAG: &str =
    "INSERT INTO contact_tags (contact_id, tag_id) VALUES (?1, ?2)";
/// The columns and order of `log::append`.
pub(super) const INSERT_EVENT: &str =
    "INSERT INTO events (at, kind, customer_id, contact_id, document_id, task_id, user_id,
    summary, amount, currency, reference, search_text)
    VALUES (?1, ?2, ?3, ?4, ?12, ?11, ?5, ?6, ?7, ?8, ?9, ?10)";
pub(super) const INSERT_TASK: &str =
    "INSERT INTO tasks (description, assignee_id, due_date, due_time,
    customer_id, contact_id, done, done_at, remind_days_before, created_by, created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
pub(super) const INSERT_REMINDER: &str =
    "INSERT INTO reminders (task_id, user_id, kind, remind_at) VALUES (?1, ?2, ?3, ?4)";
pub(super) const NUMBER_TAKEN: &str = "SELECT EXISTS (SELECT 1 FROM customers WHERE number = ?1)";

impl Gen {
    pub(super) fn new(
        conn: &mut Connection,
        n: u64,
        seed: u64,
        until: NaiveDate,
    ) -> rusqlite::Result<Gen> {
        // Mix the seed so that seeds 1, 2, 3 start far apart.
        let mut rng = Rng(seed ^ 0x6D69_6E69_6372_6D00);
        rng.next();
        let lang = crate::log::summary_lang(conn)?;
        let settings = crate::settings::load(conn)?;
        let users: Vec<i64> = conn
            .prepare("SELECT id FROM users WHERE active = 1 AND role <> 'readonly' ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let next_seq: i64 = conn.query_row(
            "SELECT coalesce(max(number_seq), ?1 - 1) + 1 FROM customers",
            [crate::customers::store::FIRST_NUMBER],
            |r| r.get(0),
        )?;
        let invoices: u64 = conn.query_row(
            "SELECT count(*) FROM events WHERE kind = 'invoice'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64;
        let business_ids = BusinessIds::new(conn, &mut rng)?;
        let mut tag_ids = Vec::new();
        crate::db::write(conn, |tx| -> rusqlite::Result<()> {
            let names = CUSTOMER_TAGS
                .iter()
                .map(|(t, _)| *t)
                .chain(CITY_TAGS.iter().copied())
                .chain([NEW_CUSTOMER_TAG, DECISION_MAKER_TAG])
                .chain(CONTACT_TAGS.iter().map(|(t, _)| *t));
            for name in names {
                tx.execute(
                    "INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                    [name],
                )?;
                let id: i64 =
                    tx.query_row("SELECT id FROM tags WHERE name = ?1", [name], |r| r.get(0))?;
                tag_ids.push((name.to_string(), id));
            }
            Ok(())
        })?;
        let end_day = until
            .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
            .num_days();
        Ok(Gen {
            rng,
            lang,
            n,
            users,
            prefix: settings.customer_number_prefix,
            next_seq,
            next_invoice: 10_001 + invoices,
            business_ids,
            tag_ids,
            first_day: end_day - 730,
            end_day,
            recent: Vec::new(),
            rules: crate::tasks::store::rules(conn)?,
            remind_days: settings.remind_days_before,
        })
    }

    pub(super) fn tag(&self, name: &str) -> i64 {
        self.tag_ids
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, id)| *id)
            .unwrap_or_default()
    }

    pub(super) fn user(&mut self) -> Option<i64> {
        if self.users.is_empty() {
            None
        } else {
            Some(*self.rng.pick(&self.users))
        }
    }

    pub(super) fn mobile(&mut self) -> String {
        let prefix = *self.rng.pick(MOBILE_PREFIXES);
        format!(
            "{prefix} {} {}",
            self.rng.digits(3, true),
            self.rng.digits(4, false)
        )
    }

    pub(super) fn surname_with_genitive(&mut self) -> (String, String) {
        loop {
            let s = *self.rng.pick(&SURNAMES);
            if let Some(g) = genitive(s) {
                return (s.to_string(), g);
            }
        }
    }

    /// A company name without its form, and whether it names a person (`Tmi Jari Virtanen`).
    pub(super) fn company_name(
        &mut self,
        form: Form,
        city_genitive: &str,
    ) -> (String, Option<(String, String)>) {
        let rng = &mut self.rng;
        if form == Form::Tmi && rng.chance(0.5) {
            let first = rng.pick(&FIRST_NAMES).to_string();
            let last = rng.pick(&SURNAMES).to_string();
            return (format!("{first} {last}"), Some((first, last)));
        }
        if matches!(form, Form::Ky | Form::Ay) && rng.chance(0.4) {
            let a = *rng.pick(&SURNAMES);
            let mut b = *rng.pick(&SURNAMES);
            while b == a {
                b = *rng.pick(&SURNAMES);
            }
            return (format!("{a} & {b}"), None);
        }
        let trade = *self.rng.pick(&TRADES);
        let name = match self.rng.below(100) {
            0..=29 => format!("{} {}", self.surname_with_genitive().1, trade.0),
            30..=49 => {
                let mut trade = trade;
                while !trade.1 {
                    trade = *self.rng.pick(&TRADES);
                }
                format!("{}{}", self.rng.pick(&NATURE), trade.0.to_lowercase())
            }
            50..=64 => format!("{city_genitive} {}", trade.0),
            65..=77 => format!("{} {}", self.rng.pick(&NATURE), self.rng.pick(&ENGLISH)),
            78..=92 => format!("{} {}", trade.0, self.rng.pick(&SURNAMES)),
            93..=96 => format!("{} {} ja Pojat", self.surname_with_genitive().1, trade.0),
            _ => format!("Suomen {}", trade.0),
        };
        (name, None)
    }

    /// Writes customers `from..from + count` (of this run) and everything that belongs to them.
    pub(super) fn chunk(
        &mut self,
        tx: &Connection,
        from: u64,
        count: u64,
        stats: &mut Stats,
        bar: &ProgressBar,
    ) -> rusqlite::Result<()> {
        let mut insert_customer = tx.prepare_cached(INSERT_CUSTOMER)?;
        let mut insert_contact = tx.prepare_cached(INSERT_CONTACT)?;
        let mut insert_link = tx.prepare_cached(INSERT_LINK)?;
        let mut insert_customer_tag = tx.prepare_cached(INSERT_CUSTOMER_TAG)?;
        let mut insert_contact_tag = tx.prepare_cached(INSERT_CONTACT_TAG)?;
        let mut insert_event = tx.prepare_cached(INSERT_EVENT)?;
        let mut number_taken = tx.prepare_cached(NUMBER_TAKEN)?;
        let mut insert_task = tx.prepare_cached(INSERT_TASK)?;
        let mut insert_reminder = tx.prepare_cached(INSERT_REMINDER)?;
        let mut events: Vec<Ev> = Vec::with_capacity(count as usize * 12);
        let end_ts = self.end_day * DAY;
        let lang = self.lang;

        for i in from..from + count {
            if i % 500 == 0 {
                bar.set_position(i);
            }
            // -- The customer --
            let form = *self.rng.weighted(FORMS);
            let city = *self.rng.weighted_by(&CITIES, |c| c.5);
            let (base, person) = self.company_name(form, city.1);
            let name = match form {
                Form::Oy => format!("{base} Oy"),
                Form::Oyj => format!("{base} Oyj"),
                Form::Ky => format!("{base} Ky"),
                Form::Ay => format!("{base} Ay"),
                Form::Tmi => format!("Tmi {base}"),
            };
            let key = name_key(&name);
            let words: Vec<String> = key.split_whitespace().map(fold_ascii).collect();
            let joined = if words.len() > 1 && self.rng.chance(0.25) {
                words.join("-")
            } else {
                words.concat()
            };
            let joined = if joined.len() > 30 {
                words.iter().take(2).cloned().collect::<Vec<_>>().concat()
            } else {
                joined
            };
            let tld = if self.rng.chance(0.9) { "fi" } else { "com" };
            let domain = format!("{joined}.{tld}");
            let email = if !self.rng.chance(0.9) {
                String::new()
            } else if let Some((first, last)) = &person {
                format!("{}.{}@{domain}", fold_ascii(first), fold_ascii(last))
            } else {
                format!("{}@{domain}", self.rng.weighted(&EMAIL_LOCALS))
            };
            let website_share = if form == Form::Tmi { 0.4 } else { 0.75 };
            let website = if self.rng.chance(website_share) {
                format!("https://www.{domain}")
            } else {
                String::new()
            };
            let phone = match self.rng.below(100) {
                0..=44 => format!(
                    "{} {} {}",
                    city.4,
                    self.rng.digits(4, true),
                    self.rng.digits(3, false)
                ),
                45..=89 => self.mobile(),
                _ => String::new(),
            };
            let street = if self.rng.chance(0.03) {
                format!("PL {}", self.rng.between(1, 999))
            } else {
                let root = *self.rng.pick(&STREET_ROOTS);
                let end = *self.rng.pick(&STREET_ENDS);
                let root = if root.ends_with("katu") {
                    root.to_string()
                } else {
                    format!("{root}{end}")
                };
                let mut street = format!("{root} {}", self.rng.between(1, 60));
                if self.rng.chance(0.3) {
                    let stair = char::from(b'A' + self.rng.below(4) as u8);
                    street.push_str(&format!(" {stair} {}", self.rng.between(1, 40)));
                }
                street
            };
            let postal = city.2 + 10 * self.rng.below(u64::from((city.3 - city.2) / 10 + 1)) as u32;
            let postal_code = format!("{postal:05}");
            let business_id = self.business_ids.next();
            let big = matches!(form, Form::Oy | Form::Oyj);
            let (einvoice_address, einvoice_operator) = match &business_id {
                Some(id) if self.rng.chance(if big { 0.35 } else { 0.1 }) => (
                    format!("0037{}", id.as_str().replace('-', "")),
                    self.rng.pick(&OPERATORS).to_string(),
                ),
                _ => (String::new(), String::new()),
            };
            let notes = if self.rng.chance(0.1) {
                text(lang, self.rng.pick(&CUSTOMER_NOTES)).to_string()
            } else {
                String::new()
            };
            let owner = if self.rng.chance(0.75) {
                self.user()
            } else {
                None
            };
            let archived = self.rng.chance(0.04);
            // Customers join in order over the two years, a few each working day.
            let span = (self.end_day - self.first_day) as f64;
            let day = self.first_day + (span * (i as f64 + self.rng.unit()) / self.n as f64) as i64;
            let created = office_time(&mut self.rng, day);
            let mut seq = self.next_seq;
            let number = loop {
                let number = format!("{}{seq}", self.prefix);
                if !number_taken.query_row([&number], |r| r.get::<_, bool>(0))? {
                    break number;
                }
                seq += 1;
            };
            self.next_seq = seq + 1;
            let created_at = stamp(created);
            insert_customer.execute(params![
                number,
                seq,
                name,
                key,
                business_id.as_ref().map(BusinessId::as_str),
                email,
                phone,
                website,
                street,
                postal_code,
                city.0,
                einvoice_address,
                einvoice_operator,
                notes,
                owner,
                archived,
                created_at,
            ])?;
            let customer = tx.last_insert_rowid();
            stats.customers += 1;

            for (tag, share) in CUSTOMER_TAGS {
                if self.rng.chance(*share) {
                    insert_customer_tag.execute([customer, self.tag(tag)])?;
                }
            }
            if CITY_TAGS.contains(&city.0) && self.rng.chance(0.25) {
                insert_customer_tag.execute([customer, self.tag(city.0)])?;
            }
            if created > end_ts - 90 * DAY && self.rng.chance(0.5) {
                insert_customer_tag.execute([customer, self.tag(NEW_CUSTOMER_TAG)])?;
            }

            let by = owner.or_else(|| self.user());
            if i % super::documents::EVERY == 0 {
                let doc = super::documents::Demo {
                    customer,
                    name: &name,
                    number: &number,
                    business_id: business_id.as_ref().map(BusinessId::as_str),
                    email: &email,
                    at: created + self.rng.between(1, 30) as i64 * DAY,
                    // Some come by e-mail and wait under Incoming, for its suggestions.
                    incoming: i % (10 * super::documents::EVERY) == 0 && !email.is_empty(),
                };
                if doc.at < end_ts {
                    events.push(super::documents::write(tx, &doc, by, lang)?);
                    stats.documents += 1;
                }
            }
            events.push(Ev {
                document: None,
                at: created,
                kind: EventKind::CustomerCreated,
                customer: Some(customer),
                contact: None,
                user: by,
                summary: lang.tf(
                    "summary.customer_created",
                    &[("name", &name), ("number", &number)],
                ),
                amount: None,
                reference: None,
                task: None,
                search: name.clone(),
            });

            // -- Its contacts --
            let how_many = match form {
                Form::Tmi => 1 + u64::from(self.rng.chance(0.3)),
                Form::Ky | Form::Ay => self.rng.between(1, 3),
                Form::Oy => *self
                    .rng
                    .weighted(&[(1, 5), (2, 15), (3, 30), (4, 30), (5, 20)]),
                Form::Oyj => self.rng.between(4, 6),
            };
            let mut at = created;
            let mut own: Vec<(i64, String)> = Vec::new();
            let mut roles_taken: Vec<&str> = Vec::new();
            for k in 0..how_many {
                let (first, last) = match (&person, k) {
                    (Some((f, l)), 0) => (f.clone(), l.clone()),
                    _ => (
                        self.rng.pick(&FIRST_NAMES).to_string(),
                        self.rng.pick(&SURNAMES).to_string(),
                    ),
                };
                let role = if k == 0 {
                    text(lang, &head_role(form))
                } else {
                    let mut role = text(lang, self.rng.pick(&ROLES));
                    while roles_taken.contains(&role) {
                        role = text(lang, self.rng.pick(&ROLES));
                    }
                    role
                };
                roles_taken.push(role);
                let contact_email = if self.rng.chance(0.85) {
                    format!("{}.{}@{domain}", fold_ascii(&first), fold_ascii(&last))
                } else {
                    String::new()
                };
                let contact_phone = if self.rng.chance(0.9) {
                    self.mobile()
                } else {
                    String::new()
                };
                at += 60 * self.rng.between(2, 15) as i64;
                insert_contact.execute(params![
                    first,
                    last,
                    contact_email,
                    contact_phone,
                    role,
                    stamp(at)
                ])?;
                let contact = tx.last_insert_rowid();
                stats.contacts += 1;
                insert_link.execute(params![customer, contact, role])?;
                stats.links += 1;
                if k == 0 && self.rng.chance(0.5) {
                    insert_contact_tag.execute([contact, self.tag(DECISION_MAKER_TAG)])?;
                }
                for (tag, share) in CONTACT_TAGS {
                    if self.rng.chance(*share) {
                        insert_contact_tag.execute([contact, self.tag(tag)])?;
                    }
                }
                let full = format!("{first} {last}");
                let search = format!("{full} {name}");
                events.push(Ev {
                    document: None,
                    at,
                    kind: EventKind::ContactCreated,
                    customer: Some(customer),
                    contact: Some(contact),
                    user: by,
                    summary: lang.tf("summary.contact_created", &[("name", &full)]),
                    amount: None,
                    reference: None,
                    task: None,
                    search: search.clone(),
                });
                events.push(Ev {
                    document: None,
                    at,
                    kind: EventKind::ContactLinked,
                    customer: Some(customer),
                    contact: Some(contact),
                    user: by,
                    summary: lang.tf(
                        "summary.contact_linked",
                        &[("name", &full), ("customer", &name), ("role", role)],
                    ),
                    amount: None,
                    reference: None,
                    task: None,
                    search,
                });
                own.push((contact, full));
            }

            // -- A contact shared with an earlier customer (a board seat, an accountant) --
            if !self.recent.is_empty() && self.rng.chance(0.07) {
                let (contact, full) =
                    self.recent[self.rng.below(self.recent.len() as u64) as usize].clone();
                let role = text(lang, self.rng.pick(&SHARED_ROLES));
                insert_link.execute(params![customer, contact, role])?;
                stats.links += 1;
                at += 60 * self.rng.between(2, 15) as i64;
                events.push(Ev {
                    document: None,
                    at,
                    kind: EventKind::ContactLinked,
                    customer: Some(customer),
                    contact: Some(contact),
                    user: by,
                    summary: lang.tf(
                        "summary.contact_linked",
                        &[("name", &full), ("customer", &name), ("role", role)],
                    ),
                    amount: None,
                    reference: None,
                    task: None,
                    search: format!("{full} {name}"),
                });
            }
            for c in &own {
                if self.recent.len() < 64 {
                    self.recent.push(c.clone());
                } else {
                    let slot = self.rng.below(64) as usize;
                    self.recent[slot] = c.clone();
                }
            }

            // -- What happened with the customer since --
            let days_left = self.end_day - created.div_euclid(DAY) - 1;
            let activities = if days_left > 0 {
                self.rng.between(1, 5)
            } else {
                0
            };
            for _ in 0..activities {
                let day = created.div_euclid(DAY) + 1 + self.rng.below(days_left as u64) as i64;
                let mut t = office_time(&mut self.rng, day);
                if t < created + 3600 {
                    // A weekend moved it back before the customer existed: later that day.
                    t = created + 3600 + self.rng.below(4 * 3600) as i64;
                }
                let user = if self.rng.chance(0.7) {
                    by
                } else {
                    self.user()
                };
                let person = own[self.rng.below(own.len() as u64) as usize].clone();
                let with_person = |template: &str| template.replace("{p}", &person.1);
                let (kind, summary, contact) = match *self.rng.weighted(ACTIVITIES) {
                    Activity::Note => (
                        EventKind::Note,
                        text(lang, self.rng.pick(&NOTES)).to_string(),
                        None,
                    ),
                    Activity::Call => (
                        EventKind::Call,
                        with_person(text(lang, self.rng.pick(&CALLS))),
                        Some(person.0),
                    ),
                    Activity::Meeting => (
                        EventKind::Meeting,
                        with_person(text(lang, self.rng.pick(&MEETINGS))),
                        Some(person.0),
                    ),
                    Activity::Email => (
                        EventKind::Email,
                        with_person(text(lang, self.rng.pick(&EMAILS))),
                        Some(person.0),
                    ),
                    Activity::Invoice => {
                        // Log-uniform between 40 € and 15,000 €, often in whole euros.
                        let euros = (40f64.ln() + self.rng.unit() * (15_000f64 / 40.0).ln()).exp();
                        let mut cents = (euros * 100.0) as u64;
                        if self.rng.chance(0.6) {
                            cents -= cents % 100;
                        }
                        let invoice = self.next_invoice;
                        self.next_invoice += 1;
                        let reference = reference_number(invoice);
                        let (amount, shown) = money(lang, cents);
                        let due = lang.date(date_of(t + 14 * DAY));
                        let summary = match lang {
                            Lang::Fi => {
                                format!("Lasku {invoice} lähetetty: {shown}, eräpäivä {due}.")
                            }
                            Lang::En => format!("Invoice {invoice} sent: {shown}, due {due}."),
                        };
                        events.push(Ev {
                            document: None,
                            at: t,
                            kind: EventKind::Invoice,
                            customer: Some(customer),
                            contact: None,
                            user,
                            summary,
                            amount: Some(amount.clone()),
                            reference: Some(reference.clone()),
                            task: None,
                            search: name.clone(),
                        });
                        // Most invoices are paid, some late, the newest not yet.
                        let paid = t + DAY * self.rng.between(5, 45) as i64;
                        if paid < end_ts && self.rng.chance(0.9) {
                            let summary = match lang {
                                Lang::Fi => format!("Maksu laskulle {invoice} saapui: {shown}."),
                                Lang::En => {
                                    format!("Payment received for invoice {invoice}: {shown}.")
                                }
                            };
                            events.push(Ev {
                                document: None,
                                at: office_time(&mut self.rng, paid.div_euclid(DAY)).max(t + 3600),
                                kind: EventKind::Payment,
                                customer: Some(customer),
                                contact: None,
                                user: None,
                                summary,
                                amount: Some(amount),
                                reference: Some(reference),
                                task: None,
                                search: name.clone(),
                            });
                        }
                        continue;
                    }
                };
                let search = match contact {
                    Some(_) => format!("{} {name}", person.1),
                    None => name.clone(),
                };
                events.push(Ev {
                    document: None,
                    at: t,
                    kind,
                    customer: Some(customer),
                    contact,
                    user,
                    summary,
                    amount: None,
                    reference: None,
                    task: None,
                    search,
                });
            }

            // -- Tasks: a record of something done, and something promised for the weeks
            // ahead (with its reminders). About a customer in three has one, one in seven
            // an open one, so that a million customers stay a sensible file.
            let Some(assignee) = by else { continue };
            for future in [false, true] {
                let (share, room) = if future {
                    (0.15, true)
                } else {
                    (0.3, days_left > 0)
                };
                if !room || !self.rng.chance(share) {
                    continue;
                }
                let person = own[self.rng.below(own.len() as u64) as usize].clone();
                let with_contact = self.rng.chance(0.6);
                let description = text(lang, self.rng.pick(&TASKS)).replace("{p}", &person.1);
                // On a working day: a future one's weekend moves on to the Monday, a past
                // one's back to the Friday (as office times do).
                let due_day = if future {
                    let day = self.end_day + self.rng.between(1, 30) as i64;
                    match (day + 3).rem_euclid(7) {
                        5 => day + 2,
                        6 => day + 1,
                        _ => day,
                    }
                } else {
                    let day = created.div_euclid(DAY) + 1 + self.rng.below(days_left as u64) as i64;
                    office_time(&mut self.rng, day).div_euclid(DAY)
                };
                let due_time = self.rng.chance(0.3).then(|| {
                    format!(
                        "{:02}:{}",
                        self.rng.between(8, 16),
                        if self.rng.chance(0.5) { "00" } else { "30" }
                    )
                });
                // Written down a few days before it was due (never before the customer).
                let ahead = self.rng.between(1, 14) as i64;
                let mut written = office_time(&mut self.rng, due_day - ahead).max(created + 600);
                if future {
                    written = written.min(end_ts - 600);
                }
                if written <= created || written >= end_ts {
                    continue;
                }
                let done_at = if future {
                    None
                } else {
                    let t = office_time(&mut self.rng, due_day).max(written + 600);
                    if t >= end_ts {
                        continue;
                    }
                    Some(t)
                };
                let due_date = date_of(due_day * DAY);
                insert_task.execute(params![
                    description,
                    assignee,
                    due_date.format("%Y-%m-%d").to_string(),
                    due_time,
                    customer,
                    with_contact.then_some(person.0),
                    done_at.is_some(),
                    done_at.map(stamp),
                    self.remind_days,
                    assignee,
                    stamp(written),
                    stamp(done_at.unwrap_or(written)),
                ])?;
                let task = tx.last_insert_rowid();
                stats.tasks += 1;
                if future {
                    let time = due_time.as_deref().and_then(crate::settings::parse_time);
                    let now = chrono::DateTime::from_timestamp(end_ts, 0).unwrap_or_default();
                    let days = Some(self.remind_days);
                    for (kind, at) in
                        crate::tasks::schedule::reminders(due_date, time, days, self.rules, now)
                    {
                        insert_reminder.execute(params![
                            task,
                            assignee,
                            kind.as_str(),
                            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        ])?;
                        stats.reminders += 1;
                    }
                }
                let title = format!("{} {description}", due_date.format("%Y-%m-%d"));
                let contact = with_contact.then_some(person.0);
                let search = match contact {
                    Some(_) => format!("{description} {name} {}", person.1),
                    None => format!("{description} {name}"),
                };
                events.push(Ev {
                    at: written,
                    kind: EventKind::TaskCreated,
                    customer: Some(customer),
                    contact,
                    user: Some(assignee),
                    summary: lang.tf("summary.task_created", &[("task", &title)]),
                    amount: None,
                    reference: None,
                    task: Some(task),
                    document: None,
                    search: search.clone(),
                });
                if let Some(done) = done_at {
                    events.push(Ev {
                        at: done,
                        kind: EventKind::TaskDone,
                        customer: Some(customer),
                        contact,
                        user: Some(assignee),
                        summary: lang.tf("summary.task_done", &[("task", &title)]),
                        amount: None,
                        reference: None,
                        task: Some(task),
                        document: None,
                        search,
                    });
                }
            }
        }

        // The log reads newest first by id: write the chunk's events in time order (stable, so
        // one customer's events keep their order).
        events.sort_by_key(|e| e.at);
        for e in &events {
            insert_event.execute(params![
                stamp(e.at),
                e.kind.as_str(),
                e.customer,
                e.contact,
                e.user,
                e.summary,
                e.amount,
                e.amount.as_ref().map(|_| "EUR"),
                e.reference,
                e.search,
                e.task,
                e.document,
            ])?;
        }
        stats.events += events.len() as u64;
        Ok(())
    }
}
