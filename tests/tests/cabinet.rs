//! The managing company's side of problem reports against the real server binary: the first
//! report mails a one-time invite link that makes a phone staff exactly once; staff sign in to
//! the web cabinet with a phone code and a session cookie, and every form needs the session's
//! CSRF token; accepting, assigning, answering and resolving show up in the resident's own view
//! and a closure is texted; the rating imports the regulator's CSV and changes when a resident
//! rates; an authority's dashboard covers its own region only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use connect_tests::{
    ADMIN_PHONE,
    Actor::*,
    TestServer, World, server_binary,
    web::{Browser, company_rating, hidden, location, sign_in},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TINY_JPEG_B64: &str = "/9j/2wBDAA==";

fn report(building: &str, category: &str, text: &str) -> Value {
    json!({"id": uuid::Uuid::now_v7(), "building_id": building, "category": category,
           "text": text, "place": "entrance 1", "photos": [TINY_JPEG_B64]})
}

/// The invite link inside a mail's text.
fn link_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.contains("/invite/"))
        .expect("a link in the mail")
        .to_owned()
}

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_report_mails_a_one_time_invite_that_makes_a_phone_staff_exactly_once() {
    let w = World::new(TestServer::sqlite().await).await;
    let s = &w.server;
    let admin = w.client(Admin);
    admin
        .post_ok(
            "/v1/admin/companies",
            json!({"id": "Z", "name": "УК \"Заря\" <Z>", "tax_id": null, "phone": null,
                   "email": "dispatch@uk-z.example", "region_id": "R1"}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/buildings",
            json!({"buildings": [{"id": "Z1", "address": "Z street 1", "company_id": "Z",
                   "region_id": "R1", "lat": 59.2, "lon": 39.9}]}),
        )
        .await;
    let apt = admin
        .post_ok(
            "/v1/admin/apartments",
            json!({"building_id": "Z1", "number": "5"}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/residents",
            json!({"phone": "+70000000111", "apartment_id": apt["id"]}),
        )
        .await;
    let resident = s.login("+70000000111").await;
    resident
        .post_ok("/v1/reports", report("Z1", "leak", "water"))
        .await;
    let mail = s
        .sms
        .wait_for(5, |k| {
            k.mails()
                .into_iter()
                .find(|m| m["to"] == "dispatch@uk-z.example")
        })
        .await
        .expect("the company's first report mails an invite");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains("УК \"Заря\" <Z>")
    );
    let url = link_in(mail["text"].as_str().unwrap());
    assert!(url.starts_with(&format!("{}/invite/", s.base)), "{url}");
    let token = token_of(&url);

    // A second report while the link is live sends nothing more; company X (with staff) got none.
    resident
        .post_ok("/v1/reports", report("Z1", "lift", "stuck"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(s.sms.mails().len(), 1, "{:?}", s.sms.mails());

    // The link's page names the company, escaped.
    let page = s.anonymous().get_text(&format!("/invite/{token}")).await;
    assert!(page.contains("УК &quot;Заря&quot; &lt;Z&gt;"), "{page}");
    assert!(!page.contains("<Z>"));

    let newbie = s.login("+70000000112").await;
    let (st, _) = newbie.get("/v1/company/reports").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "not staff before accepting");
    let joined = newbie
        .post_ok(&format!("/v1/invites/{token}/accept"), json!({}))
        .await;
    assert_eq!(joined["company_id"], "Z");
    let (_, me) = newbie.get("/v1/me").await;
    assert_eq!(me["company_id"], "Z");
    let (_, listed) = newbie.get("/v1/company/reports").await;
    assert_eq!(listed["reports"].as_array().unwrap().len(), 2);

    // Single use.
    let late = s.login("+70000000113").await;
    let (st, body) = late
        .post(&format!("/v1/invites/{token}/accept"), json!({}))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    let (st, _) = late.get("/v1/company/reports").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let res = reqwest::get(format!("{}/invite/{token}", s.base))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Staff invite a colleague by e-mail.
    let made = newbie
        .post_ok(
            "/v1/company/staff/invites",
            json!({"name": "Anna, plumber", "email": "anna@uk-z.example"}),
        )
        .await;
    assert_eq!(made["mailed"], true);
    let anna_mail = s
        .sms
        .wait_for(5, |k| {
            k.mails()
                .into_iter()
                .find(|m| m["to"] == "anna@uk-z.example")
        })
        .await
        .expect("the colleague's invite is mailed");
    assert_eq!(link_in(anna_mail["text"].as_str().unwrap()), made["url"]);
    let anna = s.login("+70000000114").await;
    anna.post_ok(
        &format!(
            "/v1/invites/{}/accept",
            token_of(made["url"].as_str().unwrap())
        ),
        json!({}),
    )
    .await;
    let (_, staff) = anna.get("/v1/company/staff").await;
    let names: Vec<&str> = staff["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Anna, plumber", "Company administrator"]);
    assert!(
        staff["staff"][0]["phone_hint"]
            .as_str()
            .unwrap()
            .ends_with("0114")
    );
    // Another company's staff see nothing of Z's.
    let (st, _) = w.client(StaffX).get("/v1/company/staff?company_id=Z").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_work_a_report_in_the_cabinet_with_csrf_checked_forms_and_the_resident_sees_each_step()
 {
    let w = World::new(TestServer::postgres().await).await;
    let s = &w.server;
    let filed = w
        .client(ResidentA)
        .post_ok(
            "/v1/reports",
            report(&w.a.building_id, "leak", "<script>alert(1)</script> water"),
        )
        .await;
    let id = filed["id"].as_str().unwrap().to_owned();
    let number = filed["number"].as_str().unwrap().to_owned();

    let mut b = Browser::new(&s.base);
    let (st, h, _) = b.get("/cabinet").await;
    assert_eq!(st, StatusCode::SEE_OTHER, "signed out → the login page");
    assert_eq!(location(&h), "/cabinet/login");
    // A sign-in post without the login cookie's nonce is refused.
    let (st, _, _) = Browser::new(&s.base)
        .post(
            "/cabinet/login",
            &[("phone", StaffX.phone()), ("nonce", "forged")],
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sign_in(&mut b, s, StaffX.phone()).await, "/cabinet");

    let (st, _, list) = b.get("/cabinet").await;
    assert_eq!(st, StatusCode::OK);
    assert!(list.contains(&number), "{list}");
    let (_, _, page) = b.get(&format!("/cabinet/reports/{id}")).await;
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; water"));
    assert!(!page.contains("<script>alert"));
    assert!(page.contains(&format!("/cabinet/reports/{id}/photos/0")));
    let csrf = hidden(&page, "csrf");
    let (st, _, _) = b.get(&format!("/cabinet/reports/{id}/photos/0")).await;
    assert_eq!(st, StatusCode::OK);

    let status_path = format!("/cabinet/reports/{id}/status");
    let (st, _, _) = b.post(&status_path, &[("action", "accept")], &[]).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no CSRF token");
    let (st, _, _) = b
        .post(&status_path, &[("action", "accept"), ("csrf", "x")], &[])
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "wrong CSRF token");
    let (st, _, _) = b
        .post(
            &status_path,
            &[("action", "accept"), ("csrf", &csrf)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "cross-site post");
    let (_, view) = w.client(ResidentA).get(&format!("/v1/reports/{id}")).await;
    assert_eq!(view["status"], "new", "nothing refused changed anything");

    let (st, h, _) = b
        .post(
            &status_path,
            &[("action", "accept"), ("comment", ""), ("csrf", &csrf)],
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), format!("/cabinet/reports/{id}"));
    let (st, _, _) = b
        .post(
            &format!("/cabinet/reports/{id}/assign"),
            &[("user_id", w.user_id(StaffX)), ("csrf", &csrf)],
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = b
        .post(
            &format!("/cabinet/reports/{id}/comments"),
            &[("text", "Plumber at 3 pm"), ("csrf", &csrf)],
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, page) = b
        .post(&status_path, &[("action", "reject"), ("csrf", &csrf)], &[])
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    assert!(page.contains("a rejection needs a reason"));
    let (st, _, _) = b
        .post(
            &status_path,
            &[
                ("action", "resolve"),
                ("comment", "Pipe replaced"),
                ("csrf", &csrf),
            ],
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);

    // The resident's own view shows every step, in order.
    let (_, view) = w.client(ResidentA).get(&format!("/v1/reports/{id}")).await;
    assert_eq!(view["status"], "resolved");
    let steps: Vec<(String, String, String)> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["author"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap_or("").to_owned(),
                e["text"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let c = |st: &str, t: &str| ("company".to_owned(), st.to_owned(), t.to_owned());
    assert_eq!(
        steps,
        [
            c("accepted", ""),
            c("", "Assigned to a staff member"),
            c("", "Plumber at 3 pm"),
            c("resolved", "Pipe replaced")
        ]
    );
    let sms = s
        .sms
        .wait_for(5, |k| {
            k.messages()
                .into_iter()
                .find(|(to, t)| to == ResidentA.phone() && t.contains("is resolved"))
        })
        .await
        .expect("the closure is texted to the resident");
    assert!(
        sms.1.contains(&number) && sms.1.contains("Pipe replaced"),
        "{}",
        sms.1
    );

    // Another company's staff member signed in to the cabinet gets 404 for this report.
    let mut y = Browser::new(&s.base);
    sign_in(&mut y, s, StaffY.phone()).await;
    let (st, _, _) = y.get(&format!("/cabinet/reports/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, _, ylist) = y.get("/cabinet").await;
    assert!(!ylist.contains(&number));

    // Signing out revokes the session behind the cookie.
    let old = b.cookies.clone();
    let (st, h, _) = b.post("/cabinet/logout", &[("csrf", &csrf)], &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/cabinet/login");
    b.cookies = old;
    let (st, _, _) = b.get("/cabinet").await;
    assert_eq!(st, StatusCode::SEE_OTHER, "the old cookie no longer works");
    w.server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rating_imports_the_regulators_csv_and_changes_when_a_resident_rates() {
    let w = World::new(TestServer::sqlite().await).await;
    let s = &w.server;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rating.csv");
    std::fs::write(
        &csv,
        "company_id,name,inn,period,buildings,area_m2,years_managed,inspections,orders_issued,orders_unfulfilled,penalties,undisclosed\n\
         X,UK X,3525000001,2025-Q4,40,150000,3,10,4,1,2,1\n\
         Y,UK Y,3525000002,2025-Q4,10,40000,8,2,0,0,0,0\n\
         X2,UK X2,3525000003,2025-Q4,many,1,1,1,1,1,1,1\n\
         nope,Nobody,3525000004,2025-Q4,1,1,1,1,1,0,0,0\n",
    )
    .unwrap();
    let out = tokio::process::Command::new(server_binary())
        .args(["import", "rating"])
        .arg(&csv)
        .env("CONNECT_DATABASE", s.database())
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("imported 2 rating rows, refused 2"),
        "{stdout}"
    );
    assert!(stderr.contains("refused line 4: buildings"), "{stderr}");
    assert!(
        stderr.contains("refused line 5: unknown company \"nope\""),
        "{stderr}"
    );

    let (st, before) = s.anonymous().get("/v1/rating?region=R1").await;
    assert_eq!(st, StatusCode::OK, "{before}");
    let x = company_rating(&before, "X");
    assert_eq!(x["criteria"]["orders_issued"], 4);
    // Documented example: 22.5 + 12 + 13.3 + 7.5 + 9 = 64.3.
    assert_eq!(x["regulator"]["score"], 64.3);
    assert_eq!(x["residents"]["score"], Value::Null);
    assert_eq!(x["total"], 64.3);
    assert_eq!(x["total_explanation"], "only the regulator's part: 64.3");
    // Company Y of region R2 is not in R1's rating.
    assert!(
        before["companies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["company_id"] != "Y")
    );

    // A resident files, staff resolve, the resident rates 5: the residents' part appears.
    let resident = w.client(ResidentA);
    let filed = resident
        .post_ok("/v1/reports", report(&w.a.building_id, "leak", "water"))
        .await;
    let id = filed["id"].as_str().unwrap();
    for action in ["accept", "resolve"] {
        w.client(StaffX)
            .post_ok(
                &format!("/v1/company/reports/{id}/status"),
                json!({"action": action, "comment": "done"}),
            )
            .await;
    }
    resident
        .post_ok(&format!("/v1/reports/{id}/rating"), json!({"stars": 5}))
        .await;
    let (_, after) = s.anonymous().get("/v1/rating?region=R1").await;
    let x = company_rating(&after, "X");
    let f = &x["resident_figures"];
    assert_eq!(
        (&f["residents_rated"], &f["positive"], &f["negative"]),
        (&json!(1), &json!(1), &json!(0))
    );
    assert_eq!(f["average_rating"], 5.0);
    assert_eq!(f["on_time_share"], 1.0);
    assert_eq!(x["residents"]["score"], 100.0);
    assert_eq!(x["total"], 82.2);
    assert_eq!(
        x["total_explanation"],
        "(regulator 64.3 + residents 100.0) / 2 = 82.2"
    );
    let page = s.anonymous().get_text("/rating?region=R1").await;
    assert!(
        page.contains("(regulator 64.3 + residents 100.0) / 2 = 82.2"),
        "{page}"
    );
    assert!(page.contains("30 × (4 − 1) / 4 = 22.5"));

    // The import route is for admins only.
    let body = "company_id,period,buildings,area_m2,years_managed,inspections,orders_issued,orders_unfulfilled,penalties,undisclosed\nX,2026-Q1,41,150000,3,10,0,0,0,0\n";
    let http = reqwest::Client::new();
    let post = |token: Option<String>| {
        let mut req = http
            .post(format!("{}/v1/admin/rating:import", s.base))
            .header("content-type", "text/csv")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let staff = post(w.client(StaffX).token.clone()).await.unwrap();
    assert_eq!(staff.status(), StatusCode::FORBIDDEN);
    let admin = post(w.client(Admin).token.clone()).await.unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    let answer: Value = admin.json().await.unwrap();
    assert_eq!(answer, json!({"imported": 1, "errors": []}));
    let (st, body) = s.anonymous().get("/v1/rating").await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "two regions: name one: {body}");
    let (_, now) = s.anonymous().get("/v1/rating?region=R1").await;
    assert_eq!(company_rating(&now, "X")["criteria"]["period"], "2026-Q1");
    assert_eq!(ADMIN_PHONE, Admin.phone());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_sees_its_own_regions_dashboard_with_overdue_and_on_time_shares() {
    let dir = tempfile::tempdir().unwrap();
    let categories = dir.path().join("categories.json");
    std::fs::write(
        &categories,
        r#"[{"code":"leak","title":"Leak","emergency":true,"deadline_hours":4},
            {"code":"instant","title":"Due at once","emergency":false,"deadline_hours":0}]"#,
    )
    .unwrap();
    let server =
        TestServer::sqlite_with(&[("CONNECT_REPORT_CATEGORIES", categories.to_str().unwrap())])
            .await;
    let w = World::new(server).await;
    let a = w.client(ResidentA);
    let answered = a
        .post_ok("/v1/reports", report(&w.a.building_id, "leak", "water"))
        .await;
    a.post_ok("/v1/reports", report(&w.a.building_id, "instant", "late"))
        .await;
    w.client(ResidentB)
        .post_ok("/v1/reports", report(&w.b.building_id, "leak", "B's"))
        .await;
    for action in ["accept", "resolve"] {
        w.client(StaffX)
            .post_ok(
                &format!(
                    "/v1/company/reports/{}/status",
                    answered["id"].as_str().unwrap()
                ),
                json!({"action": action, "comment": "ok"}),
            )
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let auth = w.client(AuthorityR1);
    let (st, d) = auth.get("/v1/authority/dashboard").await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["region_id"], "R1");
    let companies = d["companies"].as_array().unwrap();
    assert_eq!(companies.len(), 1, "only region R1: {d}");
    let x = &companies[0];
    assert_eq!(x["company_id"], "X");
    assert_eq!((&x["total"], &x["overdue"]), (&json!(2), &json!(1)));
    assert_eq!(x["by_status"]["resolved"], 1);
    assert_eq!(x["by_status"]["new"], 1);
    assert_eq!(
        (&x["decided"], &x["answered_on_time"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(x["on_time_share"], 0.5);
    let months = d["months"].as_array().unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0]["filed"], 2);
    assert!(!d.to_string().contains("B's"));

    let (st, _) = auth.get("/v1/authority/dashboard?region=R2").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another region");
    let (st, _) = w.client(StaffX).get("/v1/authority/dashboard").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let csv = auth.get_text("/v1/authority/dashboard.csv").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert_eq!(lines[1], "X,UK X,2,1,0,0,1,0,0,0,1,2,1,0.500");
    let months_csv = auth
        .get_text("/v1/authority/dashboard.csv?table=months")
        .await;
    assert!(months_csv.starts_with("month,filed,answered,answered_on_time,overdue\n"));
    assert!(
        months_csv.lines().nth(1).unwrap().ends_with(",2,1,1,1"),
        "{months_csv}"
    );
    // Staff see the overdue report highlighted in the cabinet list.
    let (_, late) = w
        .client(StaffX)
        .get("/v1/company/reports?overdue=true")
        .await;
    assert_eq!(late["reports"].as_array().unwrap().len(), 1);
}

fn workspace() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_resolve_a_report_in_headless_chromium_and_the_resident_and_the_rating_see_it() {
    let web = workspace().join("server/web");
    let chromium =
        std::path::PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    if !web.join("node_modules/playwright-core").exists() || !chromium.exists() {
        println!(
            "SKIP: needs `npm ci` in server/web and {} (scripts/install-deps.sh)",
            chromium.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let categories = dir.path().join("categories.json");
    std::fs::write(
        &categories,
        r#"[{"code":"leak","title":"Leak or flooding","emergency":true,"deadline_hours":4},
            {"code":"stairwell_light","title":"Dark stairwell","emergency":false,"deadline_hours":0}]"#,
    )
    .unwrap();
    let server =
        TestServer::sqlite_with(&[("CONNECT_REPORT_CATEGORIES", categories.to_str().unwrap())])
            .await;
    let w = World::new(server).await;
    let s = &w.server;
    let csv = "company_id,period,buildings,area_m2,years_managed,inspections,orders_issued,orders_unfulfilled,penalties,undisclosed\nX,2025-Q4,40,150000,3,10,4,1,2,1\n";
    let res = reqwest::Client::new()
        .post(format!("{}/v1/admin/rating:import", s.base))
        .bearer_auth(w.client(Admin).token.as_deref().unwrap())
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let resident = w.client(ResidentA);
    let leak = resident
        .post_ok(
            "/v1/reports",
            report(&w.a.building_id, "leak", "Water through the ceiling"),
        )
        .await;
    let dark = resident
        .post_ok(
            "/v1/reports",
            report(&w.a.building_id, "stairwell_light", "No light"),
        )
        .await;
    let number = leak["number"].as_str().unwrap();
    let shots = workspace().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(web.join("cabinet-check.mjs"))
        .args([&s.base, &s.sms.base])
        .arg(&shots)
        .args([StaffX.phone(), AuthorityR1.phone(), number, &w.a.region_id])
        .current_dir(&web)
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "cabinet check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(seen["signedOutGoesTo"], "/cabinet/login", "{seen}");
    assert_eq!(seen["landedOn"], "/cabinet");
    assert_eq!(
        seen["cookie"],
        json!({"httpOnly": true, "sameSite": "Strict"})
    );
    // By deadline: the stairwell (due at once, overdue, highlighted) before the leak (4 hours).
    let list = seen["list"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{seen}");
    assert_eq!(list[0]["number"], dark["number"]);
    assert_eq!(list[0]["overdue"], true);
    assert_eq!(list[0]["background"], "rgb(253, 232, 232)");
    assert_eq!(list[1]["number"], number);
    assert_eq!(list[1]["overdue"], false);
    assert_eq!(seen["opened"], json!({"status": "new", "photos": 1}));
    assert_eq!(seen["afterAccept"], "accepted");
    assert_eq!(seen["afterResolve"], "resolved");
    assert_eq!(
        seen["history"],
        json!([
            ["company", "accepted", ""],
            ["company", "", "A plumber comes at 3 pm."],
            ["company", "resolved", "Fixed: the pipe was replaced."]
        ])
    );
    assert_eq!(seen["authorityLandedOn"], "/dashboard");
    assert_eq!(seen["dashboard"], json!([{"id": "X", "overdue": "1"}]));

    // The resident's own view changed, and the closure was texted.
    let (_, view) = resident
        .get(&format!("/v1/reports/{}", leak["id"].as_str().unwrap()))
        .await;
    assert_eq!(view["status"], "resolved");
    let texts: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["A plumber comes at 3 pm.", "Fixed: the pipe was replaced."]
    );
    s.sms
        .wait_for(5, |k| {
            k.messages()
                .into_iter()
                .find(|(to, t)| to == ResidentA.phone() && t.contains(number))
        })
        .await
        .expect("closure SMS");
    // The page showed the regulator's 64.3 beside the residents' on-time share alone (1 of 2:
    // the stairwell is overdue → 25 of 50 → 50.0): (64.3 + 50.0) / 2 = 57.2. Rating moves it.
    assert_eq!(seen["rating"][0], json!({"id": "X", "total": "57.2"}));
    resident
        .post_ok(
            &format!("/v1/reports/{}/rating", leak["id"].as_str().unwrap()),
            json!({"stars": 4}),
        )
        .await;
    let (_, rating) = s.anonymous().get("/v1/rating?region=R1").await;
    let x = company_rating(&rating, "X");
    // Residents: 50·(4 − 1)/4 = 37.5 and on time 1 of 2 (the stairwell is overdue) = 25 → 62.5.
    assert_eq!(x["residents"]["score"], 62.5);
    assert_eq!(x["total"], 63.4);
    for shot in [
        "cabinet.png",
        "cabinet-report.png",
        "cabinet-resolved.png",
        "rating.png",
        "dashboard.png",
    ] {
        let len = std::fs::metadata(shots.join(shot)).unwrap().len();
        assert!(len > 5_000, "{shot}: {len} bytes");
    }
}
