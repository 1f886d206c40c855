//! Static files from `assets/`, embedded in release builds by rust-embed. URLs carry a hash of
//! the content (`/assets/3f2a9c1b/style.css`), so browsers may cache them for a year.

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Files;

fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Files::iter()
            .filter_map(|name| {
                let file = Files::get(&name)?;
                let hash = Sha256::digest(&file.data);
                let short: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
                Some((name.to_string(), short))
            })
            .collect()
    })
}

/// The cache-busting URL of an asset.
pub(crate) fn url(name: &str) -> String {
    let hash = hashes().get(name).map(String::as_str).unwrap_or("0");
    format!("/assets/{hash}/{name}")
}

/// An embedded file and its MIME type, by name.
pub(crate) fn get(name: &str) -> Option<(Vec<u8>, String)> {
    let file = Files::get(name)?;
    let mime = file.metadata.mimetype().to_string();
    Some((file.data.into_owned(), mime))
}
