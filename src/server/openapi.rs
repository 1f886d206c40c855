//! The OpenAPI 3.1 document of the API. It grows with each module; a test checks that every
//! route it describes answers with a status it lists.

use serde_json::{json, Map, Value};

use crate::error::DEEP_OFFSET;
use crate::http::form::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
use crate::log::store::SEARCH_CAP;

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_body(schema: Value, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn page_of(name: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_offset"],
        "properties": {
            "items": {"type": "array", "items": schema_ref(name)},
            "next_offset": {"type": ["integer", "null"], "description": "The offset of the next page; null on the last page."}
        }
    })
}

/// A page of a register's list: `page_of` and the cursor of the next page.
fn register_page_of(name: &str) -> Value {
    let mut page = page_of(name);
    page["required"] = json!(["items", "next_offset", "next_after"]);
    page["properties"]["next_offset"]["description"] = json!(format!(
        "`offset` + `limit` when more rows follow a page asked for by `offset`; null on the last page and when paging with `after`. Past {DEEP_OFFSET} rows an offset is refused: page on with `next_after`."
    ));
    page["properties"]["next_after"] = json!({
        "type": ["string", "null"],
        "description": "The position of the next page: give it as `after` (with the same sort and filters) to get it. Null on the last page. Paging this way costs the same at any depth."
    });
    page
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": schema})
}

fn path_id(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": "An integer id.", "schema": {"type": "integer"}})
}

/// An integer filter; empty (`customer_id=`) is the same as leaving it out.
fn id_filter(name: &str, description: &str) -> Value {
    let mut param = query(
        name,
        &format!("{description} Empty is the same as none."),
        json!({"type": "integer"}),
    );
    param["allowEmptyValue"] = true.into();
    param
}

/// A register's list parameters: the page by `limit` and `offset` or by position (`after`).
fn register_list_parameters() -> Vec<Value> {
    let mut params = list_parameters();
    params[1]["description"] = json!(format!(
        "Rows to skip, at most {MAX_OFFSET} (2^53 − 1; a larger one is a 400). An offset is walked row by row, so past {DEEP_OFFSET} it is answered only when the list ends before {DEEP_OFFSET} rows (an empty page); in a longer list it is refused with a 400 that says to page with `after` instead."
    ));
    params.push(query(
        "after",
        "The position to start after: the `next_after` of the previous page, as it was (an opaque text; it holds the sort keys of the page's last row). It needs the same filters and `sort` (where the list has one); not with `offset`. A page by position costs the same at any depth.",
        json!({"type": "string"}),
    ));
    params
}

fn list_parameters() -> Vec<Value> {
    vec![
        query(
            "limit",
            &format!("Page size, default {DEFAULT_LIMIT}, at most {MAX_LIMIT} (a larger one is read as {MAX_LIMIT}). 0 or less is a 400."),
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        ),
        query(
            "offset",
            &format!("Rows to skip, at most {MAX_OFFSET} (2^53 − 1); past the last row the page is empty. A larger one is a 400."),
            json!({"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
        ),
    ]
}

/// The answers every authenticated route may give besides its own.
fn with_common(mut responses: Map<String, Value>, write: bool) -> Value {
    responses.insert("401".into(), error_response("No token or a bad one"));
    if write {
        responses.insert(
            "403".into(),
            error_response("The token's user is read-only"),
        );
        responses.insert(
            "413".into(),
            error_response("The body is over the size limit"),
        );
        responses.insert(
            "415".into(),
            error_response("The body is not application/json"),
        );
        responses.insert("400".into(), error_response("Malformed JSON"));
    }
    Value::Object(responses)
}

fn op(
    summary: &str,
    parameters: Vec<Value>,
    body: Option<Value>,
    responses: Vec<(&str, Value)>,
    write: bool,
) -> Value {
    let mut op = json!({"summary": summary, "responses": with_common(responses.into_iter().map(|(k, v)| (k.to_string(), v)).collect(), write)});
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    if let Some(schema) = body {
        op["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    op
}

fn customer_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "number", "name", "tags", "archived", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "description": "Assigned running number, with the optional prefix of settings."},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "business_id": {"type": ["string", "null"], "description": "Finnish business ID (Y-tunnus) 1234567-8; check digit validated; unique."},
            "email": {"type": "string"}, "phone": {"type": "string"}, "website": {"type": "string"},
            "street": {"type": "string"}, "postal_code": {"type": "string"}, "city": {"type": "string"},
            "country": {"type": "string", "description": "Two-letter code, default FI."},
            "einvoice_address": {"type": "string", "description": "OVT (0037…) or IBAN."},
            "einvoice_operator": {"type": "string"},
            "notes": {"type": "string"},
            "tags": {"type": "array", "maxItems": 30, "items": {"type": "string", "maxLength": 50}},
            "owner_id": {"type": ["integer", "null"]},
            "archived": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        }
    })
}

