//! Conformance cases of [`OutageStore`](super::OutageStore), run on both backends by the macro in
//! `conformance.rs`: an outage and its building list are written all or nothing and replaced
//! whole; the box and change-feed queries; removals from the area recorded for sync; repairs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use connect_core::{
    api::outages::Repair,
    ids::{ApartmentId, BuildingId, CompanyId, OutageId, RegionId, UserId},
    outages::{Outage, OutageKind},
    property::{Apartment, Building, ManagingCompany, UtilityKind},
};
use uuid::Uuid;

use super::{BBox, OutageRecord, Store, StoreError};

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
}

/// Building ids, sorted as the store lists an outage's buildings.
fn ids(list: &[&str]) -> Vec<BuildingId> {
    let mut ids: Vec<BuildingId> = list.iter().map(|b| BuildingId((*b).into())).collect();
    ids.sort();
    ids
}

/// Company X with buildings W (lon 39.0), M (39.5) and E (40.0) on one latitude.
async fn world(s: &dyn Store) {
    s.upsert_company(ManagingCompany {
        id: CompanyId("X".into()),
        name: "UK X".into(),
        tax_id: None,
        phone: None,
        email: None,
        region_id: RegionId("R1".into()),
    })
    .await
    .unwrap();
    let building = |id: &str, lon: f64| Building {
        id: BuildingId(id.into()),
        address: format!("{id} street"),
        company_id: Some(CompanyId("X".into())),
        region_id: RegionId("R1".into()),
        lat: 59.2,
        lon,
    };
    s.upsert_buildings(vec![
        building("W", 39.0),
        building("M", 39.5),
        building("E", 40.0),
    ])
    .await
    .unwrap();
}

fn outage(n: u128, buildings: &[&str], start_min: i64, stamp_min: i64) -> OutageRecord {
    OutageRecord {
        outage: Outage {
            id: OutageId(Uuid::from_u128(n)),
            utility: UtilityKind::HotWater,
            kind: OutageKind::Planned,
            starts_at: t(start_min),
            expected_end_at: Some(t(start_min + 600)),
            ended_at: None,
            building_ids: ids(buildings),
            description: format!("outage {n}"),
            updated_at: t(stamp_min),
        },
        company_id: Some(CompanyId("X".into())),
    }
}

fn box_around(lon: f64) -> Option<BBox> {
    Some(BBox {
        west: lon - 0.1,
        south: 59.1,
        east: lon + 0.1,
        north: 59.3,
    })
}

fn outage_ids(list: &[Outage]) -> Vec<u128> {
    list.iter().map(|o| o.id.0.as_u128()).collect()
}

pub async fn an_outage_and_its_buildings_are_written_whole_and_replaced_whole(s: &dyn Store) {
    world(s).await;
    let first = outage(1, &["W", "M"], 10, 1);
    s.put_outage(first.clone()).await.unwrap();
    assert_eq!(
        s.outage(first.outage.id).await.unwrap(),
        Some(first.clone())
    );
    // Replacing changes every field and the building list; nothing of the old list remains.
    let mut changed = outage(1, &["E"], 20, 2);
    changed.outage.utility = UtilityKind::Heating;
    changed.outage.kind = OutageKind::Emergency;
    changed.outage.ended_at = Some(t(30));
    changed.outage.expected_end_at = None;
    s.put_outage(changed.clone()).await.unwrap();
    assert_eq!(
        s.outage(first.outage.id).await.unwrap(),
        Some(changed.clone())
    );
    // A building that does not exist writes nothing of the outage.
    let bad = outage(2, &["W", "NOPE"], 10, 3);
    assert!(matches!(
        s.put_outage(bad.clone()).await,
        Err(StoreError::MissingReference)
    ));
    assert_eq!(s.outage(bad.outage.id).await.unwrap(), None);
    let mut replaced_badly = outage(1, &["W", "NOPE"], 10, 3);
    replaced_badly.company_id = None;
    assert!(s.put_outage(replaced_badly).await.is_err());
    assert_eq!(s.outage(first.outage.id).await.unwrap(), Some(changed));
    assert_eq!(s.outage(OutageId(Uuid::from_u128(99))).await.unwrap(), None);
}

