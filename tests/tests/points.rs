//! Bonus points end to end on the real server binary: vouchers are redeemed exactly once even by
//! 100 concurrent requests from 10 cashiers spread over two server processes on one PostgreSQL;
//! forged, wrong-partner, replayed and retried redemptions; residents cannot redeem.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use connect_tests::{ADMIN_PHONE, Client, TestServer, is_bare_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

const RESIDENT: &str = "+70000007001";

async fn setup(server: &TestServer, cashiers: &[(&str, &str)]) -> (Client, Client) {
    let admin = server.login(ADMIN_PHONE).await;
    for p in ["P1", "P2"] {
        admin
            .post_ok(
                "/v1/admin/partners",
                json!({"id": p, "name": format!("Shop {p}")}),
            )
            .await;
    }
    admin
        .post_ok(
            "/v1/admin/offers",
            json!({"partner_id": "P1", "title": "Coffee", "points": 40, "discount": "-100 RUB"}),
        )
        .await;
    for (phone, partner) in cashiers {
        admin
            .post_ok(
                "/v1/admin/grants",
                json!({"phone": phone, "role": "partner_cashier", "scope": partner}),
            )
            .await;
    }
    let resident = server.login(RESIDENT).await;
    let (_, me) = resident.get("/v1/me").await;
    let award = admin
        .post_ok(
            "/v1/admin/points/award",
            json!({"user_id": me["user_id"], "rule": "house_inspection", "source_id": "insp-1"}),
        )
        .await;
    assert_eq!(award["awarded"], 50, "{award}");
    (admin, resident)
}

async fn voucher(resident: &Client, points: u32, partner: Option<&str>) -> String {
    let v = resident
        .post_ok(
            "/v1/vouchers",
            json!({"points": points, "partner_id": partner}),
        )
        .await;
    v["token"].as_str().unwrap().to_owned()
}

