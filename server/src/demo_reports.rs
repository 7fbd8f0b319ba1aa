//! The demo's problem reports, staff name and rating criteria, so the company cabinet, the
//! public rating and the authority dashboard have something to show on first start: reports of
//! the last two months in every state (rated, late, rejected, overdue, fresh) for the demo
//! resident's company and two neighbouring companies, written through the same store calls as
//! the API, and the regulator's sample rating (`server/testdata/rating_vologda_2025q4.csv`) for
//! the real Vologda companies (generated criteria for the generated city).

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{Duration, Utc};
use connect_core::{
    api::{
        rating::RatingCriteria,
        reports::{EventAuthor, FileReportRequest},
    },
    ids::{ApartmentId, BuildingId, ReportId, UserId},
    property::{Apartment, Building},
    reports::ReportStatus,
};
use uuid::Uuid;

use crate::{
    crypto::Keys,
    demo::{DemoError, RESIDENT_PHONE, STAFF_PHONE},
    store::{Filed, NewEvent, NewInvite, NewReport, Store},
};

/// The regulator's sample rating of real Vologda companies.
pub const SAMPLE_RATING_CSV: &str = include_str!("../testdata/rating_vologda_2025q4.csv");
/// A small real JPEG for the demo reports.
const DEMO_PHOTO: &[u8] = include_bytes!("../testdata/demo_photo.jpg");

/// Up to two buildings managed by companies other than the home building's, each by another.
pub fn other_companies_buildings(buildings: &[Building], home: &Building) -> Vec<Building> {
    let mut picked: Vec<Building> = Vec::new();
    for b in buildings {
        let Some(c) = &b.company_id else { continue };
        if home.company_id.as_ref() == Some(c)
            || picked.iter().any(|p| p.company_id.as_ref() == Some(c))
        {
            continue;
        }
        picked.push(b.clone());
        if picked.len() == 2 {
            break;
        }
    }
    picked
}