pub async fn outages_are_found_by_box_and_by_buildings_changed_since(s: &dyn Store) {
    world(s).await;
    s.put_outage(outage(1, &["W"], 30, 5)).await.unwrap();
    s.put_outage(outage(2, &["W", "E"], 10, 7)).await.unwrap();
    s.put_outage(outage(3, &["M"], 20, 9)).await.unwrap();
    // By box, ordered by start.
    assert_eq!(
        outage_ids(&s.outages_in(box_around(39.0)).await.unwrap()),
        [2, 1]
    );
    assert_eq!(
        outage_ids(&s.outages_in(box_around(40.0)).await.unwrap()),
        [2]
    );
    assert_eq!(outage_ids(&s.outages_in(None).await.unwrap()), [2, 3, 1]);
    assert!(s.outages_in(box_around(45.0)).await.unwrap().is_empty());
    // By buildings and change stamp, oldest change first, each outage once.
    let since = |min: i64| t(min).timestamp_millis();
    assert_eq!(
        outage_ids(
            &s.outages_for_buildings(ids(&["W", "E"]), since(0))
                .await
                .unwrap()
        ),
        [1, 2]
    );
    assert_eq!(
        outage_ids(
            &s.outages_for_buildings(ids(&["W", "E"]), since(5))
                .await
                .unwrap()
        ),
        [2]
    );
    assert!(
        s.outages_for_buildings(ids(&["W"]), since(7))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.outages_for_buildings(vec![], since(0))
            .await
            .unwrap()
            .is_empty()
    );
    // Buildings by their point.
    let found: Vec<String> = s
        .buildings_in(box_around(39.5))
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id.0)
        .collect();
    assert_eq!(found, ["M"]);
    assert_eq!(s.buildings_in(None).await.unwrap().len(), 3);
}

pub async fn a_building_taken_out_of_the_area_is_a_removal_until_it_returns(s: &dyn Store) {
    world(s).await;
    let since = |min: i64| t(min).timestamp_millis();
    let id = OutageId(Uuid::from_u128(1));
    s.put_outage(outage(1, &["W", "M", "E"], 10, 1))
        .await
        .unwrap();
    assert!(
        s.outage_removals(ids(&["W", "M", "E"]), 0)
            .await
            .unwrap()
            .is_empty()
    );
    // Narrowed to W: M and E are removals stamped with the change.
    s.put_outage(outage(1, &["W"], 10, 2)).await.unwrap();
    assert_eq!(
        s.outage_removals(ids(&["M"]), since(1)).await.unwrap(),
        [(id, since(2))]
    );
    // One entry per outage, also for several of the asked buildings.
    assert_eq!(
        s.outage_removals(ids(&["M", "E", "W"]), since(1))
            .await
            .unwrap(),
        [(id, since(2))]
    );
    assert!(
        s.outage_removals(ids(&["M"]), since(2))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.outage_removals(ids(&["W"]), 0).await.unwrap().is_empty());
    // M comes back: no longer a removal. E is removed again later: restamped.
    s.put_outage(outage(1, &["W", "M", "E"], 10, 3))
        .await
        .unwrap();
    assert!(s.outage_removals(ids(&["M"]), 0).await.unwrap().is_empty());
    s.put_outage(outage(1, &["W", "M"], 10, 4)).await.unwrap();
    assert_eq!(
        s.outage_removals(ids(&["E"]), since(3)).await.unwrap(),
        [(id, since(4))]
    );
    assert!(s.outage_removals(ids(&["M"]), 0).await.unwrap().is_empty());
}

pub async fn residents_buildings_and_repairs_read_back(s: &dyn Store) {
    world(s).await;
    let user = s.ensure_user(vec![3; 32], vec![0], 0).await.unwrap();
    assert!(s.resident_buildings(user).await.unwrap().is_empty());
    for (b, n) in [("E", "1"), ("W", "1"), ("W", "2")] {
        let apt = Apartment {
            id: ApartmentId(Uuid::now_v7()),
            building_id: BuildingId(b.into()),
            number: n.into(),
        };
        s.insert_apartment(apt.clone()).await.unwrap();
        s.link_resident(user, apt.id).await.unwrap();
    }
    assert_eq!(s.resident_buildings(user).await.unwrap(), ids(&["E", "W"]));
    assert!(
        s.resident_buildings(UserId(Uuid::now_v7()))
            .await
            .unwrap()
            .is_empty()
    );
    let repair = |title: &str, day: u32, done: bool| Repair {
        building_id: BuildingId("W".into()),
        title: title.into(),
        date: NaiveDate::from_ymd_opt(2026, 6, day).unwrap(),
        done,
    };
    s.add_repair(repair("roof", 1, true)).await.unwrap();
    s.add_repair(repair("lift", 20, false)).await.unwrap();
    s.add_repair(repair("pipes", 20, false)).await.unwrap();
    assert_eq!(
        s.repairs(BuildingId("W".into())).await.unwrap(),
        [
            repair("pipes", 20, false),
            repair("lift", 20, false),
            repair("roof", 1, true)
        ]
    );
    assert!(s.repairs(BuildingId("E".into())).await.unwrap().is_empty());
    assert!(matches!(
        s.add_repair(Repair {
            building_id: BuildingId("NOPE".into()),
            ..repair("x", 1, true)
        })
        .await,
        Err(StoreError::MissingReference)
    ));
}
