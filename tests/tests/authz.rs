//! Cross-tenant authorization: every route that takes an object id, called by every actor that
//! does not own the object, answers 403/404 with only the error shape; its owners get 2xx (so a
//! denial can never come from a typo in the table); without a session it answers 401.
//!
//! Adding a route = one `RouteCase` line in `routes()`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use connect_tests::{Actor, TestServer, World, is_bare_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use Actor::*;

/// One route under test. `path` and `body` build the request for tenant A's objects.
struct RouteCase {
    method: Method,
    path: fn(&World) -> String,
    body: fn(&World) -> Option<Value>,
    /// Actors that may use the route on tenant A's object; everyone else must be refused.
    allowed: &'static [Actor],
}

fn none(_: &World) -> Option<Value> {
    None
}

/// Reports of resident A prepared by [`prepare_reports`]: fresh (accepted by the status case),
/// resolved (rated by the rating case) and resolved (reopened by the reopen case).
const REPORT_FRESH: &str = "01900000-0000-7000-8000-000000000001";
const REPORT_TO_RATE: &str = "01900000-0000-7000-8000-000000000002";
const REPORT_TO_REOPEN: &str = "01900000-0000-7000-8000-000000000003";
/// The smallest thing that passes the server's JPEG check.
const TINY_JPEG_B64: &str = "/9j/2wBDAA==";

async fn prepare_reports(w: &World) {
    let resident = w.client(ResidentA);
    let staff = w.client(StaffX);
    for id in [REPORT_FRESH, REPORT_TO_RATE, REPORT_TO_REOPEN] {
        resident
            .post_ok(
                "/v1/reports",
                json!({"id": id, "building_id": w.a.building_id, "category": "leak",
                       "text": "water", "place": "entrance 1", "photos": [TINY_JPEG_B64]}),
            )
            .await;
    }
    for id in [REPORT_TO_RATE, REPORT_TO_REOPEN] {
        for action in ["accept", "resolve"] {
            staff
                .post_ok(
                    &format!("/v1/company/reports/{id}/status"),
                    json!({"action": action, "comment": "done"}),
                )
                .await;
        }
    }
}

