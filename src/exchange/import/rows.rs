//! One row of a file made into a customer or a contact, through a `Target`: the check pass
//! plans it, the write pass writes it.

use super::*;

/// A row's cells by field.
pub(super) struct Cells<'a> {
    pub(super) row: &'a Row,
    pub(super) mapping: &'a Mapping,
}

impl Cells<'_> {
    /// The trimmed cell of a field; `None` when there is no such column or the cell is empty
    /// (an empty cell never changes what is stored).
    pub(super) fn get(&self, field: Field) -> Option<&str> {
        let column = self.mapping.column(field)?;
        Some(self.row.cell(column).trim()).filter(|t| !t.is_empty())
    }

    pub(super) fn text(&self, field: Field) -> Option<String> {
        self.get(field).map(str::to_string)
    }

    /// Notes keep their inner line breaks; only the ends are trimmed.
    pub(super) fn notes(&self) -> Option<String> {
        let column = self.mapping.column(Field::Notes)?;
        let text = self.row.cell(column).trim().replace("\r\n", "\n");
        Some(text).filter(|t| !t.is_empty())
    }

    /// The (store field name, cell) pairs of the row, to quote in error messages.
    pub(super) fn values(&self) -> Vec<(&'static str, String)> {
        self.mapping
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (f.key(), self.row.cell(i).trim().to_string())))
            .filter(|(_, v)| !v.is_empty() && v.chars().count() <= 80)
            .collect()
    }
}

/// A cell's value as an error message quotes it: at most 80 characters, so a report never
/// carries a huge cell back.
pub(super) fn quote(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// `yes`/`no` in English or Finnish, as a spreadsheet might write it.
pub(crate) fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "kyllä" | "kylla" | "k" => Some(true),
        "no" | "n" | "false" | "0" | "ei" | "e" => Some(false),
        _ => None,
    }
}

/// What a row did, the name it shows, the fields it changed, and whether it only looked like
/// the record it matched.
pub(super) struct Done {
    pub(super) action: Action,
    pub(super) label: String,
    pub(super) changes: Vec<Change>,
    pub(super) look_alike: bool,
}

impl Done {
    fn new(action: Action, label: String, changes: Vec<Change>) -> Done {
        Done {
            action,
            label,
            changes,
            look_alike: false,
        }
    }
}

/// A record a row only looks like, after the admin's choice: `Err` with what the row does
/// when it is left out, `Ok(None)` when a new one is to be added, `Ok(Some)` to update it.
fn chosen<T>(found: T, choice: Option<Choice>, label: &str) -> Result<Option<T>, Done> {
    match choice.unwrap_or(Choice::Update) {
        Choice::Update => Ok(Some(found)),
        Choice::Add => Ok(None),
        Choice::Skip => Err(Done {
            look_alike: true,
            ..Done::new(Action::Skipped, label.to_string(), Vec::new())
        }),
    }
}

pub(super) fn customer_row(
    target: &mut impl Target,
    cells: &Cells,
    by: Option<UserId>,
    choice: Option<Choice>,
) -> Result<Done, Fail> {
    let archived = match cells.get(Field::Archived) {
        Some(text) => {
            Some(parse_yes_no(text).ok_or_else(|| Fail::Row(Problem::BadYesNo(quote(text))))?)
        }
        None => None,
    };
    let mut input = CustomerInput {
        number: cells.text(Field::Number),
        name: cells.text(Field::Name),
        business_id: cells.text(Field::BusinessId),
        email: cells.text(Field::Email),
        phone: cells.text(Field::Phone),
        website: cells.text(Field::Website),
        street: cells.text(Field::Street),
        postal_code: cells.text(Field::PostalCode),
        city: cells.text(Field::City),
        country: cells.text(Field::Country),
        einvoice_address: cells.text(Field::EinvoiceAddress),
        einvoice_operator: cells.text(Field::EinvoiceOperator),
        notes: cells.notes(),
        tags: cells.get(Field::Tags).map(tags::parse_list),
        owner_id: None,
        archived,
    };
    let values = cells.values();
    // The same customer: by business ID, else by customer number.
    let mut existing = match cells
        .get(Field::BusinessId)
        .and_then(|t| BusinessId::parse(t).ok())
    {
        Some(bid) => target.customer_by_business_id(&bid)?,
        None => None,
    };
    if existing.is_none() {
        if let Some(number) = cells.get(Field::Number) {
            existing = target.customer_by_number(number)?;
        }
    }
    // Else the one that looks the same, as the forms warn of (name, e-mail), unless the admin
    // chose otherwise. The name it was found by is another spelling of the stored one, which
    // stays.
    let mut look_alike = false;
    if existing.is_none() {
        if let Ok(row) = crate::customers::validate::validate(&input, None) {
            if let Some(found) = target.customer_look_alike(&row)? {
                look_alike = true;
                existing = match chosen(found, choice, &row.name) {
                    Ok(existing) => existing,
                    Err(left_out) => return Ok(left_out),
                };
                if existing.is_some() {
                    input.name = None;
                }
            }
        }
    }
    let mut done = customer_update(target, existing, input, by, &values)?;
    done.look_alike = look_alike;
    Ok(done)
}