fn attempt() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn ledger(points: &Value, reason: &str) -> Vec<i64> {
    points["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == reason)
        .map(|e| e["delta"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_redemptions_over_two_server_processes_succeed_exactly_once() {
    let servers = TestServer::postgres_replicas(2).await;
    let phones: Vec<String> = (0..10).map(|i| format!("+7000000810{i}")).collect();
    let grants: Vec<(&str, &str)> = phones.iter().map(|p| (p.as_str(), "P1")).collect();
    let (_, resident) = setup(&servers[0], &grants).await;
    let token = voucher(&resident, 40, Some("P1")).await;
    let mut cashiers = Vec::new();
    for (i, phone) in phones.iter().enumerate() {
        cashiers.push(servers[i % 2].login(phone).await);
    }
    let mut tasks = Vec::new();
    for i in 0..100 {
        let c = cashiers[i % 10].clone();
        let body = json!({"token": token, "attempt_id": attempt()});
        tasks.push(tokio::spawn(async move {
            c.post("/v1/partner/redeem", body).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "already_redeemed"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1);
    // Debited once, on either process's view of the ledger.
    for s in &servers {
        let r = s.login(RESIDENT).await;
        let (_, points) = r.get("/v1/points").await;
        assert_eq!(points["balance"], 10, "{points}");
        assert_eq!(ledger(&points, "voucher_reserved"), vec![-40]);
        assert!(ledger(&points, "voucher_expired").is_empty());
    }
    let mut servers = servers;
    let first = servers.remove(0);
    drop(servers);
    first.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tills_get_a_clear_reason_for_forged_wrong_partner_replayed_and_retried_vouchers() {
    let server = TestServer::sqlite().await;
    let (_, resident) = setup(&server, &[("+70000008201", "P1"), ("+70000008202", "P2")]).await;
    let p1 = server.login("+70000008201").await;
    let p2 = server.login("+70000008202").await;
    let (_, points) = resident.get("/v1/points").await;
    assert_eq!(points["balance"], 50);
    assert_eq!(points["offers"][0]["partner_name"], "Shop P1");
    assert!(!points["voucher_keys"].as_array().unwrap().is_empty());

    let token = voucher(&resident, 20, Some("P1")).await;
    // Forged: one character of the signature changed.
    let mut forged = token.clone();
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    let (s, body) = p1
        .post(
            "/v1/partner/redeem",
            json!({"token": forged, "attempt_id": attempt()}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("forged"))
    );
    // Wrong partner.
    let (s, body) = p2
        .post(
            "/v1/partner/redeem",
            json!({"token": token, "attempt_id": attempt()}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("wrong_partner"))
    );
    assert!(is_bare_error(&body));
    // Residents cannot redeem.
    let (s, _) = resident
        .post(
            "/v1/partner/redeem",
            json!({"token": token, "attempt_id": attempt()}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Redeem, retry the same attempt: the same answer, nothing more debited.
    let a = attempt();
    let first = p1
        .post_ok(
            "/v1/partner/redeem",
            json!({"token": token, "attempt_id": a}),
        )
        .await;
    assert_eq!(first["points"], 20);
    let again = p1
        .post_ok(
            "/v1/partner/redeem",
            json!({"token": token, "attempt_id": a}),
        )
        .await;
    assert_eq!(first, again);
    // Replay with a new attempt.
    let (s, body) = p1
        .post(
            "/v1/partner/redeem",
            json!({"token": token, "attempt_id": attempt()}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_redeemed"))
    );
    // Balance never negative: 30 left, a 31-point voucher is refused.
    let (s, body) = resident
        .post("/v1/vouchers", json!({"points": 31, "partner_id": null}))
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_points"))
    );
    let (_, points) = resident.get("/v1/points").await;
    assert_eq!(points["balance"], 30);
    // The partner's settlement has the one redemption; the other partner's is empty.
    let csv = p1.get_text("/v1/partner/settlement.csv").await;
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(first["voucher_id"].as_str().unwrap()));
    let csv2 = p2.get_text("/v1/partner/settlement.csv").await;
    assert_eq!(csv2.lines().count(), 1, "{csv2}");
    let (s, _) = p2.get("/v1/partner/settlement.csv?partner_id=P1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let page = p1.get_text("/partner").await;
    assert!(page.contains("1 vouchers, 20 points"), "{page}");
}

/// A resident of company E's building with one meter whose provider takes readings every day of
/// the month (so a reading now is on time), and a staff member of E.
async fn earning_world(server: &TestServer) -> (Client, Client, String) {
    let admin = server.login(ADMIN_PHONE).await;
    admin
        .post_ok(
            "/v1/admin/companies",
            json!({"id": "E", "name": "UK E", "tax_id": null, "phone": null, "email": null,
                   "region_id": "R1"}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/buildings",
            json!({"buildings": [{"id": "E1", "address": "E street 1", "company_id": "E",
                   "region_id": "R1", "lat": 59.2, "lon": 39.9}]}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/providers",
            json!({"id": "water-e", "name": "Water", "kind": "cold_water",
                   "window_start_day": 1, "window_end_day": 31}),
        )
        .await;
    let apt = admin
        .post_ok(
            "/v1/admin/apartments",
            json!({"building_id": "E1", "number": "1"}),
        )
        .await;
    let acc = admin
        .post_ok(
            "/v1/admin/accounts",
            json!({"apartment_id": apt["id"], "provider_id": "water-e", "number": "E-1",
                   "holder_name": "Holder"}),
        )
        .await;
    let meter = admin
        .post_ok(
            "/v1/admin/meters",
            json!({"apartment_id": apt["id"], "account_id": acc["id"], "kind": "cold_water",
                   "serial": "SN-E", "integer_digits": 5, "fraction_digits": 3,
                   "tariffs": ["single"], "installed_on": "2023-01-01",
                   "next_verification_on": null}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/residents",
            json!({"phone": RESIDENT, "apartment_id": apt["id"]}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/grants",
            json!({"phone": "+70000008301", "role": "company_staff", "scope": "E"}),
        )
        .await;
    let resident = server.login(RESIDENT).await;
    let staff = server.login("+70000008301").await;
    (resident, staff, meter["id"].as_str().unwrap().to_owned())
}

/// Polls the balance until it equals `want` (earnings are settled just after the commit).
async fn await_balance(resident: &Client, want: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, points) = resident.get("/v1/points").await;
        if points["balance"] == want {
            return points;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "balance never reached {want}: {points}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn check_earning(server: &TestServer) {
    let (resident, staff, meter) = earning_world(server).await;
    let batch = json!({"items": [{"id": uuid::Uuid::now_v7(), "meter_id": meter,
        "values": [{"tariff": "single", "value": "12.5"}],
        "taken_at": chrono::Utc::now().to_rfc3339()}]});
    let out = resident.post_ok("/v1/readings:batch", batch.clone()).await;
    assert_eq!(out["results"][0]["status"], "accepted", "{out}");
    assert_eq!(out["results"][0]["late"], false, "{out}");
    let points = await_balance(&resident, 10).await;
    assert_eq!(ledger(&points, "on_time_reading"), vec![10]);
    assert_eq!(
        points["history"][0]["source_id"],
        batch["items"][0]["id"].as_str().unwrap()
    );
    // The same reading again (a phone retrying) is a duplicate and earns nothing more.
    let again = resident.post_ok("/v1/readings:batch", batch).await;
    assert_eq!(again["results"][0]["status"], "duplicate", "{again}");

    let report = uuid::Uuid::now_v7();
    resident
        .post_ok(
            "/v1/reports",
            json!({"id": report, "building_id": "E1", "category": "leak",
                   "text": "water", "place": "entrance 1"}),
        )
        .await;
    for action in ["accept", "resolve"] {
        staff
            .post_ok(
                &format!("/v1/company/reports/{report}/status"),
                json!({"action": action, "comment": "done"}),
            )
            .await;
    }
    resident
        .post_ok(&format!("/v1/reports/{report}/rating"), json!({"stars": 5}))
        .await;
    let points = await_balance(&resident, 30).await;
    assert_eq!(ledger(&points, "rated_report"), vec![20]);
    // A replayed rating is refused and earns nothing.
    let (s, _) = resident
        .post(&format!("/v1/reports/{report}/rating"), json!({"stars": 5}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, points) = resident.get("/v1/points").await;
    assert_eq!(points["balance"], 30, "{points}");
    assert_eq!(ledger(&points, "on_time_reading"), vec![10]);
    assert_eq!(ledger(&points, "rated_report"), vec![20]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_on_time_reading_and_a_rated_report_earn_their_points_once_on_sqlite() {
    check_earning(&TestServer::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_on_time_reading_and_a_rated_report_earn_their_points_once_on_postgres() {
    let server = TestServer::postgres().await;
    check_earning(&server).await;
    server.close().await;
}
