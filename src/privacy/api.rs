//! `GET /api/v1/contacts/{id}/export` and `POST /api/v1/contacts/{id}/erase`.

use serde::Deserialize;

use super::{erase, export};
use crate::contacts::ContactId;
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};

pub(crate) fn export_contact(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let lang = ctx.choose_lang();
    Ok(Resp::json(200, &export(ctx.conn, ContactId(id), lang)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    #[serde(default)]
    confirm: bool,
}

/// Erases the contact when the body says `{"confirm": true}`; otherwise a 422 at `confirm`.
pub(crate) fn erase_contact(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let body: Confirm = ctx.json()?;
    if !body.confirm {
        return Err(Error::field("confirm", "privacy.confirm_required"));
    }
    let erased = db::write(ctx.conn, |tx| erase(tx, ContactId(id), by))?;
    Ok(Resp::json(200, &erased))
}
