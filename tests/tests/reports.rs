//! Problem reports against the real server binary: filing is idempotent on the client's id and
//! the filed content is immutable (its SHA-256 is the one the core computes), the lifecycle
//! refuses invalid transitions, a report is rated once, and each company lists only its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use connect_core::{
    api::reports::FileReportRequest,
    ids::{BuildingId, ReportId},
};
use connect_tests::{Actor::*, TestServer, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TINY_JPEG_B64: &str = "/9j/2wBDAA==";

fn request(w: &World, text: &str) -> FileReportRequest {
    FileReportRequest {
        id: ReportId(uuid::Uuid::now_v7()),
        building_id: BuildingId(w.a.building_id.clone()),
        category: "leak".into(),
        text: text.into(),
        place: "entrance 1, floor 3".into(),
        photos: vec![TINY_JPEG_B64.into()],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_filing_gets_the_same_answer_and_other_content_under_the_same_id_is_refused() {
    let w = World::new(TestServer::sqlite().await).await;
    let resident = w.client(ResidentA);
    let req = request(&w, "water from the ceiling");
    let body = serde_json::to_value(&req).unwrap();
    let first = resident.post_ok("/v1/reports", body.clone()).await;
    let number = first["number"].as_str().unwrap();
    assert_eq!(number.len(), 11, "{number}");
    assert_eq!(&number[4..5], "-");
    assert_eq!(first["content_sha256"], req.content_sha256().as_str());
    assert_eq!(first["status"], "new");
    let again = resident.post_ok("/v1/reports", body).await;
    assert_eq!(again, first);

    let mut other = req.clone();
    other.text = "nothing is wrong after all".into();
    let (s, err) = resident
        .post("/v1/reports", serde_json::to_value(&other).unwrap())
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{err}");
    let (s, view) = resident.get(&format!("/v1/reports/{}", req.id.0)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(view["text"], "water from the ceiling");
    assert_eq!(view["content_sha256"], req.content_sha256().as_str());
    assert_eq!(view["photo_count"], 1);

    // The next filing gets the next number.
    let second = resident
        .post_ok(
            "/v1/reports",
            serde_json::to_value(request(&w, "lift stuck")).unwrap(),
        )
        .await;
    let n1: u32 = number[5..].parse().unwrap();
    let n2: u32 = second["number"].as_str().unwrap()[5..].parse().unwrap();
    assert_eq!(n2, n1 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_cannot_file_about_a_building_they_do_not_live_in() {
    let w = World::new(TestServer::sqlite().await).await;
    let mut req = request(&w, "x");
    req.building_id = BuildingId(w.b.building_id.clone());
    let (s, _) = w
        .client(ResidentA)
        .post("/v1/reports", serde_json::to_value(&req).unwrap())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut bad = request(&w, "x");
    bad.photos = vec!["aGVsbG8=".into()];
    let (s, _) = w
        .client(ResidentA)
        .post("/v1/reports", serde_json::to_value(&bad).unwrap())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a non-JPEG photo");
}

async fn status(w: &World, id: &str, action: &str) -> (StatusCode, Value) {
    w.client(StaffX)
        .post(
            &format!("/v1/company/reports/{id}/status"),
            json!({"action": action, "comment": "note"}),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_refuses_skipped_steps_and_a_report_is_rated_once() {
    let w = World::new(TestServer::postgres().await).await;
    let resident = w.client(ResidentA);
    let req = request(&w, "dark stairwell");
    resident
        .post_ok("/v1/reports", serde_json::to_value(&req).unwrap())
        .await;
    let id = req.id.0.to_string();
    let rate = format!("/v1/reports/{id}/rating");

    assert_eq!(status(&w, &id, "resolve").await.0, StatusCode::CONFLICT);
    let (s, _) = resident.post(&rate, json!({"stars": 5})).await;
    assert_eq!(s, StatusCode::CONFLICT, "cannot rate before it is closed");
    for (action, expect) in [
        ("accept", "accepted"),
        ("in_progress", "in_progress"),
        ("resolve", "resolved"),
    ] {
        let (s, v) = status(&w, &id, action).await;
        assert_eq!(s, StatusCode::OK, "{action}: {v}");
        assert_eq!(v["status"], expect);
    }
    assert_eq!(status(&w, &id, "reject").await.0, StatusCode::CONFLICT);
    let (s, _) = resident.post(&rate, json!({"stars": 0})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let rated = resident
        .post_ok(&rate, json!({"stars": 4, "comment": "quick"}))
        .await;
    assert_eq!(rated["status"], "rated");
    assert_eq!(rated["rating"], 4);
    let (s, _) = resident.post(&rate, json!({"stars": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT, "rated once");

    let reopened = resident
        .post_ok(
            &format!("/v1/reports/{id}/reopen"),
            json!({"text": "dark again"}),
        )
        .await;
    assert_eq!(reopened["status"], "reopened");
    let (s, v) = status(&w, &id, "accept").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Rejecting needs a reason.
    let (s, _) = w
        .client(StaffX)
        .post(
            &format!("/v1/company/reports/{id}/status"),
            json!({"action": "reject"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let statuses: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        vec![
            "accepted",
            "in_progress",
            "resolved",
            "rated",
            "reopened",
            "accepted"
        ]
    );
    w.server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_company_lists_only_its_own_reports_by_deadline_and_residents_only_theirs() {
    let w = World::new(TestServer::sqlite().await).await;
    let mut leak = request(&w, "leak");
    leak.category = "leak".into();
    let mut cleaning = request(&w, "dirty");
    cleaning.category = "cleaning".into();
    // Filed first but due later (days, not hours).
    for r in [&cleaning, &leak] {
        w.client(ResidentA)
            .post_ok("/v1/reports", serde_json::to_value(r).unwrap())
            .await;
    }
    let (_, x) = w.client(StaffX).get("/v1/company/reports").await;
    let ids: Vec<&str> = x["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![leak.id.0.to_string(), cleaning.id.0.to_string()]);
    let (_, fresh) = w
        .client(StaffX)
        .get("/v1/company/reports?status=new&overdue=false")
        .await;
    assert_eq!(fresh["reports"].as_array().unwrap().len(), 2);
    let (_, late) = w
        .client(StaffX)
        .get("/v1/company/reports?overdue=true")
        .await;
    assert_eq!(late["reports"], json!([]));
    let (_, y) = w.client(StaffY).get("/v1/company/reports").await;
    assert_eq!(y["reports"], json!([]));
    let (_, theirs) = w.client(ResidentB).get("/v1/reports").await;
    assert_eq!(theirs["reports"], json!([]));
    let (_, mine) = w.client(ResidentA).get("/v1/reports").await;
    assert_eq!(mine["reports"].as_array().unwrap().len(), 2);
    let (s, cats) = w.server.anonymous().get("/v1/report-categories").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        cats["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "leak" && c["emergency"] == true)
    );
}
