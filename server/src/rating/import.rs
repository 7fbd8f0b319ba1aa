//! Reading the regulator's rating CSV. One row per company with a header naming the columns
//! (any order; extra columns ignored): `company_id, period, buildings, area_m2, years_managed,
//! inspections, orders_issued, orders_unfulfilled, penalties, undisclosed` (`name` and `inn`
//! may be present for people reading the file). Comma or semicolon separated; with semicolons a
//! decimal comma in `area_m2` is read as a point; spaces inside numbers are ignored. Bad rows are
//! reported with their line (the header is line 1) and the rest is imported.

use std::{collections::HashMap, io::Read};

use connect_core::{
    api::{outages::ImportRowError, rating::RatingCriteria},
    ids::CompanyId,
};

use crate::store::{Store, StoreError};

/// A file that cannot be read as a rating CSV at all.
#[derive(Debug, thiserror::Error)]
pub enum RatingImportError {
    /// Reading the input failed.
    #[error("reading the CSV failed: {0}")]
    Read(String),
    /// The header lacks a required column.
    #[error("the header has no column {0:?}")]
    MissingColumn(&'static str),
    /// The store refused the write.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

const COLUMNS: [&str; 10] = [
    "company_id",
    "period",
    "buildings",
    "area_m2",
    "years_managed",
    "inspections",
    "orders_issued",
    "orders_unfulfilled",
    "penalties",
    "undisclosed",
];

/// Rows that parsed, each with its line, and the refused ones.
pub type Parsed = (Vec<(usize, RatingCriteria)>, Vec<ImportRowError>);

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect()
}

fn count(field: &str, s: &str) -> Result<u32, String> {
    clean(s)
        .parse::<u32>()
        .map_err(|_| format!("{field} must be a whole number ≥ 0, got {s:?}"))
}

/// Parses the CSV text (no store access).
pub fn parse(mut reader: impl Read) -> Result<Parsed, RatingImportError> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| RatingImportError::Read(e.to_string()))?;
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or("");
    let semicolons = header_line.matches(';').count() > header_line.matches(',').count();
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(if semicolons { b';' } else { b',' })
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = csv
        .headers()
        .map_err(|e| RatingImportError::Read(e.to_string()))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_lowercase(), i))
        .collect();
    let mut at = [0usize; 10];
    for (i, c) in COLUMNS.iter().enumerate() {
        at[i] = *index.get(*c).ok_or(RatingImportError::MissingColumn(c))?;
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for rec in csv.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                errors.push(ImportRowError {
                    line,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let get = |i: usize| rec.get(at[i]).unwrap_or("").trim();
        let row = (|| -> Result<RatingCriteria, String> {
            let company = get(0);
            if company.is_empty() {
                return Err("company_id is empty".into());
            }
            let period = get(1);
            if period.is_empty() {
                return Err("period is empty".into());
            }
            let mut area = clean(get(3));
            if semicolons {
                area = area.replace(',', ".");
            }
            let area_m2: f64 = area
                .parse()
                .ok()
                .filter(|a: &f64| a.is_finite() && *a >= 0.0)
                .ok_or_else(|| format!("area_m2 must be a number ≥ 0, got {:?}", get(3)))?;
            let c = RatingCriteria {
                company_id: CompanyId(company.to_owned()),
                period: period.to_owned(),
                buildings: count("buildings", get(2))?,
                area_m2,
                years_managed: count("years_managed", get(4))?,
                inspections: count("inspections", get(5))?,
                orders_issued: count("orders_issued", get(6))?,
                orders_unfulfilled: count("orders_unfulfilled", get(7))?,
                penalties: count("penalties", get(8))?,
                undisclosed: count("undisclosed", get(9))?,
            };
            if c.orders_unfulfilled > c.orders_issued {
                return Err(format!(
                    "orders_unfulfilled ({}) exceeds orders_issued ({})",
                    c.orders_unfulfilled, c.orders_issued
                ));
            }
            Ok(c)
        })();
        match row {
            Ok(c) => {
                if let Some(first) = seen.get(&c.company_id.0) {
                    errors.push(ImportRowError {
                        line,
                        message: format!("company {} is already on line {first}", c.company_id.0),
                    });
                } else {
                    seen.insert(c.company_id.0.clone(), line);
                    rows.push((line, c));
                }
            }
            Err(message) => errors.push(ImportRowError { line, message }),
        }
    }
    Ok((rows, errors))
}

/// Parses the CSV and stores every good row whose company is known (replacing the company's
/// earlier row); returns how many went in and which lines were refused, in line order.
pub async fn import(
    store: &dyn Store,
    reader: impl Read,
) -> Result<connect_core::api::rating::RatingImportResponse, RatingImportError> {
    let (rows, mut errors) = parse(reader)?;
    let mut good = Vec::with_capacity(rows.len());
    for (line, c) in rows {
        if store.company(c.company_id.clone()).await?.is_some() {
            good.push(c);
        } else {
            errors.push(ImportRowError {
                line,
                message: format!("unknown company {:?}", c.company_id.0),
            });
        }
    }
    let imported = good.len();
    store
        .upsert_rating_criteria(good, chrono::Utc::now().timestamp_millis())
        .await?;
    errors.sort_by_key(|e| e.line);
    Ok(connect_core::api::rating::RatingImportResponse { imported, errors })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn good_rows_parse_and_bad_ones_are_reported_with_their_line() {
        let csv = "company_id,name,period,buildings,area_m2,years_managed,inspections,orders_issued,orders_unfulfilled,penalties,undisclosed\n\
                   rgkh-1,\"ООО \"\"Дом\"\"\",2025-Q4,40,\"150 000.5\",7,10,4,1,2,0\n\
                   rgkh-2,B,2025-Q4,x,1,1,1,1,1,1,1\n\
                   rgkh-3,C,2025-Q4,5,100,1,1,1,2,0,0\n\
                   ,D,2025-Q4,5,100,1,1,1,0,0,0\n\
                   rgkh-1,E,2025-Q4,5,100,1,1,1,0,0,0\n";
        let (rows, errors) = parse(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.area_m2, 150_000.5);
        assert_eq!(rows[0].1.orders_unfulfilled, 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
        assert!(errors[0].message.contains("buildings"));
        assert!(errors[1].message.contains("exceeds"));
        assert!(errors[3].message.contains("already on line 2"));
    }

    #[test]
    fn semicolon_files_with_decimal_commas_and_any_column_order_are_read() {
        let csv = "\u{feff}period;undisclosed;penalties;orders_unfulfilled;orders_issued;inspections;years_managed;area_m2;buildings;company_id\n\
                   2025-Q4;0;1;0;2;3;9;12 345,7;12;rgkh-9\n";
        let (rows, errors) = parse(csv.as_bytes()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].1.area_m2, 12_345.7);
        assert_eq!(rows[0].1.buildings, 12);
        assert!(matches!(
            parse("company_id,period\nx,y\n".as_bytes()),
            Err(RatingImportError::MissingColumn("buildings"))
        ));
    }
}
