//! Bonus points from the app core and the desktop till, end to end on the real server binary:
//! the resident's app gets its balance, history and offers through sync (and a `PointsChanged`
//! event), makes a voucher whose QR code decodes back to the token; a cashier's app checks the
//! voucher offline (genuine, expired, wrong partner, forged, unknown key) and redeems it once. The
//! `connect` CLI does the same as child processes: the resident makes a voucher PNG, the till
//! scans it, verifies it offline and redeems it, and refuses a second redemption with "already
//! redeemed".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use chrono::{Duration, Utc};
use connect_core::{
    app::{AppConfig, AppError, AppEvent, AppListener, ConnectApp},
    ids::PartnerId,
    points::{LedgerReason, RedeemState, VoucherError},
    qr::decode_frame,
};
use connect_tests::{ADMIN_PHONE, TestServer};
use serde_json::json;

const RESIDENT: &str = "+70000009001";
const CASHIER_P1: &str = "+70000009101";
const CASHIER_P2: &str = "+70000009102";

/// Partners P1 and P2 with an offer, a cashier each, and 50 points for the resident.
async fn seed(server: &TestServer) {
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
            json!({"partner_id": "P1", "title": "Coffee", "points": 20, "discount": "-100 RUB"}),
        )
        .await;
    for (phone, partner) in [(CASHIER_P1, "P1"), (CASHIER_P2, "P2")] {
        admin
            .post_ok(
                "/v1/admin/grants",
                json!({"phone": phone, "role": "partner_cashier", "scope": partner}),
            )
            .await;
    }
    let resident = server.login(RESIDENT).await;
    let (_, me) = resident.get("/v1/me").await;
    admin
        .post_ok(
            "/v1/admin/points/award",
            json!({"user_id": me["user_id"], "rule": "house_inspection", "source_id": "insp-1"}),
        )
        .await;
}

#[derive(Default)]
struct Events(Mutex<Vec<AppEvent>>);

struct Listen(Arc<Events>);

impl AppListener for Listen {
    fn on_event(&self, event: AppEvent) {
        self.0.0.lock().unwrap().push(event);
    }
}

fn points_events(events: &Events) -> Vec<i64> {
    events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            AppEvent::PointsChanged { balance } => Some(*balance),
            _ => None,
        })
        .collect()
}

fn app(server: &TestServer, dir: &Path, phone: &str) -> (ConnectApp, Arc<Events>) {
    let app = ConnectApp::open(AppConfig {
        db_path: dir.join(format!("{phone}.db")),
        server_url: server.base.clone(),
        db_key: [5; 32],
        trusted_keys: vec![],
    })
    .unwrap();
    let events = Arc::new(Events::default());
    app.set_listener(Box::new(Listen(Arc::clone(&events))));
    app.request_code(phone).unwrap();
    app.verify_code(phone, &server.sms.last_code(phone).unwrap())
        .unwrap();
    (app, events)
}