/// The body of `POST /customers` (`create`) or `PATCH /customers/{id}`.
fn customer_input_schema(create: bool) -> Value {
    let mut schema = customer_schema();
    let props = schema["properties"].as_object_mut().expect("an object");
    for key in ["id", "number", "created_at", "updated_at"] {
        props.remove(key);
    }
    if create {
        props.insert("number".into(), json!({"type": "string", "description": "To keep a number from elsewhere; assigned when missing."}));
        json!({"type": "object", "required": ["name"], "properties": props.clone(), "description": "`name` is required (422 without it). Every text field but notes is one line: control characters (CR, LF, NUL, tab) are a 422 at the field, and notes refuse NUL."})
    } else {
        json!({"type": "object", "properties": props.clone(), "description": "Only the given fields change (`owner_id: null` clears it). `number` cannot change (422)."})
    }
}

fn contact_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "first_name", "last_name", "tags", "customers", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "first_name": {"type": "string"}, "last_name": {"type": "string"},
            "email": {"type": "string"}, "phone": {"type": "string"}, "title": {"type": "string"}, "notes": {"type": "string"},
            "tags": {"type": "array", "maxItems": 30, "items": {"type": "string", "maxLength": 50}},
            "customers": {"type": "array", "items": schema_ref("Link")},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        }
    })
}

fn contact_input_schema() -> Value {
    json!({
        "type": "object",
        "description": "Every text field but notes is one line: control characters (CR, LF, NUL, tab) are a 422 at the field, and notes refuse NUL. On POST at least one of first_name and last_name. On PATCH only the given fields change; `customers`, when given, becomes the contact's whole list of links (links not in it are removed, roles change; a customer listed twice keeps the last role).",
        "properties": {
            "first_name": {"type": "string"}, "last_name": {"type": "string"}, "email": {"type": "string"},
            "phone": {"type": "string"}, "title": {"type": "string"}, "notes": {"type": "string"},
            "tags": {"type": "array", "maxItems": 30, "items": {"type": "string", "maxLength": 50}},
            "customers": {"type": "array", "maxItems": 100, "items": schema_ref("Link"), "description": "The customers the contact belongs to, each with its role there; an unknown customer_id is a 422."}
        }
    })
}

fn task_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "description", "assignee_id", "due_date", "status", "reminders", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "description": {"type": "string", "minLength": 1, "maxLength": 2000},
            "assignee_id": {"type": "integer", "description": "The user who does the task."},
            "group": {"type": ["string", "null"], "description": "The group's path, such as Sales/Calls."},
            "due_date": {"type": "string", "format": "date"},
            "due_time": {"type": ["string", "null"], "description": "HH:MM, or null."},
            "customer_id": {"type": ["integer", "null"]},
            "contact_id": {"type": ["integer", "null"]},
            "status": {"type": "string", "enum": ["open", "done"]},
            "done_at": {"type": ["string", "null"], "format": "date-time"},
            "remind_days_before": {"type": ["integer", "null"], "minimum": 0, "maximum": 365},
            "reminders": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["before", "due"]},
                "remind_at": {"type": "string", "format": "date-time"},
                "delivered_at": {"type": ["string", "null"]}, "dismissed_at": {"type": ["string", "null"]}
            }}},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        }
    })
}

fn task_input_schema() -> Value {
    json!({
        "type": "object",
        "description": "On POST `description`, `assignee_id` and `due_date` are required; a missing `remind_days_before` is the company's default and null is no advance reminder. A group must exist (settings). On PATCH only the given fields change; null clears a nullable one; `status` marks the task done (its undelivered reminders go) or reopens it; a new date or time reschedules the reminders.",
        "properties": {
            "description": {"type": "string"}, "assignee_id": {"type": "integer"},
            "group": {"type": ["string", "null"]}, "due_date": {"type": "string", "format": "date"},
            "due_time": {"type": ["string", "null"]}, "customer_id": {"type": ["integer", "null"]},
            "contact_id": {"type": ["integer", "null"]}, "remind_days_before": {"type": ["integer", "null"]},
            "status": {"type": "string", "enum": ["open", "done"]}
        }
    })
}

fn reminder_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "task_id", "kind", "remind_at", "description", "due_date"],
        "properties": {
            "id": {"type": "integer"}, "task_id": {"type": "integer"}, "user_id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["before", "due"]},
            "remind_at": {"type": "string", "format": "date-time"},
            "delivered_at": {"type": ["string", "null"]}, "dismissed_at": {"type": ["string", "null"]},
            "description": {"type": "string"}, "due_date": {"type": "string", "format": "date"},
            "due_time": {"type": ["string", "null"]},
            "customer_id": {"type": ["integer", "null"]}, "customer_name": {"type": ["string", "null"]},
            "contact_id": {"type": ["integer", "null"]}, "contact_name": {"type": ["string", "null"]}
        }
    })
}

