//! The `connect report` commands against the real server binary: a resident logs in with the SMS
//! code, files a report with a photo, syncs, sees the public number and the company's status
//! changes, rates it once (a second rating is refused), and reopens it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use connect_tests::{ADMIN_PHONE, Client, TestServer, cli as connect, cli_ok as ok};
use image::{ImageFormat, Rgb, RgbImage};
use serde_json::json;

const RESIDENT: &str = "+79005550101";
const STAFF: &str = "+79005550102";

async fn staff_action(staff: &Client, id: &str, action: &str, comment: &str) {
    staff
        .post_ok(
            &format!("/v1/company/reports/{id}/status"),
            json!({"action": action, "comment": comment}),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_files_follows_rates_once_and_reopens_a_report_from_the_command_line() {
    let server = TestServer::sqlite().await;
    let admin = server.login(ADMIN_PHONE).await;
    admin.seed_home("C", "C1", "5", RESIDENT, STAFF).await;
    let staff = server.login(STAFF).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let url = server.base.clone();

    ok(&db, &url, &["login", "--phone", RESIDENT]).await;
    let code = server.sms.last_code(RESIDENT).unwrap();
    ok(&db, &url, &["login", "--phone", RESIDENT, "--code", &code]).await;
    let categories = ok(&db, &url, &["report", "categories"]).await;
    assert!(categories.contains("leak"), "{categories}");

    let photo = dir.path().join("stairs.png");
    let img = RgbImage::from_fn(800, 600, |x, y| Rgb([(x / 4) as u8, (y / 3) as u8, 90]));
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, ImageFormat::Png).unwrap();
    std::fs::write(&photo, png.into_inner()).unwrap();
    let photo = photo.display().to_string();
    let filed = ok(
        &db,
        &url,
        &[
            "report",
            "file",
            "--category",
            "stairwell_light",
            "--text",
            "no light on floor 4",
            "--place",
            "entrance 1",
            "--photo",
            &photo,
        ],
    )
    .await;
    assert!(filed.starts_with("queued report "), "{filed}");
    let (refused, _, stderr) = connect(
        &db,
        &url,
        &["report", "file", "--category", "nope", "--text", "x"],
    )
    .await;
    assert!(!refused && stderr.contains("unknown category"), "{stderr}");

    let synced = ok(&db, &url, &["sync"]).await;
    assert!(synced.contains("1 report(s), 0 queued"), "{synced}");
    let list = ok(&db, &url, &["report", "list"]).await;
    let (_, listed) = staff.get("/v1/company/reports").await;
    let reports = listed["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let number = reports[0]["number"].as_str().unwrap().to_owned();
    let id = reports[0]["id"].as_str().unwrap().to_owned();
    assert!(list.starts_with(&number), "{list}");
    assert!(
        list.contains("status new") && list.contains("photos 1"),
        "{list}"
    );

    staff_action(&staff, &id, "accept", "on our way").await;
    staff_action(&staff, &id, "resolve", "bulb replaced").await;
    ok(&db, &url, &["sync"]).await;
    let list = ok(&db, &url, &["report", "list"]).await;
    assert!(list.contains("status resolved"), "{list}");
    assert!(list.contains("company  resolved: bulb replaced"), "{list}");

    ok(
        &db,
        &url,
        &[
            "report",
            "rate",
            &number,
            "--stars",
            "5",
            "--comment",
            "thanks",
        ],
    )
    .await;
    ok(&db, &url, &["sync"]).await;
    let list = ok(&db, &url, &["report", "list"]).await;
    assert!(
        list.contains("status rated") && list.contains("rated 5/5"),
        "{list}"
    );
    let (again, _, stderr) = connect(&db, &url, &["report", "rate", &number, "--stars", "1"]).await;
    assert!(!again && stderr.contains("already rated"), "{stderr}");

    ok(
        &db,
        &url,
        &["report", "reopen", &number, "--reason", "dark again"],
    )
    .await;
    ok(&db, &url, &["sync"]).await;
    let list = ok(&db, &url, &["report", "list"]).await;
    assert!(list.contains("status reopened"), "{list}");
    let (_, view) = staff.get(&format!("/v1/reports/{id}")).await;
    assert_eq!(view["status"], "reopened");
    assert_eq!(view["rating"], 5);
}
