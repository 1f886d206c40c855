//! The fields an import fills and an export writes, and how column headers in English or
//! Finnish map to them.

use std::collections::HashSet;

use crate::i18n::Lang;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Customers,
    Contacts,
}

impl Kind {
    pub(crate) fn parse(text: &str) -> Option<Kind> {
        match text.trim() {
            "customers" => Some(Kind::Customers),
            "contacts" => Some(Kind::Contacts),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Contacts => "contacts",
        }
    }

    /// The fields an import of this kind can fill, in the order of the export's columns.
    pub(crate) fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Kind::Customers => &[
                Number,
                Name,
                BusinessId,
                Email,
                Phone,
                Website,
                Street,
                PostalCode,
                City,
                Country,
                EinvoiceAddress,
                EinvoiceOperator,
                Tags,
                Notes,
                Archived,
            ],
            Kind::Contacts => &[
                FirstName,
                LastName,
                FullName,
                Email,
                Phone,
                Title,
                Organisation,
                Tags,
                Notes,
                Customer,
                Role,
            ],
        }
    }

    /// The columns of a CSV export: every field but the import-only full name.
    pub(crate) fn export_fields(self) -> Vec<Field> {
        self.fields()
            .iter()
            .copied()
            .filter(|f| *f != Field::FullName)
            .collect()
    }
}

/// One field of a customer or a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Number,
    Name,
    BusinessId,
    Email,
    Phone,
    Website,
    Street,
    PostalCode,
    City,
    Country,
    EinvoiceAddress,
    EinvoiceOperator,
    Tags,
    Notes,
    Archived,
    FirstName,
    LastName,
    /// "First Last" in one column, split when no first or last name column is given.
    FullName,
    Title,
    /// The customer number or business ID of the customer to link a contact to.
    Customer,
    /// The contact's role at that customer.
    Role,
    /// A company's name (a vCard's ORG, Outlook's "Company"): links the contact to the
    /// customer of that name when there is exactly one; never an error.
    Organisation,
}