fn event_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "at", "kind", "summary"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time", "description": "When it happened (UTC)."},
            "kind": {"type": "string"},
            "customer_id": {"type": ["integer", "null"]}, "contact_id": {"type": ["integer", "null"]},
            "document_id": {"type": ["integer", "null"]}, "task_id": {"type": ["integer", "null"]},
            "user_id": {"type": ["integer", "null"]},
            "summary": {"type": "string", "description": "The sentence, in the caller's language (a person's entry: their text)."},
            "amount": {"type": ["string", "null"], "description": "A decimal with a point, e.g. 125.50."},
            "currency": {"type": ["string", "null"]}, "reference": {"type": ["string", "null"]},
            "user_name": {"type": "string", "description": "Present when the event has a user."},
            "customer_name": {"type": "string", "description": "Present while the customer exists."},
            "contact_name": {"type": "string", "description": "Present while the contact exists."},
            "task_title": {"type": "string", "description": "Present while the task exists."}
        }
    })
}

fn document_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "title", "filename", "content_type", "size", "sha256", "incoming", "source", "version", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string", "maxLength": 200, "description": "The file name unless given."},
            "filename": {"type": "string", "description": "The current version's file name."},
            "content_type": {"type": "string"},
            "size": {"type": "integer", "description": "Bytes."},
            "sha256": {"type": "string", "description": "Lower-case hex SHA-256 of the bytes (also the content's ETag)."},
            "customer_id": {"type": ["integer", "null"]},
            "contact_id": {"type": ["integer", "null"]},
            "incoming": {"type": "boolean", "description": "Not yet assigned: shown under Incoming until a customer or contact is set."},
            "source": {"type": "string", "enum": ["upload", "email", "folder", "api"]},
            "email_from": {"type": ["string", "null"]},
            "email_subject": {"type": ["string", "null"]},
            "email_date": {"type": ["string", "null"]},
            "version": {"type": "integer", "minimum": 1},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        }
    })
}

fn event_input_schema() -> Value {
    json!({
        "type": "object",
        "required": ["kind"],
        "additionalProperties": false,
        "description": "`summary` is required but for invoices and payments, which need `amount` instead. `amount` takes 125.50 or 125,50; `currency` three letters, EUR when an amount comes without one. A missing `at` is now. An unknown customer or contact is a 422 at its field.",
        "properties": {
            "kind": {"type": "string", "enum": ["note", "call", "meeting", "email", "invoice", "payment"]},
            "at": {"type": "string", "format": "date-time"},
            "summary": {"type": "string", "maxLength": 10000},
            "customer_id": {"type": ["integer", "null"]}, "contact_id": {"type": ["integer", "null"]},
            "amount": {"type": ["string", "null"]}, "currency": {"type": ["string", "null"]},
            "reference": {"type": ["string", "null"], "maxLength": 100}
        }
    })
}

fn version_schema() -> Value {
    json!({
        "type": "object",
        "required": ["version", "filename", "content_type", "size", "sha256", "created_at"],
        "properties": {
            "version": {"type": "integer"}, "filename": {"type": "string"},
            "content_type": {"type": "string"}, "size": {"type": "integer"},
            "sha256": {"type": "string"}, "created_by": {"type": ["integer", "null"]},
            "created_at": {"type": "string", "format": "date-time"}
        }
    })
}