/// One step after filing: hours after filing, who, the new status (or a comment), words.
type Step = (i64, EventAuthor, Option<ReportStatus>, Option<&'static str>);

struct Story {
    building: usize,
    author: usize,
    category: &'static str,
    text: &'static str,
    place: &'static str,
    hours_ago: i64,
    steps: Vec<Step>,
    rating: Option<(u8, i64)>,
}

const C: EventAuthor = EventAuthor::Company;
const R: EventAuthor = EventAuthor::Resident;

fn stories() -> Vec<Story> {
    use ReportStatus::*;
    let s = |building, author, category, text, place, days: i64, steps, rating| Story {
        building,
        author,
        category,
        text,
        place,
        hours_ago: days * 24,
        steps,
        rating,
    };
    vec![
        s(
            0,
            0,
            "leak",
            "Water is dripping from the ceiling in the bathroom.",
            "flat 12, 3rd floor",
            60,
            vec![
                (1, C, Some(Accepted), Some("A plumber is on the way.")),
                (
                    3,
                    C,
                    Some(Resolved),
                    Some("The pipe joint upstairs was resealed."),
                ),
            ],
            Some((5, 20)),
        ),
        s(
            0,
            1,
            "lift",
            "The lift stops between floors 4 and 5.",
            "entrance 2",
            45,
            vec![
                (2, C, Some(Accepted), None),
                (5, C, Some(InProgress), Some("Waiting for a spare part.")),
                (
                    30,
                    C,
                    Some(Resolved),
                    Some("The controller board was replaced."),
                ),
            ],
            Some((4, 40)),
        ),
        s(
            0,
            0,
            "stairwell_light",
            "No light on the stairs from the 2nd to the 5th floor.",
            "entrance 1",
            30,
            vec![
                (24, C, Some(Accepted), None),
                (48, C, Some(Resolved), Some("Bulbs replaced on floors 2–5.")),
            ],
            Some((2, 200)),
        ),
        s(
            0,
            2,
            "cleaning",
            "The stairwell has not been cleaned for two weeks.",
            "entrance 3",
            20,
            vec![(
                48,
                C,
                Some(Rejected),
                Some("Cleaning is done every Friday; the schedule is on the notice board."),
            )],
            None,
        ),
        s(
            0,
            1,
            "roof",
            "The roof leaks over the top floor after rain.",
            "entrance 2, 9th floor",
            12,
            vec![
                (24, C, Some(Accepted), Some("Roofers will inspect it.")),
                (48, C, Some(InProgress), None),
                (50, R, None, Some("It leaked again last night.")),
            ],
            None,
        ),
        s(
            0,
            0,
            "leak",
            "Hot water leaking in the basement.",
            "basement",
            2,
            vec![],
            None,
        ),
        s(
            0,
            2,
            "other",
            "The entrance door closer is broken.",
            "entrance 3",
            0,
            vec![],
            None,
        ),
        s(
            1,
            3,
            "leak",
            "Radiator leaking in the kitchen.",
            "flat 1",
            40,
            vec![
                (1, C, Some(Accepted), None),
                (2, C, Some(Resolved), Some("Valve tightened.")),
            ],
            Some((5, 10)),
        ),
        s(
            1,
            3,
            "no_heating",
            "No heating in the whole entrance.",
            "entrance 1",
            10,
            vec![
                (3, C, Some(Accepted), None),
                (40, C, Some(Resolved), Some("Air released from the risers.")),
            ],
            Some((1, 60)),
        ),
        s(
            1,
            3,
            "lift",
            "The lift does not come to the ground floor.",
            "entrance 1",
            5,
            vec![],
            None,
        ),
        s(
            2,
            4,
            "cleaning",
            "Rubbish left near the bins.",
            "yard",
            25,
            vec![
                (24, C, Some(Accepted), None),
                (72, C, Some(Resolved), Some("Removed.")),
            ],
            Some((4, 30)),
        ),
        s(
            2,
            4,
            "roof",
            "Icicles hanging over the entrance.",
            "entrance 1",
            3,
            vec![(20, C, Some(Accepted), None)],
            None,
        ),
    ]
}

async fn user(store: &dyn Store, keys: &Keys, phone: &str) -> Result<UserId, DemoError> {
    Ok(store
        .ensure_user(
            keys.phone_index(phone),
            keys.encrypt_phone(phone)?,
            Utc::now().timestamp_millis(),
        )
        .await?)
}

/// Seeds the reports, the demo staff member's name and the rating criteria.
pub async fn seed(
    store: &dyn Store,
    keys: &Keys,
    home: &Building,
    neighbours: &[Building],
    real: bool,
) -> Result<(), DemoError> {
    let mut buildings = vec![home.clone()];
    buildings.extend(neighbours.iter().cloned());
    // Residents: the demo resident and two neighbours at home, one in each other building.
    let phones = [
        (0, RESIDENT_PHONE),
        (0, "+70000000011"),
        (0, "+70000000012"),
        (1, "+70000000021"),
        (2, "+70000000031"),
    ];
    let mut authors = Vec::new();
    for (i, (b, phone)) in phones.iter().enumerate() {
        let u = user(store, keys, phone).await?;
        if let Some(building) = buildings.get(*b)
            && i > 0
        {
            let apt = Apartment {
                id: ApartmentId(Uuid::now_v7()),
                building_id: building.id.clone(),
                number: format!("{}", 30 + i),
            };
            store.insert_apartment(apt.clone()).await?;
            store.link_resident(u, apt.id).await?;
        }
        authors.push(u);
    }
    let categories = crate::reports::default_categories();
    let now = Utc::now();
    for story in stories() {
        let Some(b) = buildings.get(story.building) else {
            continue;
        };
        let filed = now - Duration::hours(story.hours_ago) - Duration::minutes(17);
        let hours = categories
            .iter()
            .find(|c| c.code == story.category)
            .map(|c| i64::from(c.deadline_hours))
            .unwrap_or(240);
        let id = ReportId(Uuid::now_v7());
        let photos: Vec<Vec<u8>> = if story.building == 0 {
            vec![DEMO_PHOTO.to_vec()]
        } else {
            Vec::new()
        };
        // The same canonical digest the API computes for a filing from the app.
        let digest = FileReportRequest {
            id,
            building_id: b.id.clone(),
            category: story.category.into(),
            text: story.text.into(),
            place: story.place.into(),
            photos: photos.iter().map(|p| STANDARD.encode(p)).collect(),
        }
        .content_sha256();
        let report = NewReport {
            id,
            author: authors[story.author],
            building_id: BuildingId(b.id.0.clone()),
            company_id: b.company_id.clone(),
            region_id: b.region_id.clone(),
            category: story.category.into(),
            text: story.text.into(),
            place: story.place.into(),
            content_sha256: digest,
            photos,
            filed_ms: filed.timestamp_millis(),
            due_ms: (filed + Duration::hours(hours)).timestamp_millis(),
        };
        if !matches!(store.file_report(report).await?, Filed::Created(_)) {
            continue;
        }
        let mut status = ReportStatus::New;
        for (after, author, to, text) in story.steps {
            let event = NewEvent {
                at_ms: (filed + Duration::hours(after)).timestamp_millis(),
                author,
                text: text.map(str::to_owned),
                client_op: None,
            };
            match to {
                Some(to) => {
                    store
                        .change_report_status(id, vec![status], to, None, event)
                        .await?;
                    status = to;
                }
                None => {
                    store.add_report_comment(id, event).await?;
                }
            }
        }
        if let Some((stars, after)) = story.rating {
            let event = NewEvent {
                at_ms: (filed + Duration::hours(after)).timestamp_millis(),
                author: EventAuthor::Resident,
                text: None,
                client_op: None,
            };
            store
                .change_report_status(id, vec![status], ReportStatus::Rated, Some(stars), event)
                .await?;
        }
    }
    name_demo_staff(store, keys, home).await?;
    seed_rating(store, &buildings, real).await
}

/// Gives the demo staff member a name through a used invite, as a real one would get it.
async fn name_demo_staff(store: &dyn Store, keys: &Keys, home: &Building) -> Result<(), DemoError> {
    let Some(company) = home.company_id.clone() else {
        return Ok(());
    };
    let now = Utc::now().timestamp_millis();
    let (_, hash) = keys.new_token()?;
    store
        .create_invite(NewInvite {
            token_hash: hash.clone(),
            company_id: company,
            name: "Demo Dispatcher".into(),
            email: None,
            created_by: None,
            created_ms: now,
            expires_ms: now + 1,
        })
        .await?;
    let staff = user(store, keys, STAFF_PHONE).await?;
    store.redeem_invite(hash, staff, now).await?;
    Ok(())
}

async fn seed_rating(
    store: &dyn Store,
    buildings: &[Building],
    real: bool,
) -> Result<(), DemoError> {
    if real {
        let r = crate::rating::import::import(store, SAMPLE_RATING_CSV.as_bytes())
            .await
            .map_err(|e| DemoError::Rating(e.to_string()))?;
        tracing::info!(
            imported = r.imported,
            refused = r.errors.len(),
            "demo rating"
        );
        return Ok(());
    }
    let rows: Vec<RatingCriteria> = buildings
        .iter()
        .filter_map(|b| b.company_id.clone())
        .enumerate()
        .map(|(i, company_id)| {
            let i = u32::try_from(i).unwrap_or(0);
            RatingCriteria {
                company_id,
                period: "2025-Q4".into(),
                buildings: 100 - 20 * i,
                area_m2: f64::from(250_000 - 60_000 * i),
                years_managed: 3 + 4 * i,
                inspections: 6 + i,
                orders_issued: 2 + 3 * i,
                orders_unfulfilled: i,
                penalties: i,
                undisclosed: 2 - i.min(2),
            }
        })
        .collect();
    store
        .upsert_rating_criteria(rows, Utc::now().timestamp_millis())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_sample_rating_parses_cleanly_and_names_real_vologda_companies() {
        let (rows, errors) = crate::rating::import::parse(SAMPLE_RATING_CSV.as_bytes()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 12);
        let data =
            crate::demo::data_dir(None).map(|d| d.join("geo/vologda/managing_companies.csv"));
        let Some(path) = data.filter(|p| p.is_file()) else {
            println!("SKIP the cross-check: no shared data folder");
            return;
        };
        let known = std::fs::read_to_string(path).unwrap();
        for (_, r) in rows {
            assert!(
                known
                    .lines()
                    .any(|l| l.starts_with(&format!("{},", r.company_id.0))),
                "{} is not in managing_companies.csv",
                r.company_id.0
            );
        }
    }
}