impl Field {
    /// The field's name as the API and the English CSV header write it.
    pub(crate) fn key(self) -> &'static str {
        use Field::*;
        match self {
            Number => "number",
            Name => "name",
            BusinessId => "business_id",
            Email => "email",
            Phone => "phone",
            Website => "website",
            Street => "street",
            PostalCode => "postal_code",
            City => "city",
            Country => "country",
            EinvoiceAddress => "einvoice_address",
            EinvoiceOperator => "einvoice_operator",
            Tags => "tags",
            Notes => "notes",
            Archived => "archived",
            FirstName => "first_name",
            LastName => "last_name",
            FullName => "full_name",
            Title => "title",
            Customer => "customer",
            Role => "role",
            Organisation => "organisation",
        }
    }

    pub(crate) fn parse(kind: Kind, key: &str) -> Option<Field> {
        kind.fields().iter().copied().find(|f| f.key() == key)
    }

    /// The i18n key of the field's label.
    pub(crate) fn label_key(self) -> &'static str {
        use Field::*;
        match self {
            Number => "customers.number",
            Name => "customers.name",
            BusinessId => "customers.business_id",
            Email => "customers.email",
            Phone => "customers.phone",
            Website => "customers.website",
            Street => "customers.street",
            PostalCode => "customers.postal_code",
            City => "customers.city",
            Country => "customers.country",
            EinvoiceAddress => "customers.einvoice_address",
            EinvoiceOperator => "customers.einvoice_operator",
            Tags => "customers.tags",
            Notes => "customers.notes",
            Archived => "exchange.field_archived",
            FirstName => "contacts.first_name",
            LastName => "contacts.last_name",
            FullName => "exchange.field_full_name",
            Title => "contacts.title",
            Customer => "exchange.field_customer",
            Role => "exchange.field_role",
            Organisation => "exchange.field_organisation",
        }
    }

    /// The CSV header an export writes: the API's field name in English, the form label in
    /// Finnish (as Finnish Excel users read it). Both map back to the field on import.
    pub(crate) fn header(self, lang: Lang) -> &'static str {
        use Field::*;
        match lang {
            Lang::En => self.key(),
            Lang::Fi => match self {
                Number => "Asiakasnumero",
                Name => "Nimi",
                BusinessId => "Y-tunnus",
                Email => "Sähköposti",
                Phone => "Puhelin",
                Website => "Verkkosivut",
                Street => "Katuosoite",
                PostalCode => "Postinumero",
                City => "Postitoimipaikka",
                Country => "Maa",
                EinvoiceAddress => "Verkkolaskuosoite",
                EinvoiceOperator => "Välittäjätunnus",
                Tags => "Tunnisteet",
                Notes => "Muistiinpanot",
                Archived => "Arkistoitu",
                FirstName => "Etunimi",
                LastName => "Sukunimi",
                FullName => "Koko nimi",
                Title => "Titteli",
                Customer => "Asiakas",
                Role => "Rooli",
                Organisation => "Yritys",
            },
        }
    }

    /// Header spellings (folded by `fold_header`) that mean this field in a file of `kind`.
    fn aliases(self, kind: Kind) -> &'static [&'static str] {
        use Field::*;
        match (kind, self) {
            (_, Email) => &[
                "email",
                "emailaddress",
                "sahkoposti",
                "sahkopostiosoite",
                "sposti",
                "mail",
                "email1",
                "email1value",
            ],
            (_, Phone) => &[
                "phone",
                "phonenumber",
                "telephone",
                "tel",
                "puhelin",
                "puhelinnumero",
                "puh",
                "mobile",
                "mobilephone",
                "gsm",
                "matkapuhelin",
                "businessphone",
                "phone1value",
            ],
            (_, Notes) => &[
                "notes",
                "note",
                "muistiinpanot",
                "muistiinpano",
                "lisatiedot",
                "huomautukset",
                "kommentit",
            ],
            (_, Tags) => &[
                "tags",
                "tag",
                "tunnisteet",
                "tunniste",
                "tagit",
                "avainsanat",
                "categories",
            ],
            (Kind::Customers, Name) => &[
                "name",
                "nimi",
                "company",
                "companyname",
                "customername",
                "yritys",
                "yrityksennimi",
                "asiakkaannimi",
                "asiakasnimi",
                "toiminimi",
                "organisation",
                "organization",
            ],
            (Kind::Customers, Number) => &[
                "number",
                "customernumber",
                "customerno",
                "asiakasnumero",
                "asiakasnro",
                "numero",
                "nro",
            ],
            (Kind::Customers, BusinessId) => &[
                "businessid",
                "ytunnus",
                "yritystunnus",
                "vatid",
                "vatnumber",
                "alvtunnus",
                "alvnumero",
            ],
            (Kind::Customers, Website) => &[
                "website",
                "www",
                "web",
                "url",
                "homepage",
                "kotisivu",
                "kotisivut",
                "verkkosivu",
                "verkkosivut",
                "wwwsivut",
                "internetsivut",
            ],
            (Kind::Customers, Street) => &[
                "street",
                "streetaddress",
                "address",
                "osoite",
                "katuosoite",
                "lahiosoite",
                "postiosoite",
            ],
            (Kind::Customers, PostalCode) => &[
                "postalcode",
                "postcode",
                "zip",
                "zipcode",
                "postinumero",
                "postinro",
            ],
            (Kind::Customers, City) => &[
                "city",
                "town",
                "postitoimipaikka",
                "toimipaikka",
                "kaupunki",
                "paikkakunta",
                "kunta",
            ],
            (Kind::Customers, Country) => &["country", "countrycode", "maa", "maakoodi"],
            (Kind::Customers, EinvoiceAddress) => &[
                "einvoiceaddress",
                "einvoice",
                "verkkolaskuosoite",
                "verkkolaskutusosoite",
                "ovt",
                "ovttunnus",
            ],
            (Kind::Customers, EinvoiceOperator) => &[
                "einvoiceoperator",
                "operator",
                "operaattori",
                "operaattoritunnus",
                "valittajatunnus",
                "valittaja",
                "verkkolaskuoperaattori",
            ],
            (Kind::Customers, Archived) => &["archived", "arkistoitu", "arkistossa"],
            (Kind::Contacts, FirstName) => &["firstname", "givenname", "etunimi", "etunimet"],
            (Kind::Contacts, LastName) => &["lastname", "surname", "familyname", "sukunimi"],
            (Kind::Contacts, FullName) => &["fullname", "name", "nimi", "kokonimi", "displayname"],
            (Kind::Contacts, Title) => &[
                "title",
                "jobtitle",
                "titteli",
                "nimike",
                "tehtavanimike",
                "asema",
                "organization1title",
            ],
            (Kind::Contacts, Customer) => &[
                "customer",
                "asiakas",
                "customernumber",
                "asiakasnumero",
                "businessid",
                "ytunnus",
            ],
            (Kind::Contacts, Role) => &["role", "rooli", "tehtava"],
            (Kind::Contacts, Organisation) => &[
                "organisation",
                "organization",
                "org",
                "company",
                "companyname",
                "yritys",
                "yrityksennimi",
                "asiakkaannimi",
                "customername",
                "firma",
                "organization1name",
            ],
            _ => &[],
        }
    }

    /// The field a header names in a file of `kind`, if any.
    pub(crate) fn from_header(kind: Kind, header: &str) -> Option<Field> {
        let folded = fold_header(header);
        if folded.is_empty() {
            return None;
        }
        kind.fields()
            .iter()
            .copied()
            .find(|f| f.aliases(kind).contains(&folded.as_str()))
    }

    /// The field of a store's validation error (`FieldError::field`), for naming the cell.
    pub(crate) fn from_store_name(kind: Kind, name: &str) -> Option<Field> {
        match name {
            "customer_id" => Some(Field::Customer),
            "owner_id" => None,
            other => Field::parse(kind, other),
        }
    }
}