/// A `multipart/form-data` request body: `file` parts and the given text fields.
fn multipart_body(description: &str, fields: Value) -> Value {
    let mut properties =
        json!({"file": {"type": "array", "items": {"type": "string", "format": "binary"}}});
    if let (Some(p), Some(extra)) = (properties.as_object_mut(), fields.as_object()) {
        p.extend(extra.clone());
    }
    json!({"required": true, "description": description, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": properties}}}})
}

/// The bytes of a document, as `GET …/content` answers them.
fn content_answers(not_found: Value) -> Vec<(&'static str, Value)> {
    vec![
        (
            "200",
            json!({"description": "The exact bytes, with the document's Content-Type, `Content-Disposition: attachment` (RFC 6266, `filename*` for names that are not ASCII), `ETag` (the SHA-256) and `Accept-Ranges: bytes`", "content": {"application/octet-stream": {}}}),
        ),
        (
            "206",
            json!({"description": "The part one `Range: bytes=…` asks for, with `Content-Range`"}),
        ),
        (
            "304",
            json!({"description": "`If-None-Match` names the current ETag"}),
        ),
        ("400", error_response("A bad `version`")),
        ("404", not_found),
        (
            "416",
            json!({"description": "The range is malformed or starts past the end (`Content-Range: bytes */size`)"}),
        ),
    ]
}

fn paths() -> Value {
    let not_found = || error_response("No such item");
    let invalid = || error_response("Validation failed; `fields` names the fields");
    let conflict =
        || error_response("Conflicts with existing data (a duplicate business ID or number)");
    let search_note = format!("Every word must match, from its beginning (a one-letter word as a whole word), case- and accent-insensitively. A search is sorted among its {SEARCH_CAP} newest matches: with more, in any order but by `created_at` the list holds those {SEARCH_CAP} only (narrow the search); by `created_at` it pages through every match. When the words taken whole (not as beginnings) already match more than {SEARCH_CAP}, the matches are those of the whole words.");
    let mut customer_list = register_list_parameters();
    customer_list.extend([
        query("q", &format!("Matches name, number, business ID, e-mail, phone and city. {search_note}"), json!({"type": "string"})),
        query("tag", "Only customers with this tag.", json!({"type": "string"})),
        query("archived", "false (default), true or all.", json!({"type": "string", "enum": ["false", "true", "all"]})),
        id_filter("owner_id", "Only customers of this owner."),
        query("sort", "-created_at (default), created_at, name, -name, number.", json!({"type": "string", "enum": ["-created_at", "created_at", "name", "-name", "number"]})),
    ]);
    let mut contact_list = register_list_parameters();
    contact_list.extend([
        query(
            "q",
            &format!("Matches names, e-mail, phone and title. {search_note}"),
            json!({"type": "string"}),
        ),
        id_filter("customer_id", "Only contacts of this customer."),
        query(
            "tag",
            "Only contacts with this tag.",
            json!({"type": "string"}),
        ),
        query(
            "sort",
            "-created_at (default), created_at, name, -name.",
            json!({"type": "string", "enum": ["-created_at", "created_at", "name", "-name"]}),
        ),
    ]);
    let mut task_list = register_list_parameters();
    task_list.extend([
        query("q", "Matches the description by word prefix.", json!({"type": "string"})),
        query("assignee_id", "Only this user's tasks; `me` is the caller.", json!({"type": "string"})),
        query("status", "open, done or all (default).", json!({"type": "string", "enum": ["open", "done", "all"]})),
        query("when", "overdue (open, dated before today), today or week (this Monday to Sunday), in the company's time zone.", json!({"type": "string", "enum": ["overdue", "today", "week"]})),
        query("group", "A group's path; its subgroups count too.", json!({"type": "string"})),
        id_filter("customer_id", "Only this customer's tasks."),
        id_filter("contact_id", "Only this contact's tasks."),
        query("due_from", "Dated on or after (YYYY-MM-DD).", json!({"type": "string", "format": "date"})),
        query("due_to", "Dated on or before (YYYY-MM-DD).", json!({"type": "string", "format": "date"})),
        query("sort", "due (default) or -due.", json!({"type": "string", "enum": ["due", "-due"]})),
    ]);
    let mut reminder_list = register_list_parameters();
    reminder_list.extend([
        id_filter("user_id", "Whose reminders; the caller's by default."),
        query(
            "state",
            "pending (not delivered yet), delivered, or all (default).",
            json!({"type": "string", "enum": ["pending", "delivered", "all"]}),
        ),
    ]);
    let mut event_list = list_parameters();
    event_list.extend([
        query("q", &format!("Full text over the sentence (in either language), the names of the customer, contact and task, and the reference: every word matches the words it begins (`asiak` or `asiak*`), \"phrases in quotes\", AND, OR, NOT and parentheses; case- and accent-insensitive (`jarvinen` finds Järvinen). Text that is not a valid query is read as plain words. At most {} characters (400 beyond).", crate::log::search::MAX_QUERY_CHARS), json!({"type": "string"})),
        id_filter("customer_id", "Only this customer's events."),
        query("include_contacts", "With `customer_id`: also the events of the customer's contacts.", json!({"type": "boolean", "default": false})),
        id_filter("contact_id", "Only this contact's events."),
        query("kind", "Only events of this kind (customer.created, note, invoice, …).", json!({"type": "string"})),
        id_filter("user_id", "Only events by this user."),
        query("from", "From this day (YYYY-MM-DD, in the company's time zone) or moment (RFC 3339) on.", json!({"type": "string"})),
        query("to", "To this day, inclusive (YYYY-MM-DD), or before this moment (RFC 3339).", json!({"type": "string"})),
        query("after", "The `next_after` of the previous page: the events older than that one. Costs the same at any depth; not with `offset`.", json!({"type": "integer"})),
        query("before", "The events newer than this event id (the page before).", json!({"type": "integer"})),
    ]);
    let vcard = || json!({"description": "vCard 4.0", "content": {"text/vcard": {}}});
    let mut document_list = register_list_parameters();
    document_list.extend([
        query("q", &format!("Matches title, file name and the text of text, .docx, .odt and PDF files. {search_note}"), json!({"type": "string"})),
        query("incoming", "true: only unassigned (Incoming); false: only assigned; empty: both.", json!({"type": "string", "enum": ["true", "false", ""]})),
        id_filter("customer_id", "Only this customer's documents."),
        id_filter("contact_id", "Only this contact's documents."),
        id_filter("with_contacts_of", "A customer's documents and its contacts' (the customer card's tab)."),
        query("sort", "-created_at (default), created_at, title, -title.", json!({"type": "string", "enum": ["-created_at", "created_at", "title", "-title"]})),
    ]);
    let mut upload = op("Upload one or more files (`file` parts); each becomes a document, linked to `customer_id` / `contact_id` when given, else Incoming. All or nothing.", vec![], None,
        vec![("201", json_body(json!({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema_ref("Document")}}}), "The new documents")),
            ("413", error_response("A file is over the limit (`document_max_mb`, 25 MiB by default); nothing was stored")),
            ("415", error_response("The body is not multipart/form-data")),
            ("400", error_response("A malformed multipart body, or more than 20 files")),
            ("422", invalid())], true);
    upload["requestBody"] = multipart_body(
        "Files in `file` parts; optional `title` (for a single file), `customer_id`, `contact_id`.",
        json!({
        "title": {"type": "string"}, "customer_id": {"type": "integer"}, "contact_id": {"type": "integer"}}),
    );
    let mut new_version = op("Upload a new version (one `file` part); the old ones stay downloadable. Logged as document.new_version.", vec![path_id("id")], None,
        vec![("200", json_body(schema_ref("Document"), "The document at its new version")), ("404", not_found()),
            ("413", error_response("The file is over the limit; nothing was stored")),
            ("415", error_response("The body is not multipart/form-data")),
            ("400", error_response("A malformed multipart body, or more than one file")), ("422", invalid())], true);
    new_version["requestBody"] = multipart_body("One `file` part.", json!({}));
    let mut email = op("Import one e-mail message (the raw RFC 822 bytes, `Content-Type: message/rfc822`): every attachment becomes its own incoming document with source `email` and the message's From, Subject and Date (RFC 2047/2231 names, nested multiparts, base64 and quoted-printable; a forwarded message is kept whole as an `.eml`). A message without attachments is stored whole as one `.eml` document, so nothing is dropped. All or nothing; sending a message twice imports it twice.", vec![], None,
        vec![("201", json_body(json!({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema_ref("Document")}}}), "The new incoming documents")),
            ("413", error_response("The message is over the limit (`document_max_mb`, 25 MiB by default); nothing was stored")),
            ("415", error_response("The body is not message/rfc822")),
            ("422", error_response("The body is not an e-mail message: no message headers were found"))], true);
    email["requestBody"] = json!({"required": true, "description": "One raw e-mail message (RFC 822 / RFC 5322), as an `.eml` file holds it.", "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}});
    json!({
        "/me": {"get": op("The user the token belongs to.", vec![], None, vec![("200", json_body(schema_ref("User"), "The user"))], false)},
        "/users": {"get": op("All users, ordered by name (for assignee pickers).", list_parameters(), None,
            vec![("200", json_body(page_of("User"), "A page of users")), ("400", error_response("Bad limit or offset"))], false)},
        "/customers": {
            "get": op("Customers, newest first unless `sort` says otherwise.", customer_list, None,
                vec![("200", json_body(register_page_of("Customer"), "A page of customers")), ("400", error_response("A bad parameter, or an `offset` too deep (page with `after`)"))], false),
            "post": op("Create a customer; the log records it.", vec![], Some(customer_input_schema(true)),
                vec![("201", json_body(schema_ref("Customer"), "The new customer")), ("409", conflict()), ("422", invalid())], true)
        },
        "/customers/{id}": {
            "get": op("One customer.", vec![path_id("id")], None, vec![("200", json_body(schema_ref("Customer"), "The customer")), ("404", not_found())], false),
            "patch": op("Change the given fields; the log names what changed.", vec![path_id("id")], Some(customer_input_schema(false)),
                vec![("200", json_body(schema_ref("Customer"), "The changed customer")), ("404", not_found()), ("409", conflict()), ("422", invalid())], true),
            "delete": op("Delete a customer (administrators). Its log events stay; its contacts stay without the link.", vec![path_id("id")], None,
                vec![("204", json!({"description": "Deleted"})), ("404", not_found())], true)
        },
        "/customers/{id}/contacts": {
            "get": op("The customer's contacts, each with its `role` here.", vec![path_id("id")], None,
                vec![("200", json_body(json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("Contact")}}}), "Contacts with roles")), ("404", not_found())], false)
        },
        "/customers/{id}/contacts/{contact_id}": {
            "put": op("Link a contact to the customer, or change its role.", vec![path_id("id"), path_id("contact_id")],
                Some(json!({"type": "object", "properties": {"role": {"type": "string", "maxLength": 100}}})),
                vec![("200", json_body(schema_ref("Contact"), "The contact with its links")), ("404", not_found()), ("422", invalid())], true),
            "delete": op("Unlink the contact from the customer.", vec![path_id("id"), path_id("contact_id")], None,
                vec![("204", json!({"description": "Unlinked"})), ("404", not_found())], true)
        },
        "/contacts": {
            "get": op("Contacts, newest first unless `sort` says otherwise.", contact_list, None,
                vec![("200", json_body(register_page_of("Contact"), "A page of contacts")), ("400", error_response("A bad parameter, or an `offset` too deep (page with `after`)"))], false),
            "post": op("Create a contact, optionally linked to customers with roles.", vec![], Some(contact_input_schema()),
                vec![("201", json_body(schema_ref("Contact"), "The new contact")), ("422", invalid())], true)
        },
        "/contacts/{id}": {
            "get": op("One contact.", vec![path_id("id")], None, vec![("200", json_body(schema_ref("Contact"), "The contact")), ("404", not_found())], false),
            "patch": op("Change the given fields; `customers` replaces the contact's links.", vec![path_id("id")], Some(contact_input_schema()),
                vec![("200", json_body(schema_ref("Contact"), "The changed contact")), ("404", not_found()), ("422", invalid())], true),
            "delete": op("Delete a contact; its log events stay.", vec![path_id("id")], None,
                vec![("204", json!({"description": "Deleted"})), ("404", not_found())], true)
        },
        "/contacts/{id}/export": {
            "get": op("Everything about a person (GDPR; administrators): the contact, their customers and roles, their events and their tasks.", vec![path_id("id")], None,
                vec![("200", json_body(json!({"type": "object", "required": ["contact", "customers", "events", "tasks", "documents"], "properties": {
                    "exported_at": {"type": "string", "format": "date-time"},
                    "contact": schema_ref("Contact"),
                    "customers": {"type": "array", "items": {"type": "object"}},
                    "events": {"type": "array", "items": schema_ref("Event")},
                    "tasks": {"type": "array", "items": schema_ref("Task")},
                    "documents": {"type": "array", "items": {"type": "object"}}
                }}), "The person's data")), ("403", error_response("Not an administrator")), ("404", not_found())], false)
        },
        "/contacts/{id}/erase": {
            "post": op("Erase a person (GDPR; administrators): the contact and its links go, and their name, e-mail and phone are replaced in the log's texts; logged as contact.erased.", vec![path_id("id")],
                Some(json!({"type": "object", "required": ["confirm"], "properties": {"confirm": {"type": "boolean", "description": "Must be true."}}})),
                vec![("200", json_body(json!({"type": "object", "properties": {"contact_id": {"type": "integer"}, "events_changed": {"type": "integer"}}}), "Erased")),
                    ("404", not_found()), ("422", invalid())], true)
        },
        "/contacts/{id}.vcf": {
            "get": op("One contact as vCard 4.0.", vec![path_id("id")], None, vec![("200", vcard()), ("404", not_found())], false)
        },
        "/contacts.vcf": {
            "get": op("A customer's contacts (`customer_id`), or all, as vCard 4.0.",
                vec![id_filter("customer_id", "Only this customer's contacts.")], None,
                vec![("200", vcard()), ("400", error_response("A bad parameter")), ("404", not_found())], false)
        },
        "/documents": {
            "get": op("Documents, newest first unless `sort` says otherwise.", document_list, None,
                vec![("200", json_body(register_page_of("Document"), "A page of documents")), ("400", error_response("A bad parameter, or an `offset` too deep (page with `after`)"))], false),
            "post": upload
        },
        "/documents/email": {"post": email},
        "/documents/{id}": {
            "get": op("One document (its current version's file).", vec![path_id("id")], None, vec![("200", json_body(schema_ref("Document"), "The document")), ("404", not_found())], false),
            "patch": op("Change the title, customer and contact (null clears a link). Setting a customer or contact takes the document out of Incoming (logged as document.assigned); clearing both puts it back under Incoming.", vec![path_id("id")],
                Some(json!({"type": "object", "properties": {"title": {"type": "string"}, "customer_id": {"type": ["integer", "null"]}, "contact_id": {"type": ["integer", "null"]}}})),
                vec![("200", json_body(schema_ref("Document"), "The changed document")), ("404", not_found()), ("422", invalid())], true),
            "delete": op("Delete a document with all its versions (users and administrators). Its log events stay.", vec![path_id("id")], None,
                vec![("204", json!({"description": "Deleted"})), ("404", not_found())], true)
        },
        "/documents/{id}/content": {
            "get": op("The bytes of the current version, or of `version`.", vec![path_id("id"), query("version", "A version number; the current one by default.", json!({"type": "integer"}))], None,
                content_answers(not_found()), false),
            "put": new_version
        },
        "/documents/{id}/versions": {
            "get": op("Every version of the document, newest first.", vec![path_id("id")], None,
                vec![("200", json_body(json!({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema_ref("DocumentVersion")}}}), "The versions")), ("404", not_found())], false)
        },
        "/documents/{id}/versions/{version}/content": {
            "get": op("The bytes of one version.", vec![path_id("id"), path_id("version")], None, content_answers(not_found()), false)
        },
        "/tasks": {
            "get": op("Tasks, by date unless `sort` says otherwise.", task_list, None,
                vec![("200", json_body(register_page_of("Task"), "A page of tasks")), ("400", error_response("A bad parameter, or an `offset` too deep (page with `after`)"))], false),
            "post": op("Create a task; its reminders are scheduled and the log records it.", vec![], Some(task_input_schema()),
                vec![("201", json_body(schema_ref("Task"), "The new task")), ("422", invalid())], true)
        },
        "/tasks/{id}": {
            "get": op("One task with its reminders.", vec![path_id("id")], None, vec![("200", json_body(schema_ref("Task"), "The task")), ("404", not_found())], false),
            "patch": op("Change the given fields, mark done or reopen; reminders follow.", vec![path_id("id")], Some(task_input_schema()),
                vec![("200", json_body(schema_ref("Task"), "The changed task")), ("404", not_found()), ("422", invalid())], true),
            "delete": op("Delete a task and its reminders; its log events stay.", vec![path_id("id")], None,
                vec![("204", json!({"description": "Deleted"})), ("404", not_found())], true)
        },
        "/reminders": {
            "get": op("Reminders whose time has come and that are not dismissed, newest first, with their task.", reminder_list, None,
                vec![("200", json_body(register_page_of("Reminder"), "A page of reminders")), ("400", error_response("A bad parameter, or an `offset` too deep (page with `after`)"))], false)
        },
        "/reminders/{id}/dismiss": {
            "post": op("Dismiss one of the caller's reminders.", vec![path_id("id")], None,
                vec![("204", json!({"description": "Dismissed"})), ("404", not_found())], true)
        },
        "/events": {
            "get": op("The customer log, newest first, searched and filtered.", event_list, None,
                vec![("200", json_body(json!({"type": "object", "required": ["items", "next_offset", "next_after"], "properties": {
                    "items": {"type": "array", "items": schema_ref("Event")},
                    "next_offset": {"type": ["integer", "null"], "description": "`offset` + `limit` when more follow a page asked for by offset."},
                    "next_after": {"type": ["string", "null"], "description": "Give as `after` for the next page; null on the last."}
                }}), "A page of events")), ("400", error_response("A bad parameter, a query over the length limit, or an `offset` too deep (page with `after`)"))], false),
            "post": op("Record a note, call, meeting, e-mail, invoice or payment (the app's own kinds are refused with 422).", vec![], Some(event_input_schema()),
                vec![("201", json_body(schema_ref("Event"), "The recorded event")), ("422", invalid())], true)
        },
        "/events/{id}": {
            "get": op("One event.", vec![path_id("id")], None, vec![("200", json_body(schema_ref("Event"), "The event")), ("404", not_found())], false)
        },
        "/ytj": {
            "get": op("Look a company up in the Finnish business register (PRH open data, YTJ v3) by business ID or by name (at most 20 matches). Nothing is saved.",
                vec![
                    query("business_id", "A business ID (Y-tunnus), e.g. 0112038-9; wins over `name`.", json!({"type": "string"})),
                    query("name", "A company name to search for.", json!({"type": "string"})),
                ], None,
                vec![("200", json_body(json!({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema_ref("Company")}}}), "The companies found; none is an empty list")),
                    ("400", error_response("Neither business_id nor name")),
                    ("422", invalid()),
                    ("502", error_response("The register could not be reached in time (3 s), or the look-up is turned off"))], false)
        },
        "/openapi.json": {"get": op("This document.", vec![], None, vec![("200", json!({"description": "The OpenAPI document"}))], false)},
        "/docs": {"get": op("This document as a readable page.", vec![], None, vec![("200", json!({"description": "An HTML page"}))], false)}
    })
}

