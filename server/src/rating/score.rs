//! The rating formula, free of I/O: the regulator's part from its criteria, the residents' part
//! from report figures, and the total, each with its inputs and arithmetic written out so the
//! page can show why a company has its score. `docs/RATING.md` states the same formula; the
//! tests below pin its numbers.

use chrono::{DateTime, Utc};
use connect_core::api::rating::{RatingCriteria, ResidentFigures, ScorePart, ScoreTerm};

use crate::{reports::answered_on_time, store::ReportRecord};

/// Points of each term (regulator: 30 + 20 + 20 + 15 + 15; residents: 50 + 50).
pub const ORDERS_FULFILLED: f64 = 30.0;
/// See [`ORDERS_FULFILLED`].
pub const CLEAN_INSPECTIONS: f64 = 20.0;
/// See [`ORDERS_FULFILLED`].
pub const PENALTIES: f64 = 20.0;
/// See [`ORDERS_FULFILLED`].
pub const DISCLOSURE: f64 = 15.0;
/// See [`ORDERS_FULFILLED`].
pub const EXPERIENCE: f64 = 15.0;
/// Years of management that earn the whole experience term.
pub const FULL_EXPERIENCE_YEARS: u32 = 5;
/// See [`ORDERS_FULFILLED`].
pub const AVERAGE_RATING: f64 = 50.0;
/// See [`ORDERS_FULFILLED`].
pub const ON_TIME: f64 = 50.0;

/// Rounds to one decimal, the precision every shown number has (sums are of shown numbers, so
/// the arithmetic on the page adds up exactly).
pub fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn n1(x: f64) -> String {
    format!("{:.1}", r1(x))
}

fn term(
    key: &str,
    label: &str,
    inputs: String,
    max: f64,
    scored: Option<(f64, String)>,
) -> ScoreTerm {
    let (points, formula) = match scored {
        Some((p, f)) => {
            let p = r1(p.clamp(0.0, max));
            (Some(p), format!("{f} = {}", n1(p)))
        }
        None => (None, "not scored: no inputs".to_owned()),
    };
    ScoreTerm {
        key: key.into(),
        label: label.into(),
        inputs,
        formula,
        points,
        max_points: max,
    }
}

/// 100 × earned / possible over the terms that were scored.
fn part(terms: Vec<ScoreTerm>) -> ScorePart {
    let scored: Vec<&ScoreTerm> = terms.iter().filter(|t| t.points.is_some()).collect();
    let earned: f64 = scored.iter().filter_map(|t| t.points).sum();
    let possible: f64 = scored.iter().map(|t| t.max_points).sum();
    let skipped: Vec<&str> = terms
        .iter()
        .filter(|t| t.points.is_none())
        .map(|t| t.label.as_str())
        .collect();
    let (score, explanation) = if possible > 0.0 {
        let score = r1(100.0 * r1(earned) / possible);
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!(" (not scored: {})", skipped.join(", "))
        };
        (
            Some(score),
            format!(
                "{} of {} possible points{skipped} → 100 × {} / {} = {}",
                n1(earned),
                n1(possible),
                n1(earned),
                n1(possible),
                n1(score)
            ),
        )
    } else {
        (None, "no score: none of its terms has inputs".to_owned())
    };
    ScorePart {
        score,
        explanation,
        terms,
    }
}