/// Folds a header for matching: lower case, no accents, letters and digits only
/// (`Y-tunnus` → `ytunnus`, `Sähköposti` → `sahkoposti`, `postal_code` → `postalcode`).
pub(crate) fn fold_header(header: &str) -> String {
    header
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => Some('a'),
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => Some('o'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'ü' | 'ú' | 'ù' => Some('u'),
            'í' | 'ì' | 'ï' => Some('i'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// Which field each column fills (`None`: not imported), matched by header. A field named by
/// two columns is filled from the first; the second is reported like an unknown one.
pub(crate) struct Mapping {
    pub columns: Vec<Option<Field>>,
}

impl Mapping {
    pub(crate) fn detect(kind: Kind, headers: &[String]) -> Mapping {
        let mut taken = HashSet::new();
        let columns = headers
            .iter()
            .map(|header| Field::from_header(kind, header).filter(|f| taken.insert(*f)))
            .collect();
        Mapping { columns }
    }

    /// The headers of columns that are not imported (and not empty).
    pub(crate) fn ignored<'h>(&self, headers: &'h [String]) -> Vec<&'h str> {
        headers
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                self.columns.get(*i).copied().flatten().is_none() && !h.trim().is_empty()
            })
            .map(|(_, h)| h.as_str())
            .collect()
    }

    /// The column of a field.
    pub(crate) fn column(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(field))
    }

    /// A field named by two columns, which a hand-made mapping must not have.
    pub(crate) fn duplicate(&self) -> Option<Field> {
        let mut seen = HashSet::new();
        self.columns
            .iter()
            .flatten()
            .copied()
            .find(|f| !seen.insert(*f))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.columns.iter().all(Option::is_none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_english_and_finnish_ignoring_case_and_accents() {
        let c = Kind::Customers;
        for (header, field) in [
            ("name", Field::Name),
            ("NIMI", Field::Name),
            ("Y-tunnus", Field::BusinessId),
            ("ytunnus", Field::BusinessId),
            ("Business ID", Field::BusinessId),
            ("business_id", Field::BusinessId),
            ("Asiakasnumero", Field::Number),
            ("Sähköposti", Field::Email),
            ("sahkoposti", Field::Email),
            ("E-mail", Field::Email),
            ("Puhelin", Field::Phone),
            ("Osoite", Field::Street),
            ("Postinumero", Field::PostalCode),
            ("Kaupunki", Field::City),
            ("Postitoimipaikka", Field::City),
            ("Maa", Field::Country),
            ("Verkkolaskuosoite", Field::EinvoiceAddress),
            ("Välittäjätunnus", Field::EinvoiceOperator),
            ("Operaattori", Field::EinvoiceOperator),
            ("Muistiinpanot", Field::Notes),
            ("Tunnisteet", Field::Tags),
            ("WWW", Field::Website),
        ] {
            assert_eq!(Field::from_header(c, header), Some(field), "{header}");
        }
        let p = Kind::Contacts;
        assert_eq!(Field::from_header(p, "Etunimi"), Some(Field::FirstName));
        assert_eq!(Field::from_header(p, "Last Name"), Some(Field::LastName));
        assert_eq!(Field::from_header(p, "Asiakas"), Some(Field::Customer));
        assert_eq!(Field::from_header(p, "Y-tunnus"), Some(Field::Customer));
        assert_eq!(Field::from_header(p, "Rooli"), Some(Field::Role));
        assert_eq!(Field::from_header(p, "Nimi"), Some(Field::FullName));
        assert_eq!(Field::from_header(p, "Titteli"), Some(Field::Title));
        assert_eq!(Field::from_header(p, "Company"), Some(Field::Organisation));
        // Google Contacts' export.
        assert_eq!(
            Field::from_header(p, "E-mail 1 - Value"),
            Some(Field::Email)
        );
        assert_eq!(
            Field::from_header(p, "Organization 1 - Name"),
            Some(Field::Organisation)
        );
        assert_eq!(Field::from_header(c, "Lempiruoka"), None);
        assert_eq!(Field::from_header(c, "Rooli"), None);
    }

    #[test]
    fn export_headers_map_back_to_their_fields() {
        for kind in [Kind::Customers, Kind::Contacts] {
            for field in kind.fields() {
                for lang in Lang::ALL {
                    assert_eq!(
                        Field::from_header(kind, field.header(lang)),
                        Some(*field),
                        "{:?}",
                        field
                    );
                }
                assert_eq!(Field::parse(kind, field.key()), Some(*field));
            }
        }
    }

    #[test]
    fn detection_reports_unknown_and_repeated_columns() {
        let headers: Vec<String> = ["Nimi", "Lempiväri", "name", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = Mapping::detect(Kind::Customers, &headers);
        assert_eq!(m.columns, [Some(Field::Name), None, None, None]);
        assert_eq!(m.ignored(&headers), ["Lempiväri", "name"]);
        assert_eq!(m.duplicate(), None);
        let twice = Mapping {
            columns: vec![Some(Field::Name), Some(Field::Name)],
        };
        assert_eq!(twice.duplicate(), Some(Field::Name));
    }
}
