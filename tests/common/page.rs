//! Reading pages in tests: the values, errors, flash and log rows a page shows.
#![allow(dead_code)]

/// The value of one row of a card's details (`<dt>label</dt><dd>value</dd>`), as text: an
/// e-mail, phone or website link gives its text.
pub fn detail(body: &str, label: &str) -> Option<String> {
    let marker = format!("<dt>{label}</dt><dd>");
    let at = body.find(&marker)? + marker.len();
    let html = &body[at..at + body[at..].find("</dd>").unwrap()];
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    Some(unescape(&text))
}

/// The (kind label, summary) of every event in a page's event list, newest first.
pub fn events(body: &str) -> Vec<(String, String)> {
    body.split("<span class=\"kind\">")
        .skip(1)
        .map(|s| {
            let kind = s.split("</span>").next().unwrap();
            let summary = s
                .split("<span class=\"summary\">")
                .nth(1)
                .unwrap()
                .split("</span>")
                .next()
                .unwrap();
            (unescape(kind), unescape(summary))
        })
        .collect()
}

/// The error shown under a field, if any.
pub fn field_error(body: &str, name: &str) -> Option<String> {
    let marker = format!("id=\"f-{name}-error\">");
    let at = body.find(&marker)? + marker.len();
    Some(unescape(&body[at..at + body[at..].find('<').unwrap()]))
}

pub fn flash(body: &str) -> Option<String> {
    let marker = "<p class=\"flash\" role=\"status\">";
    let at = body.find(marker)? + marker.len();
    Some(unescape(&body[at..at + body[at..].find('<').unwrap()]))
}

/// The id at the end of a `Location` such as `/customers/7#contacts`.
pub fn id_from_location(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(['#', '?', '/']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id after {prefix} in {location:?}"))
}

/// The value of the `<input id="f-{name}">` of a form page, unescaped; of a
/// `<select id="f-{name}">`, its selected option's value.
pub fn input_value(body: &str, name: &str) -> String {
    let marker = format!("id=\"f-{name}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {body}"));
    if body[..at].ends_with("<select ") {
        let options = &body[at..at + body[at..].find("</select>").unwrap()];
        return options
            .split("<option value=\"")
            .skip(1)
            .find(|o| o.split('>').next().unwrap().ends_with(" selected"))
            .map(|o| unescape(&o[..o.find('"').unwrap()]))
            .unwrap_or_default();
    }
    let tag = &body[at..at + body[at..].find('>').unwrap()];
    match tag.find("value=\"") {
        Some(v) => {
            let rest = &tag[v + 7..];
            unescape(&rest[..rest.find('"').unwrap()])
        }
        None => String::new(),
    }
}

/// Undoes maud's escaping, for comparing shown text with what was typed.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