/// The operation `verb` of `path`. The examples name routes by hand: one that is not in the
/// document is a mistake of their list, which the OpenAPI tests catch as a panic.
fn operation<'a>(paths: &'a mut Value, path: &str, verb: &str) -> &'a mut Value {
    paths
        .get_mut(path)
        .and_then(|p| p.get_mut(verb))
        .unwrap_or_else(|| panic!("an example for {verb} {path}, which is not documented"))
}

/// An example request of each route: the body of every write (`requestBody`'s `example`)
/// and, for reads that take a search or a look-up, the query (`x-example-query`). The docs
/// page turns them into a `curl` line per route.
fn with_examples(mut paths: Value) -> Value {
    let customer = json!({"name": "Kahvila Äijälä Oy", "business_id": "0112038-9", "email": "info@aijala.fi",
        "phone": "040 123 4567", "city": "Jyväskylä", "country": "FI", "tags": ["VIP"]});
    let contact = json!({"first_name": "Maija", "last_name": "Mäkinen", "email": "maija@aijala.fi",
        "phone": "050 555 1234", "customers": [{"customer_id": 1, "role": "Toimitusjohtaja"}]});
    let task = json!({"description": "Soita tarjouksesta", "assignee_id": 1, "due_date": "2026-12-01",
        "due_time": "10:00", "customer_id": 1});
    let bodies = [
        ("/customers", "post", customer),
        (
            "/customers/{id}",
            "patch",
            json!({"phone": "09 123 456", "owner_id": null}),
        ),
        (
            "/customers/{id}/contacts/{contact_id}",
            "put",
            json!({"role": "Hallituksen jäsen"}),
        ),
        ("/contacts", "post", contact),
        (
            "/contacts/{id}",
            "patch",
            json!({"title": "Myyntipäällikkö"}),
        ),
        ("/tasks", "post", task),
        ("/tasks/{id}", "patch", json!({"status": "done"})),
    ];
    // The routes are named here by hand: one that is not in the document is a mistake of
    // this list, which the OpenAPI tests would then catch as a panic.
    for (path, verb, example) in bodies {
        operation(&mut paths, path, verb)["requestBody"]["content"]["application/json"]
            ["example"] = example;
    }
    let queries = [
        ("/customers", "q=äijälä&tag=VIP"),
        ("/contacts", "q=mäkinen"),
        ("/contacts.vcf", "customer_id=1"),
        ("/tasks", "assignee_id=me&status=open&when=week"),
        ("/reminders", "state=pending"),
        ("/ytj", "business_id=0112038-9"),
    ];
    for (path, query) in queries {
        operation(&mut paths, path, "get")["x-example-query"] = query.into();
    }
    paths
}