fn routes() -> Vec<RouteCase> {
    vec![
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/reports".into(),
            body: |w| {
                Some(
                    json!({"id": uuid::Uuid::now_v7(), "building_id": w.a.building_id, "category": "lift", "text": "stuck", "place": "entrance 2"}),
                )
            },
            allowed: &[ResidentA],
        },
        RouteCase {
            method: Method::GET,
            path: |_| format!("/v1/reports/{REPORT_FRESH}"),
            body: none,
            allowed: &[ResidentA, StaffX, AuthorityR1],
        },
        RouteCase {
            method: Method::GET,
            path: |_| format!("/v1/reports/{REPORT_FRESH}/photos/0"),
            body: none,
            allowed: &[ResidentA, StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/v1/reports/{REPORT_FRESH}/comments"),
            body: |_| Some(json!({"text": "any news?"})),
            allowed: &[ResidentA, StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/v1/company/reports/{REPORT_FRESH}/status"),
            body: |_| Some(json!({"action": "accept"})),
            allowed: &[StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/v1/reports/{REPORT_TO_RATE}/rating"),
            body: |_| Some(json!({"stars": 5})),
            allowed: &[ResidentA],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/v1/reports/{REPORT_TO_REOPEN}/reopen"),
            body: |_| Some(json!({"text": "leaking again"})),
            allowed: &[ResidentA],
        },
        RouteCase {
            method: Method::GET,
            path: |_| "/v1/company/reports".into(),
            body: none,
            allowed: &[StaffX, StaffY],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/v1/apartments/{}", w.a.apartment_id),
            body: none,
            allowed: &[ResidentA, StaffX, Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/apartments".into(),
            body: |w| {
                Some(
                    json!({"building_id": w.a.building_id, "number": uuid::Uuid::new_v4().to_string()}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/accounts".into(),
            body: |w| {
                Some(
                    json!({"apartment_id": w.a.apartment_id, "provider_id": "p", "number": "N", "holder_name": "H"}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/meters".into(),
            body: |w| {
                Some(
                    json!({"apartment_id": w.a.apartment_id, "account_id": w.a.account_id, "kind": "hot_water", "serial": "S", "integer_digits": 5, "fraction_digits": 3, "tariffs": ["single"], "installed_on": "2024-01-01", "next_verification_on": null}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/v1/meters/{}/readings", w.a.meter_id),
            body: none,
            allowed: &[ResidentA, StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/providers".into(),
            body: |_| {
                Some(
                    json!({"id": "water", "name": "Water", "kind": "cold_water", "window_start_day": 15, "window_end_day": 25}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/residents".into(),
            body: |w| Some(json!({"phone": "+70000000555", "apartment_id": w.a.apartment_id})),
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/grants".into(),
            body: |w| {
                Some(
                    json!({"phone": "+70000000556", "role": "company_staff", "scope": w.a.company_id}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/buildings".into(),
            body: |w| {
                Some(
                    json!({"buildings": [{"id": w.a.building_id, "address": "X street 1", "company_id": w.a.company_id, "region_id": w.a.region_id, "lat": 59.2, "lon": 39.9}]}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/companies".into(),
            body: |w| {
                Some(
                    json!({"id": w.a.company_id, "name": "UK X", "tax_id": null, "phone": null, "email": null, "region_id": w.a.region_id}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/partners".into(),
            body: |w| Some(json!({"id": w.a.partner_id, "name": "Shop P1"})),
            allowed: &[Admin],
        },
        // Runs after the partner exists (the case above).
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/offers".into(),
            body: |w| {
                Some(
                    json!({"partner_id": w.a.partner_id, "title": "Coffee", "points": 40, "discount": "-100 RUB"}),
                )
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/v1/partner/settlement.csv?partner_id={}", w.a.partner_id),
            body: none,
            allowed: &[CashierP1, Admin],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/partner?partner_id={}", w.a.partner_id),
            body: none,
            allowed: &[CashierP1, Admin],
        },
        // Outages: company X's staff (and the dispatcher, an admin) post and edit outages of
        // X's buildings; Y's staff get 404 on X's outage, residents and others 403.
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/outages".into(),
            body: |w| Some(outage_body(w)),
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::PUT,
            path: |w| format!("/v1/outages/{}", outage_of(w)),
            body: |w| Some(outage_body(w)),
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |w| format!("/v1/outages/{}/close", outage_of(w)),
            body: none,
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |w| format!("/v1/buildings/{}/repairs", w.a.building_id),
            body: |_| Some(json!({"title": "Roof", "date": "2026-07-01", "done": false})),
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/admin/outages:import".into(),
            body: |w| {
                Some(json!([{"utility": "gas", "kind": "planned",
                    "starts_at": "2026-07-01T08:00:00Z", "building_ids": [w.a.building_id]}]))
            },
            allowed: &[Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |w| format!("/v1/accounts/{}/code", w.a.account_id),
            body: |_| Some(json!({})),
            allowed: &[StaffX, Admin],
        },
        // The company cabinet (issue 6). REPORT_FRESH is accepted by the status case above.
        RouteCase {
            method: Method::POST,
            path: |_| format!("/v1/company/reports/{REPORT_FRESH}/assign"),
            body: |w| Some(json!({"user_id": w.user_id(StaffX)})),
            allowed: &[StaffX],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/v1/company/staff?company_id={}", w.a.company_id),
            body: none,
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/company/staff/invites".into(),
            body: |w| Some(json!({"company_id": w.a.company_id, "name": "Plumber"})),
            allowed: &[StaffX, Admin],
        },
        // A guessed invite token joins nobody anywhere.
        RouteCase {
            method: Method::POST,
            path: |_| "/v1/invites/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/accept".into(),
            body: none,
            allowed: &[],
        },
        RouteCase {
            method: Method::GET,
            path: |_| "/cabinet".into(),
            body: none,
            allowed: &[StaffX, StaffY],
        },
        RouteCase {
            method: Method::GET,
            path: |_| format!("/cabinet/reports/{REPORT_FRESH}"),
            body: none,
            allowed: &[StaffX],
        },
        RouteCase {
            method: Method::GET,
            path: |_| format!("/cabinet/reports/{REPORT_FRESH}/photos/0"),
            body: none,
            allowed: &[ResidentA, StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/cabinet/reports/{REPORT_FRESH}/status"),
            body: |_| Some(json!({"action": "in_progress", "comment": "plumber on the way"})),
            allowed: &[StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/cabinet/reports/{REPORT_FRESH}/assign"),
            body: |w| Some(json!({"user_id": w.user_id(StaffX)})),
            allowed: &[StaffX],
        },
        RouteCase {
            method: Method::POST,
            path: |_| format!("/cabinet/reports/{REPORT_FRESH}/comments"),
            body: |_| Some(json!({"text": "we will be there at 3 pm"})),
            allowed: &[StaffX],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/cabinet/staff?company_id={}", w.a.company_id),
            body: none,
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::POST,
            path: |_| "/cabinet/staff/invites".into(),
            body: |w| Some(json!({"company_id": w.a.company_id, "name": "Electrician"})),
            allowed: &[StaffX, Admin],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/v1/authority/dashboard?region={}", w.a.region_id),
            body: none,
            allowed: &[AuthorityR1, Admin],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/v1/authority/dashboard.csv?region={}", w.a.region_id),
            body: none,
            allowed: &[AuthorityR1, Admin],
        },
        RouteCase {
            method: Method::GET,
            path: |w| format!("/dashboard?region={}", w.a.region_id),
            body: none,
            allowed: &[AuthorityR1, Admin],
        },
    ]
}

/// The outage of company X that [`prepare_outages`] posted, per server (tests run in parallel).
static OUTAGES: std::sync::Mutex<std::collections::BTreeMap<String, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn outage_of(w: &World) -> String {
    OUTAGES.lock().unwrap()[&w.server.base].clone()
}

fn outage_body(w: &World) -> Value {
    json!({"utility": "hot_water", "kind": "emergency", "starts_at": "2026-07-01T08:00:00Z",
           "building_ids": [w.a.building_id], "description": "Burst pipe"})
}

async fn prepare_outages(w: &World) {
    let created = w
        .client(StaffX)
        .post_ok("/v1/outages", outage_body(w))
        .await;
    OUTAGES.lock().unwrap().insert(
        w.server.base.clone(),
        created["id"].as_str().unwrap().to_owned(),
    );
}

async fn check_world(w: &World) {
    prepare_reports(w).await;
    prepare_outages(w).await;
    for case in routes() {
        let path = (case.path)(w);
        for actor in Actor::ALL {
            let (status, body) = w
                .client(actor)
                .call(case.method.clone(), &path, (case.body)(w))
                .await;
            if case.allowed.contains(&actor) {
                assert!(
                    status.is_success(),
                    "{actor:?} {} {path}: {status} {body}",
                    case.method
                );
            } else {
                assert!(
                    status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                    "{actor:?} {} {path}: {status} {body}",
                    case.method
                );
                assert!(is_bare_error(&body), "{actor:?} {path} leaked: {body}");
            }
        }
        let (status, body) = w
            .server
            .anonymous()
            .call(case.method.clone(), &path, (case.body)(w))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous {path}");
        assert!(is_bare_error(&body), "anonymous {path} leaked: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tenant_reads_or_writes_another_tenants_objects_on_sqlite() {
    let w = World::new(TestServer::sqlite().await).await;
    check_world(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tenant_reads_or_writes_another_tenants_objects_on_postgres() {
    let w = World::new(TestServer::postgres().await).await;
    check_world(&w).await;
    w.server.close().await;
}

/// `POST /v1/readings:batch` takes no object id in its path: a reading for another tenant's
/// meter is refused per item with the same `not_found` a nonexistent meter gets, and nothing of
/// it is stored or pulled by anyone else.
async fn check_readings(w: &World) {
    let reading = |id: &str| {
        json!({"items": [{"id": id, "meter_id": w.a.meter_id,
            "values": [{"tariff": "single", "value": "12.5"}],
            "taken_at": "2026-03-01T09:30:00Z"}]})
    };
    for actor in Actor::ALL.into_iter().filter(|a| *a != ResidentA) {
        let id = uuid::Uuid::now_v7().to_string();
        let (status, body) = w
            .client(actor)
            .call(Method::POST, "/v1/readings:batch", Some(reading(&id)))
            .await;
        assert_eq!(status, StatusCode::OK, "{actor:?}: {body}");
        assert_eq!(
            body,
            json!({"results": [{"id": id, "status": "rejected", "code": "not_found",
                "message": "This meter is not one of yours."}]}),
            "{actor:?}"
        );
    }
    let (status, _) = w
        .server
        .anonymous()
        .call(
            Method::POST,
            "/v1/readings:batch",
            Some(reading(&uuid::Uuid::now_v7().to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let id = uuid::Uuid::now_v7().to_string();
    let (status, body) = w
        .client(ResidentA)
        .call(Method::POST, "/v1/readings:batch", Some(reading(&id)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["results"][0]["status"], "accepted", "{body}");
    let (_, history) = w
        .client(ResidentA)
        .get(&format!("/v1/meters/{}/readings", w.a.meter_id))
        .await;
    let ids: Vec<&str> = history["readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
    let (_, mine) = w.client(ResidentA).get("/v1/sync").await;
    assert_eq!(mine["readings"][0]["id"], id.as_str(), "{mine}");
    let (_, theirs) = w.client(ResidentB).get("/v1/sync").await;
    assert!(!theirs.to_string().contains(&id), "{theirs}");
    assert!(!theirs.to_string().contains(&w.a.meter_id), "{theirs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_for_another_tenants_meter_are_refused_per_item_on_sqlite() {
    let w = World::new(TestServer::sqlite().await).await;
    check_readings(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_for_another_tenants_meter_are_refused_per_item_on_postgres() {
    let w = World::new(TestServer::postgres().await).await;
    check_readings(&w).await;
    w.server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_resident_sees_only_their_own_homes() {
    let w = World::new(TestServer::sqlite().await).await;
    for (actor, mine, theirs) in [(ResidentA, &w.a, &w.b), (ResidentB, &w.b, &w.a)] {
        let (s, body) = w.client(actor).get("/v1/property").await;
        assert_eq!(s, StatusCode::OK);
        let homes = body["homes"].as_array().unwrap();
        assert_eq!(homes.len(), 1);
        assert_eq!(homes[0]["apartment"]["id"], mine.apartment_id.as_str());
        assert_eq!(homes[0]["meters"][0]["id"], mine.meter_id.as_str());
        let text = body.to_string();
        assert!(!text.contains(&theirs.apartment_id) && !text.contains(&theirs.account_id));
    }
    // Staff and authorities hold no homes.
    let (_, body) = w.client(StaffX).get("/v1/property").await;
    assert_eq!(body["homes"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessionless_calls_to_private_routes_get_401_with_the_error_shape() {
    let server = TestServer::sqlite().await;
    let anon = server.anonymous();
    for (method, path) in [
        (Method::GET, "/v1/me"),
        (Method::GET, "/v1/property"),
        (Method::POST, "/v1/auth/logout"),
        (Method::GET, "/v1/reports"),
        (Method::GET, "/v1/company/reports"),
        (Method::GET, "/v1/sync"),
        (Method::GET, "/cabinet"),
        (Method::GET, "/v1/authority/dashboard"),
        (Method::GET, "/v1/company/staff"),
        (Method::POST, "/v1/admin/rating:import"),
        (Method::POST, "/v1/accounts:claim"),
    ] {
        let (s, body) = anon.call(method, path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert!(is_bare_error(&body), "{path}: {body}");
    }
    let (s, body) = anon.get("/healthz").await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// Points: only admins award; a voucher made out for partner P is redeemed by P's cashier and
/// nobody else (residents, staff, authorities, admins, the other shop's cashier get 403 with the
/// bare error shape, anonymous 401); the redemption answer names the voucher, its points and the
/// shop, nothing of the resident; and a cashier reads none of the resident's data.
async fn check_points(w: &World) {
    let admin = w.client(Admin);
    for (partner, name) in [(&w.a.partner_id, "Shop P1"), (&w.b.partner_id, "Shop P2")] {
        admin
            .post_ok("/v1/admin/partners", json!({"id": partner, "name": name}))
            .await;
    }
    let (_, me) = w.client(ResidentA).get("/v1/me").await;
    let resident_id = me["user_id"].as_str().unwrap().to_owned();
    let award =
        json!({"user_id": resident_id, "rule": "house_inspection", "source_id": "authz-insp"});
    for actor in Actor::ALL.into_iter().filter(|a| *a != Admin) {
        let (status, body) = w
            .client(actor)
            .post("/v1/admin/points/award", award.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{actor:?} awarded: {body}");
        assert!(is_bare_error(&body), "{actor:?} leaked: {body}");
    }
    let (status, _) = w
        .server
        .anonymous()
        .post("/v1/admin/points/award", award.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let awarded = admin.post_ok("/v1/admin/points/award", award).await;
    assert_eq!(awarded["awarded"], 50, "{awarded}");

    let (status, _) = w
        .server
        .anonymous()
        .post("/v1/vouchers", json!({"points": 10}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let voucher = w
        .client(ResidentA)
        .post_ok(
            "/v1/vouchers",
            json!({"points": 20, "partner_id": w.a.partner_id}),
        )
        .await;
    let token = voucher["token"].as_str().unwrap();
    let redeem = || json!({"token": token, "attempt_id": uuid::Uuid::now_v7()});
    for actor in Actor::ALL.into_iter().filter(|a| *a != CashierP1) {
        let (status, body) = w
            .client(actor)
            .call(Method::POST, "/v1/partner/redeem", Some(redeem()))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{actor:?} redeemed: {body}");
        assert!(is_bare_error(&body), "{actor:?} leaked: {body}");
    }
    let (status, body) = w
        .server
        .anonymous()
        .call(Method::POST, "/v1/partner/redeem", Some(redeem()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(is_bare_error(&body), "{body}");

    let cashier = w.client(CashierP1);
    let taken = cashier.post_ok("/v1/partner/redeem", redeem()).await;
    let mut keys: Vec<&str> = taken
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["partner_id", "points", "redeemed_at", "voucher_id"],
        "{taken}"
    );
    assert_eq!(taken["partner_id"], w.a.partner_id.as_str());
    let resident_phone = ResidentA.phone().trim_start_matches('+').to_owned();
    for (path, text) in [
        ("/v1/partner/redeem", taken.to_string()),
        ("/v1/points", cashier.get("/v1/points").await.1.to_string()),
        (
            "/v1/property",
            cashier.get("/v1/property").await.1.to_string(),
        ),
        ("/v1/sync", cashier.get("/v1/sync").await.1.to_string()),
        (
            "/v1/partner/settlement.csv",
            cashier.get_text("/v1/partner/settlement.csv").await,
        ),
    ] {
        assert!(
            !text.contains(&resident_id) && !text.contains(&resident_phone),
            "{path} shows the cashier the resident: {text}"
        );
        assert!(
            !text.contains(&w.a.apartment_id) && !text.contains(&w.a.meter_id),
            "{path} shows the cashier the resident's home: {text}"
        );
    }
    let (_, own) = cashier.get("/v1/points").await;
    assert_eq!(own["balance"], 0, "{own}");
    assert_eq!(own["history"], json!([]), "{own}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_named_shops_cashier_redeems_and_sees_nothing_of_the_resident_on_sqlite() {
    let w = World::new(TestServer::sqlite().await).await;
    check_points(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_named_shops_cashier_redeems_and_sees_nothing_of_the_resident_on_postgres() {
    let w = World::new(TestServer::postgres().await).await;
    check_points(&w).await;
    w.server.close().await;
}