fn refusal(r: Result<impl std::fmt::Debug, AppError>) -> VoucherError {
    match r {
        Err(AppError::Voucher(e)) => e,
        other => panic!("expected a voucher refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_syncs_points_makes_a_voucher_and_a_till_checks_it_offline_and_redeems_it_once() {
    let server = TestServer::sqlite().await;
    seed(&server).await;
    let dir = tempfile::tempdir().unwrap();
    tokio::task::block_in_place(|| {
        let (resident, events) = app(&server, dir.path(), RESIDENT);
        resident.sync_now_blocking().unwrap();
        assert_eq!(resident.points_balance().unwrap(), 50);
        assert_eq!(points_events(&events), [50]);
        let history = resident.points_history().unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].reason, LedgerReason::HouseInspection);
        let offers = resident.offers().unwrap();
        assert_eq!(offers.len(), 1);
        assert_eq!(
            (offers[0].title.as_str(), offers[0].partner_name.as_str()),
            ("Coffee", "Shop P1")
        );
        // Nothing changed: no second event.
        resident.sync_now_blocking().unwrap();
        assert_eq!(points_events(&events), [50]);

        let issued = resident
            .create_voucher(20, Some(PartnerId("P1".into())))
            .unwrap();
        assert_eq!((issued.balance, issued.voucher.points), (20 + 10, 20));
        assert_eq!(resident.points_balance().unwrap(), 30);
        let (w, h, luma) = issued.qr.to_luma(4);
        let codes = decode_frame(&luma, w, h, w).unwrap();
        assert_eq!(codes.len(), 1);
        assert_eq!(codes[0].text, issued.token);
        resident.sync_now_blocking().unwrap();
        let history = resident.points_history().unwrap();
        assert_eq!(history[0].reason, LedgerReason::VoucherReserved);
        assert_eq!(history[0].delta, -20);

        let (till, _) = app(&server, dir.path(), CASHIER_P1);
        let p1 = PartnerId("P1".into());
        // A till that never fetched the keys cannot vouch for the voucher.
        assert_eq!(
            refusal(till.verify_voucher(&issued.token, &p1, Utc::now())),
            VoucherError::UnknownKey
        );
        assert_eq!(till.cashier_partner().unwrap(), Some(p1.clone()));
        till.refresh_points().unwrap();
        let claims = till.verify_voucher(&issued.token, &p1, Utc::now()).unwrap();
        assert_eq!(claims.id, issued.voucher.id);
        assert_eq!(claims.points, 20);
        assert_eq!(
            refusal(till.verify_voucher(&issued.token, &PartnerId("P2".into()), Utc::now())),
            VoucherError::WrongPartner
        );
        assert_eq!(
            refusal(till.verify_voucher(&issued.token, &p1, Utc::now() + Duration::hours(1))),
            VoucherError::Expired
        );
        let mut forged = issued.token.clone();
        let middle = forged.len() / 2;
        let swapped = if &forged[middle..=middle] == "A" {
            "B"
        } else {
            "A"
        };
        forged.replace_range(middle..=middle, swapped);
        assert_eq!(
            refusal(till.verify_voucher(&forged, &p1, Utc::now())),
            VoucherError::Forged
        );

        // Another shop's cashier is refused by the server too.
        let (other_till, _) = app(&server, dir.path(), CASHIER_P2);
        assert_eq!(
            refusal(other_till.redeem(&issued.token, uuid::Uuid::now_v7())),
            VoucherError::WrongPartner
        );
        let attempt = uuid::Uuid::now_v7();
        let first = till.redeem(&issued.token, attempt).unwrap();
        assert_eq!((first.points, first.partner_id.clone()), (20, p1.clone()));
        assert_eq!(till.redeem(&issued.token, attempt).unwrap(), first);
        assert_eq!(
            refusal(till.redeem(&issued.token, uuid::Uuid::now_v7())),
            VoucherError::AlreadyRedeemed
        );
        // A resident is no cashier.
        assert!(matches!(
            resident.redeem(&issued.token, uuid::Uuid::now_v7()),
            Err(AppError::Redeem(_))
        ));

        // The whole till flow in one call: an any-partner voucher is taken once.
        let any = resident.create_voucher(10, None).unwrap();
        match till
            .redeem_scanned(&any.token, &p1, uuid::Uuid::now_v7())
            .unwrap()
        {
            RedeemState::Accepted(r) => assert_eq!(r.points, 10),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            till.redeem_scanned(&any.token, &p1, uuid::Uuid::now_v7())
                .unwrap(),
            RedeemState::Refused(VoucherError::AlreadyRedeemed)
        );
        resident.sync_now_blocking().unwrap();
        assert_eq!(resident.points_balance().unwrap(), 20);
    });
}