/// A customer row made into a new customer, or into an update of `existing`.
fn customer_update(
    target: &mut impl Target,
    existing: Option<Customer>,
    mut input: CustomerInput,
    by: Option<UserId>,
    values: &Values,
) -> Result<Done, Fail> {
    match existing {
        None => {
            let name = target.create_customer(&input, by, values)?;
            Ok(Done::new(Action::Created, name, Vec::new()))
        }
        Some(before) => {
            // Another spelling of what is stored is no change.
            keep_stored(Field::Name, &mut input.name, &before.name);
            keep_stored(Field::Email, &mut input.email, &before.email);
            keep_stored(Field::Phone, &mut input.phone, &before.phone);
            keep_stored(Field::Website, &mut input.website, &before.website);
            keep_stored(Field::Street, &mut input.street, &before.street);
            keep_stored(
                Field::PostalCode,
                &mut input.postal_code,
                &before.postal_code,
            );
            keep_stored(Field::City, &mut input.city, &before.city);
            keep_stored(Field::Country, &mut input.country, &before.country);
            if let Some(bid) = &before.business_id {
                keep_stored(Field::BusinessId, &mut input.business_id, bid);
            }
            let after = crate::customers::validate::validate(&input, Some(&before))
                .map_err(|e| store_fail(e, values))?;
            let now =
                crate::customers::validate::validate(&CustomerInput::default(), Some(&before));
            if now.as_ref().is_ok_and(|now| *now == after) {
                return Ok(Done::new(Action::Unchanged, before.name, Vec::new()));
            }
            let changed = now
                .map(|now| customer_changes(&now, &after))
                .unwrap_or_default();
            target.update_customer(&before, &input, by, values)?;
            Ok(Done::new(Action::Updated, after.name, changed))
        }
    }
}

/// The customers a contact row links to: references (customer numbers or business IDs)
/// separated by `|` or `,`, each with its role (one role for all, or one per customer
/// separated by `|`).
pub(super) fn row_links(
    target: &impl Target,
    cells: &Cells,
) -> Result<Vec<(CustomerId, String)>, Fail> {
    let Some(refs) = cells.get(Field::Customer) else {
        return Ok(Vec::new());
    };
    let refs: Vec<&str> = refs
        .split(['|', ','])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if refs.len() > contacts::MAX_LINKS {
        let key = "contacts.too_many_customers";
        return Err(Fail::Row(Problem::Invalid {
            key,
            fields: vec![FieldError {
                field: "customer_id",
                key,
            }],
            values: Vec::new(),
        }));
    }
    let role_cell = cells.get(Field::Role).unwrap_or("");
    let roles: Vec<&str> = role_cell.split('|').map(str::trim).collect();
    let mut links = Vec::new();
    for (i, reference) in refs.iter().enumerate() {
        let customer = match target.customer_by_number(reference)? {
            Some(c) => Some(c),
            None => match BusinessId::parse(reference) {
                Ok(bid) => target.customer_by_business_id(&bid)?,
                Err(_) => None,
            },
        };
        let customer =
            customer.ok_or_else(|| Fail::Row(Problem::CustomerNotFound(quote(reference))))?;
        let role = if refs.len() > 1 && roles.len() == refs.len() {
            roles[i]
        } else {
            role_cell
        };
        links.push((customer.id, role.to_string()));
    }
    Ok(links)
}

/// The one customer whose name folds to the same as `name` (`Kahvila Äijälä Oy` and
/// `KAHVILA AIJALA`), if exactly one does.
pub(super) fn customer_by_name(conn: &Connection, name: &str) -> Result<Option<CustomerId>, Fail> {
    let probe = CustomerInput {
        name: Some(name.to_string()),
        ..CustomerInput::default()
    };
    let Ok(fields) = crate::customers::validate::validate(&probe, None) else {
        return Ok(None);
    };
    let found = customers::look_alikes(conn, &fields, None)?;
    Ok(match found.as_slice() {
        [one] => Some(one.id),
        _ => None,
    })
}