/// The regulator's part from its criteria (`None`: the company is not in the imported CSV).
pub fn regulator_part(c: Option<&RatingCriteria>) -> ScorePart {
    let Some(c) = c else {
        return ScorePart {
            score: None,
            explanation: "no score: the company is not in the regulator's imported rating".into(),
            terms: Vec::new(),
        };
    };
    let (o, u) = (f64::from(c.orders_issued), f64::from(c.orders_unfulfilled));
    let orders = if c.orders_issued == 0 {
        Some((
            ORDERS_FULFILLED,
            format!("no orders issued → {ORDERS_FULFILLED}"),
        ))
    } else {
        Some((
            ORDERS_FULFILLED * (o - u) / o,
            format!("{ORDERS_FULFILLED} × ({o} − {u}) / {o}"),
        ))
    };
    let i = f64::from(c.inspections);
    let inspections = (c.inspections > 0).then(|| {
        (
            CLEAN_INSPECTIONS * (1.0 - o / i).max(0.0),
            format!("{CLEAN_INSPECTIONS} × max(0, 1 − {o} / {i})"),
        )
    });
    let (p, b) = (f64::from(c.penalties), f64::from(c.buildings));
    let penalties = (c.buildings > 0).then(|| {
        (
            PENALTIES / (1.0 + 10.0 * p / b),
            format!("{PENALTIES} / (1 + 10 × {p} / {b})"),
        )
    });
    let d = f64::from(c.undisclosed);
    let disclosure = Some((DISCLOSURE / (1.0 + d), format!("{DISCLOSURE} / (1 + {d})")));
    let y = c.years_managed.min(FULL_EXPERIENCE_YEARS);
    let experience = Some((
        EXPERIENCE * f64::from(y) / f64::from(FULL_EXPERIENCE_YEARS),
        format!(
            "{EXPERIENCE} × min({}, {FULL_EXPERIENCE_YEARS}) / {FULL_EXPERIENCE_YEARS}",
            c.years_managed
        ),
    ));
    part(vec![
        term(
            "orders_fulfilled",
            "Orders fulfilled",
            format!(
                "{} orders issued, {} not fulfilled",
                c.orders_issued, c.orders_unfulfilled
            ),
            ORDERS_FULFILLED,
            orders,
        ),
        term(
            "clean_inspections",
            "Inspections without orders",
            format!("{} inspections, {} orders", c.inspections, c.orders_issued),
            CLEAN_INSPECTIONS,
            inspections,
        ),
        term(
            "penalties",
            "Penalties per 10 buildings",
            format!("{} penalties, {} buildings", c.penalties, c.buildings),
            PENALTIES,
            penalties,
        ),
        term(
            "disclosure",
            "Information disclosed",
            format!("{} disclosure violations", c.undisclosed),
            DISCLOSURE,
            disclosure,
        ),
        term(
            "experience",
            "Years managing",
            format!("{} years", c.years_managed),
            EXPERIENCE,
            experience,
        ),
    ])
}

/// What a company's reports say, by the server clock `now`.
pub fn resident_figures(reports: &[&ReportRecord], now: DateTime<Utc>) -> ResidentFigures {
    let mut f = ResidentFigures {
        reports: u32::try_from(reports.len()).unwrap_or(u32::MAX),
        ..ResidentFigures::default()
    };
    let mut raters = std::collections::BTreeSet::new();
    let mut stars = 0u32;
    for r in reports {
        match answered_on_time(r, now) {
            Some(true) => {
                f.decided += 1;
                f.answered_on_time += 1;
            }
            Some(false) => f.decided += 1,
            None => {}
        }
        if let Some(s) = r.rating {
            raters.insert(r.author);
            f.ratings += 1;
            stars += u32::from(s);
            match s {
                4 | 5 => f.positive += 1,
                1 | 2 => f.negative += 1,
                _ => {}
            }
        }
    }
    f.residents_rated = u32::try_from(raters.len()).unwrap_or(u32::MAX);
    f.average_rating = (f.ratings > 0).then(|| f64::from(stars) / f64::from(f.ratings));
    f.on_time_share = (f.decided > 0).then(|| f64::from(f.answered_on_time) / f64::from(f.decided));
    f
}

/// The residents' part from their figures.
pub fn residents_part(f: &ResidentFigures) -> ScorePart {
    let rating = f.average_rating.map(|a| {
        (
            AVERAGE_RATING * (a - 1.0) / 4.0,
            format!("{AVERAGE_RATING} × ({:.2} − 1) / 4", a),
        )
    });
    let on_time = f.on_time_share.map(|s| {
        (
            ON_TIME * s,
            format!("{ON_TIME} × {} / {}", f.answered_on_time, f.decided),
        )
    });
    part(vec![
        term(
            "average_rating",
            "Average rating",
            match f.average_rating {
                Some(a) => format!(
                    "{} ratings by {} residents, average {:.2} of 5 ({} positive, {} negative)",
                    f.ratings, f.residents_rated, a, f.positive, f.negative
                ),
                None => "no ratings yet".into(),
            },
            AVERAGE_RATING,
            rating,
        ),
        term(
            "on_time",
            "Answered on time",
            format!(
                "{} of {} reports the deadline decided were answered by it",
                f.answered_on_time, f.decided
            ),
            ON_TIME,
            on_time,
        ),
    ])
}