/// `target/debug/connect`, built by `cargo build -p connect-cli`.
fn cli_binary() -> PathBuf {
    let bin = connect_tests::server_binary()
        .with_file_name(format!("connect{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p connect-cli` first",
        bin.display()
    );
    bin
}

/// Runs `connect <args> --server <base> --db <db>`; returns success, stdout and stderr.
async fn connect(server: &TestServer, db: &Path, args: &[&str]) -> (bool, String, String) {
    let (code, out, err) = connect_status(server, db, args).await;
    (code == Some(0), out, err)
}

/// [`connect`] with the exit status.
async fn connect_status(
    server: &TestServer,
    db: &Path,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let out = tokio::process::Command::new(cli_binary())
        .args(args)
        .arg("--server")
        .arg(&server.base)
        .arg("--db")
        .arg(db)
        .env_remove("CONNECT_DB_KEY")
        .output()
        .await
        .expect("run connect");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Logs in with `connect <login…> --phone P`, then again with the code from the SMS sink.
async fn cli_login(server: &TestServer, db: &Path, login: &[&str], phone: &str) -> String {
    let mut args: Vec<&str> = login.to_vec();
    args.extend(["--phone", phone]);
    let (ok, out, err) = connect(server, db, &args).await;
    assert!(ok, "{out}{err}");
    let code = server.sms.last_code(phone).unwrap();
    args.extend(["--code", &code]);
    let (ok, out, err) = connect(server, db, &args).await;
    assert!(ok, "{out}{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_till_redeems_a_scanned_voucher_once_and_refuses_it_as_already_redeemed() {
    let server = TestServer::sqlite().await;
    seed(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let resident = dir.path().join("resident.db");
    let till = dir.path().join("till.db");
    let other_till = dir.path().join("till2.db");

    cli_login(&server, &resident, &["login"], RESIDENT).await;
    let (ok, out, err) = connect(&server, &resident, &["points"]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("Balance: 50 points"), "{out}");
    assert!(out.contains("Coffee at Shop P1"), "{out}");

    let png = dir.path().join("voucher.png");
    let (ok, out, err) = connect(
        &server,
        &resident,
        &[
            "points",
            "voucher",
            "--points",
            "20",
            "--partner",
            "P1",
            "--png",
            png.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("for 20 points at partner P1"), "{out}");
    assert!(
        out.contains('▀') || out.contains('▄'),
        "a QR code in half blocks"
    );
    assert!(png.is_file());

    let login = cli_login(&server, &till, &["partner", "login"], CASHIER_P1).await;
    assert!(login.contains("cashier of partner P1"), "{login}");
    let image = png.to_str().unwrap();
    let (ok, out, err) = connect(&server, &till, &["partner", "redeem", "--image", image]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("REDEEMED: 20 points"), "{out}");

    let (status, out, err) =
        connect_status(&server, &till, &["partner", "redeem", "--image", image]).await;
    assert_eq!(
        status,
        Some(2),
        "a second redemption is refused: {out}{err}"
    );
    assert!(out.contains("REFUSED (already_redeemed)"), "{out}{err}");
    assert!(out.contains("already redeemed"), "{out}");

    // Another shop's till refuses it offline, before asking the server.
    cli_login(&server, &other_till, &["partner", "login"], CASHIER_P2).await;
    let (status, out, _) = connect_status(
        &server,
        &other_till,
        &["partner", "redeem", "--image", image],
    )
    .await;
    assert_eq!(status, Some(2));
    assert!(out.contains("REFUSED (wrong_partner)"), "{out}");

    // A resident is not a cashier: the till login is refused.
    let (ok, out, err) = connect(
        &server,
        &dir.path().join("r2.db"),
        &["partner", "login", "--phone", RESIDENT],
    )
    .await;
    assert!(ok, "{out}{err}");
    let code = server.sms.last_code(RESIDENT).unwrap();
    let (ok, _, err) = connect(
        &server,
        &dir.path().join("r2.db"),
        &["partner", "login", "--phone", RESIDENT, "--code", &code],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("not a cashier"), "{err}");

    let (ok, out, err) = connect(&server, &resident, &["points"]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("Balance: 30 points"), "{out}");
}