/// Links a contact to its row's customers; an empty role keeps an existing link's role.
/// Returns whether anything changed.
pub(super) fn apply_links(
    target: &mut impl Target,
    contact: &Contact,
    links: &[(CustomerId, String)],
    by: Option<UserId>,
    values: &Values,
) -> Result<bool, Fail> {
    let mut changed = false;
    for (customer, role) in links {
        let current = contact
            .customers
            .iter()
            .find(|l| l.customer_id == customer.0);
        let needed = match current {
            None => true,
            Some(link) => !role.is_empty() && link.role != *role,
        };
        if needed {
            target.link(*customer, contact, role, by, values)?;
            changed = true;
        }
    }
    Ok(changed)
}

pub(super) fn contact_row(
    target: &mut impl Target,
    cells: &Cells,
    by: Option<UserId>,
    choice: Option<Choice>,
) -> Result<Done, Fail> {
    let mut input = ContactInput {
        first_name: cells.text(Field::FirstName),
        last_name: cells.text(Field::LastName),
        email: cells.text(Field::Email),
        phone: cells.text(Field::Phone),
        title: cells.text(Field::Title),
        notes: cells.notes(),
        tags: cells.get(Field::Tags).map(tags::parse_list),
        customers: None,
    };
    if input.first_name.is_none() && input.last_name.is_none() {
        if let Some(full) = cells.get(Field::FullName) {
            // "First Last": the last word is the last name.
            match full.rsplit_once(char::is_whitespace) {
                Some((first, last)) => {
                    input.first_name = Some(first.trim().to_string());
                    input.last_name = Some(last.trim().to_string());
                }
                None => input.last_name = Some(full.to_string()),
            }
        }
    }
    let values = cells.values();
    let mut links = row_links(target, cells)?;
    if cells.get(Field::Customer).is_none() {
        if let Some(id) = cells
            .get(Field::Organisation)
            .map(|org| target.customer_by_name(org))
            .transpose()?
            .flatten()
        {
            links.push((id, cells.get(Field::Role).unwrap_or("").to_string()));
        }
    }
    let mut existing = match cells.get(Field::Email) {
        Some(email) => target.contact_by_email(email)?,
        None => None,
    };
    // Without an e-mail to go by, the same name at one of the row's customers is the same
    // person, as the forms warn of it: a file without e-mail addresses imported again updates
    // its contacts instead of adding them twice. One stored without an address is found so too.
    let mut look_alike = false;
    if existing.is_none() && !links.is_empty() {
        let first = input.first_name.as_deref().unwrap_or("");
        let last = input.last_name.as_deref().unwrap_or("");
        let ids: Vec<CustomerId> = links.iter().map(|(id, _)| *id).collect();
        if !(first.is_empty() && last.is_empty()) {
            if let Some(found) = target
                .contact_by_name_at(first, last, &ids)?
                .filter(|c| input.email.is_none() || c.email.is_empty())
            {
                look_alike = true;
                existing = match chosen(found, choice, &format!("{first} {last}")) {
                    Ok(existing) => existing,
                    Err(left_out) => return Ok(left_out),
                };
            }
        }
    }
    match existing {
        None => {
            let created = target.create_contact(&input, by, &values)?;
            apply_links(target, &created, &links, by, &values)?;
            Ok(Done {
                look_alike,
                ..Done::new(Action::Created, created.full_name(), Vec::new())
            })
        }
        Some(before) => {
            keep_stored(Field::Phone, &mut input.phone, &before.phone);
            keep_stored(Field::Email, &mut input.email, &before.email);
            keep_stored(Field::FirstName, &mut input.first_name, &before.first_name);
            keep_stored(Field::LastName, &mut input.last_name, &before.last_name);
            keep_stored(Field::Title, &mut input.title, &before.title);
            let after =
                contacts::validate(&input, Some(&before)).map_err(|e| store_fail(e, &values))?;
            let now = contacts::validate(&ContactInput::default(), Some(&before));
            let same = now.as_ref().is_ok_and(|now| *now == after);
            let changed = now
                .map(|now| contact_changes(&now, &after))
                .unwrap_or_default();
            if !same {
                target.update_contact(&before, &input, by, &values)?;
            }
            let linked = apply_links(target, &before, &links, by, &values)?;
            let action = if same && !linked {
                Action::Unchanged
            } else {
                Action::Updated
            };
            Ok(Done {
                look_alike,
                ..Done::new(action, after.full_name(), changed)
            })
        }
    }
}
