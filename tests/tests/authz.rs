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

fn routes() -> Vec<RouteCase> {
    vec![
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
    ]
}

async fn check_world(w: &World) {
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
    ] {
        let (s, body) = anon.call(method, path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert!(is_bare_error(&body), "{path}: {body}");
    }
    let (s, body) = anon.get("/healthz").await;
    assert_eq!(s, StatusCode::OK, "{body}");
}