/// The total: the mean of the parts that have a score.
pub fn total(regulator: &ScorePart, residents: &ScorePart) -> (Option<f64>, String) {
    match (regulator.score, residents.score) {
        (Some(a), Some(b)) => {
            let t = r1((a + b) / 2.0);
            (
                Some(t),
                format!(
                    "(regulator {} + residents {}) / 2 = {}",
                    n1(a),
                    n1(b),
                    n1(t)
                ),
            )
        }
        (Some(a), None) => (Some(a), format!("only the regulator's part: {}", n1(a))),
        (None, Some(b)) => (Some(b), format!("only the residents' part: {}", n1(b))),
        (None, None) => (None, "not rated: no part has a score".into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use connect_core::{
        ids::{BuildingId, CompanyId, RegionId, ReportId, UserId},
        reports::ReportStatus,
    };
    use uuid::Uuid;

    use super::*;

    fn criteria() -> RatingCriteria {
        RatingCriteria {
            company_id: CompanyId("X".into()),
            period: "2025-Q4".into(),
            buildings: 40,
            area_m2: 150_000.0,
            years_managed: 3,
            inspections: 10,
            orders_issued: 4,
            orders_unfulfilled: 1,
            penalties: 2,
            undisclosed: 1,
        }
    }

    #[test]
    fn the_regulators_part_adds_up_its_terms_as_documented() {
        let p = regulator_part(Some(&criteria()));
        let pts: Vec<f64> = p.terms.iter().map(|t| t.points.unwrap()).collect();
        // 30·3/4 = 22.5; 20·(1 − 4/10) = 12; 20/(1 + 10·2/40) = 13.3; 15/2 = 7.5; 15·3/5 = 9.
        assert_eq!(pts, [22.5, 12.0, 13.3, 7.5, 9.0]);
        assert_eq!(p.score, Some(64.3));
        assert_eq!(
            p.explanation,
            "64.3 of 100.0 possible points → 100 × 64.3 / 100.0 = 64.3"
        );
        assert_eq!(p.terms[0].formula, "30 × (4 − 1) / 4 = 22.5");
        assert_eq!(p.terms[2].formula, "20 / (1 + 10 × 2 / 40) = 13.3");
    }

    #[test]
    fn terms_without_inputs_are_left_out_of_the_possible_points() {
        let mut c = criteria();
        c.inspections = 0;
        c.orders_issued = 0;
        c.orders_unfulfilled = 0;
        c.years_managed = 12;
        let p = regulator_part(Some(&c));
        assert_eq!(p.terms[1].points, None);
        assert_eq!(p.terms[1].formula, "not scored: no inputs");
        // 30 + 13.3 + 7.5 + 15 = 65.8 of 80 → 82.3 (experience capped at 5 years).
        assert_eq!(p.score, Some(82.3));
        assert!(
            p.explanation
                .contains("(not scored: Inspections without orders)")
        );
        assert_eq!(regulator_part(None).score, None);
    }

    fn report(author: u128, rating: Option<u8>, answered: Option<i64>, due: i64) -> ReportRecord {
        ReportRecord {
            id: ReportId(Uuid::now_v7()),
            number: "2026-000001".into(),
            author: UserId(Uuid::from_u128(author)),
            building_id: BuildingId("B".into()),
            company_id: Some(CompanyId("X".into())),
            region_id: RegionId("R".into()),
            category: "leak".into(),
            text: "t".into(),
            place: "p".into(),
            content_sha256: String::new(),
            photo_count: 0,
            status: if rating.is_some() {
                ReportStatus::Rated
            } else if answered.is_some() {
                ReportStatus::Resolved
            } else {
                ReportStatus::Accepted
            },
            filed_ms: 0,
            due_ms: due,
            answered_ms: answered,
            rating,
        }
    }

    #[test]
    fn residents_figures_count_raters_sentiment_and_the_deadline_by_the_given_clock() {
        let now = DateTime::from_timestamp_millis(1_000).unwrap();
        let rs = [
            report(1, Some(5), Some(100), 200), // on time, positive
            report(1, Some(2), Some(300), 200), // late, negative, same resident
            report(2, Some(3), Some(150), 200), // on time, neutral
            report(3, None, None, 500),         // open, overdue → decided late
            report(3, None, None, 5_000),       // open, not due → undecided
        ];
        let refs: Vec<&ReportRecord> = rs.iter().collect();
        let f = resident_figures(&refs, now);
        assert_eq!(
            (f.reports, f.decided, f.answered_on_time, f.residents_rated),
            (5, 4, 2, 2)
        );
        assert_eq!((f.ratings, f.positive, f.negative), (3, 1, 1));
        assert_eq!(f.average_rating, Some(10.0 / 3.0));
        assert_eq!(f.on_time_share, Some(0.5));
        let p = residents_part(&f);
        // 50·(3.33 − 1)/4 = 29.2; 50·2/4 = 25 → 54.2 of 100.
        assert_eq!(p.terms[0].points, Some(29.2));
        assert_eq!(p.terms[1].formula, "50 × 2 / 4 = 25.0");
        assert_eq!(p.score, Some(54.2));
        let (t, why) = total(&regulator_part(Some(&criteria())), &p);
        assert_eq!(t, Some(59.3));
        assert_eq!(why, "(regulator 64.3 + residents 54.2) / 2 = 59.3");
        let none = residents_part(&resident_figures(&[], now));
        assert_eq!(none.score, None);
        assert_eq!(total(&regulator_part(None), &none).0, None);
    }
}
