//! The audit log as CSV: one row per entry (who, when, action, the record before and
//! after as JSON), for admins' `GET /api/audit?format=csv` and `tirek audit`.

use crate::store::AuditEntry;

/// The audit entries as CSV (one row per entry; before/after as JSON text).
pub fn audit_csv(entries: &[AuditEntry]) -> Result<String, String> {
    write_audit_csv(entries).map_err(|e| e.to_string())
}

fn write_audit_csv(entries: &[AuditEntry]) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "at",
        "actor",
        "action",
        "entity_kind",
        "entity_id",
        "before",
        "after",
    ])?;
    for e in entries {
        out.write_record([
            e.id.to_string().as_str(),
            &e.at,
            &e.actor,
            &e.action,
            &e.entity_kind,
            &e.entity_id,
            e.before.as_deref().unwrap_or(""),
            e.after.as_deref().unwrap_or(""),
        ])?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