pub(crate) fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "minicrm API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON API of minicrm. Authenticate with `Authorization: Bearer <token>`; tokens come from `minicrm token create` or the account page. Errors always have the shape of the Error schema. A known path with a method it does not take answers 405 (`method_not_allowed`). Every write is atomic and logged in the customer log."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": with_examples(paths()),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "User": {
                    "type": "object",
                    "required": ["id", "username", "name", "email", "role", "active"],
                    "properties": {
                        "id": {"type": "integer"},
                        "username": {"type": "string"},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                        "role": {"type": "string", "enum": ["admin", "user", "readonly"]},
                        "active": {"type": "boolean"}
                    }
                },
                "Customer": customer_schema(),
                "Contact": contact_schema(),
                "Task": task_schema(),
                "Document": document_schema(),
                "DocumentVersion": version_schema(),
                "Reminder": reminder_schema(),
                "Event": event_schema(),
                "Company": {
                    "type": "object",
                    "required": ["business_id", "name", "company_form", "street", "postal_code", "city", "website"],
                    "properties": {
                        "business_id": {"type": "string"},
                        "name": {"type": "string", "description": "The official name in force."},
                        "company_form": {"type": "string", "description": "In Finnish, e.g. Osakeyhtiö; empty when unknown."},
                        "street": {"type": "string", "description": "Of the street address, else of the postal address (PL 123)."},
                        "postal_code": {"type": "string"}, "city": {"type": "string"},
                        "website": {"type": "string"}
                    }
                },
                "Link": {"type": "object", "required": ["customer_id"], "properties": {"customer_id": {"type": "integer"}, "role": {"type": "string"}}},
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string", "examples": ["validation", "not_found", "unauthorized", "conflict", "bad_request", "method_not_allowed", "bad_gateway"]},
                            "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {"type": "string"}}
                        }
                    }}
                }
            }
        }
    })
}
