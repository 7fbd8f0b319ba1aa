//! A utility's published outage feed, CSV or JSON, read row by row: each good row becomes an
//! [`FeedRow`], each bad one an [`ImportRowError`] with its line, so one typo does not block the
//! rest of the feed.
//!
//! CSV header: `id,utility,kind,starts_at,expected_end_at,building_ids,description` (`id` a UUID
//! or empty, times RFC 3339, `building_ids` separated by `;`). JSON: an array of objects with the
//! same fields (`building_ids` an array).

use chrono::{DateTime, Utc};
use connect_core::{
    api::outages::ImportRowError,
    ids::{BuildingId, OutageId},
    outages::OutageKind,
    property::UtilityKind,
};
use serde::Deserialize;
use uuid::Uuid;

/// One good row.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    /// Its line (CSV, header = 1) or item number (JSON, first = 1).
    pub line: usize,
    /// The feed's id (re-publishing the same id updates the outage), or a new one.
    pub id: OutageId,
    /// Utility.
    pub utility: UtilityKind,
    /// Emergency or planned.
    pub kind: OutageKind,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// Expected end.
    pub expected_end_at: Option<DateTime<Utc>>,
    /// Buildings hit.
    pub building_ids: Vec<BuildingId>,
    /// Text.
    pub description: String,
}

/// A whole feed that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// JSON that is not an array of objects.
    #[error("the feed is not a JSON array: {0}")]
    NotAnArray(String),
    /// The CSV header misses a column.
    #[error("the CSV header lacks the column {0:?}")]
    MissingColumn(&'static str),
    /// The CSV could not be read.
    #[error("unreadable CSV: {0}")]
    Csv(String),
}

#[derive(Debug, Deserialize)]
struct RawRow {
    #[serde(default)]
    id: Option<String>,
    utility: String,
    kind: String,
    starts_at: String,
    #[serde(default)]
    expected_end_at: Option<String>,
    building_ids: Vec<String>,
    #[serde(default)]
    description: String,
}

fn time(s: &str, field: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{field} {s:?} is not an RFC 3339 time"))
}

fn check(line: usize, raw: RawRow) -> Result<FeedRow, String> {
    let id = match raw.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Uuid::parse_str(s).map_err(|_| format!("id {s:?} is not a UUID"))?,
        None => Uuid::now_v7(),
    };
    let utility = UtilityKind::parse(raw.utility.trim())
        .ok_or_else(|| format!("unknown utility {:?}", raw.utility))?;
    let kind = OutageKind::parse(raw.kind.trim())
        .ok_or_else(|| format!("kind {:?} is neither emergency nor planned", raw.kind))?;
    let starts_at = time(&raw.starts_at, "starts_at")?;
    let expected_end_at = match raw.expected_end_at.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Some(time(s, "expected_end_at")?),
        _ => None,
    };
    if expected_end_at.is_some_and(|e| e < starts_at) {
        return Err("expected_end_at is before starts_at".into());
    }
    let building_ids: Vec<BuildingId> = raw
        .building_ids
        .iter()
        .map(|b| b.trim())
        .filter(|b| !b.is_empty())
        .map(|b| BuildingId(b.to_owned()))
        .collect();
    if building_ids.is_empty() {
        return Err("no building_ids".into());
    }
    Ok(FeedRow {
        line,
        id: OutageId(id),
        utility,
        kind,
        starts_at,
        expected_end_at,
        building_ids,
        description: raw.description,
    })
}

/// Reads a feed; JSON when it starts with `[`, CSV otherwise.
pub fn read(text: &str) -> Result<(Vec<FeedRow>, Vec<ImportRowError>), FeedError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut push = |line: usize, r: Result<FeedRow, String>| match r {
        Ok(row) => rows.push(row),
        Err(message) => errors.push(ImportRowError { line, message }),
    };
    if text.trim_start().starts_with('[') {
        let items: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| FeedError::NotAnArray(e.to_string()))?;
        for (i, item) in items.into_iter().enumerate() {
            let line = i + 1;
            push(
                line,
                serde_json::from_value::<RawRow>(item)
                    .map_err(|e| e.to_string())
                    .and_then(|raw| check(line, raw)),
            );
        }
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| FeedError::Csv(e.to_string()))?
            .clone();
        let col = |name: &'static str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or(FeedError::MissingColumn(name))
        };
        let (c_utility, c_kind, c_start, c_buildings) = (
            col("utility")?,
            col("kind")?,
            col("starts_at")?,
            col("building_ids")?,
        );
        let (c_id, c_end, c_text) = (
            col("id").ok(),
            col("expected_end_at").ok(),
            col("description").ok(),
        );
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    push(line, Err(format!("unreadable row: {e}")));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line() as usize);
            let field = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::to_owned);
            let raw = RawRow {
                id: field(c_id),
                utility: field(Some(c_utility)).unwrap_or_default(),
                kind: field(Some(c_kind)).unwrap_or_default(),
                starts_at: field(Some(c_start)).unwrap_or_default(),
                expected_end_at: field(c_end),
                building_ids: field(Some(c_buildings))
                    .unwrap_or_default()
                    .split(';')
                    .map(str::to_owned)
                    .collect(),
                description: field(c_text).unwrap_or_default(),
            };
            push(line, check(line, raw));
        }
    }
    Ok((rows, errors))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bad_csv_rows_are_reported_with_their_line_and_the_rest_read() {
        let csv = "id,utility,kind,starts_at,expected_end_at,building_ids,description\n\
                   ,hot_water,planned,2026-06-01T08:00:00Z,2026-06-14T20:00:00Z,b1;b2,Seasonal\n\
                   ,steam,planned,2026-06-01T08:00:00Z,,b1,Bad utility\n\
                   ,heating,emergency,yesterday,,b1,Bad time\n\
                   ,gas,emergency,2026-06-01T08:00:00Z,,b3,Leak\n";
        let (rows, errors) = read(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].building_ids.len(), 2);
        assert_eq!(rows[1].utility, UtilityKind::Gas);
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
        assert!(errors[0].message.contains("steam"));
    }

    #[test]
    fn json_items_are_numbered_from_one() {
        let json = r#"[
            {"utility":"electricity","kind":"emergency","starts_at":"2026-06-01T08:00:00Z","building_ids":["b1"]},
            {"utility":"electricity","kind":"emergency","starts_at":"2026-06-01T08:00:00Z","building_ids":[]}
        ]"#;
        let (rows, errors) = read(json).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            errors,
            vec![ImportRowError {
                line: 2,
                message: "no building_ids".into()
            }]
        );
    }
}
