//! `GET /api/v1/ytj?business_id=…` or `?name=…`: the business register look-up as JSON,
//! `{"items": [Company]}`; 502 in the error shape when the register cannot be reached or the
//! look-up is off.

use super::{lookup as ask, Failure, Query};
use crate::customers::business_id::BusinessId;
use crate::error::{has_control, Error, Result};
use crate::http::{Ctx, Resp};

pub(crate) fn lookup(ctx: &mut Ctx) -> Result<Resp> {
    let id = ctx.query.get("business_id").trim().to_string();
    let name = ctx.query.get("name").trim().to_string();
    let query = if !id.is_empty() {
        Query::BusinessId(BusinessId::parse(&id).map_err(|e| Error::field("business_id", e.key()))?)
    } else if !name.is_empty() {
        if has_control(&name) {
            return Err(Error::field("name", "form.control_chars"));
        }
        if name.chars().count() > 200 {
            return Err(Error::field("name", "form.too_long"));
        }
        Query::Name(name)
    } else {
        return Err(Error::BadRequest("Give business_id or name.".into()));
    };
    let base = ctx.ytj_url().ok_or(Failure::Off.error())?;
    let items = ask(base, &query).map_err(Failure::error)?;
    Ok(Resp::json(200, &serde_json::json!({ "items": items })))
}
