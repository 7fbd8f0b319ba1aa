//! Stickers and account codes end to end, through the real `connect-server` binary:
//! - `connect-server stickers` writes SVG and PDF sheets whose codes decode (our own decoder on
//!   our own rasterisation, and poppler's) to sticker URLs that verify against the keys
//!   `GET /v1/trust` publishes, in core and in a `ConnectApp` configured with them;
//! - `GET /p/{token}` shows the building, its company and current outages, escapes what it
//!   shows, and answers a forged, foreign-key or retired-key token with a 4xx "not genuine" page;
//! - key rotation: old stickers stay genuine while their key is listed as retired, and stop when
//!   it is removed;
//! - account codes: staff issue them, a resident claims one once (concurrent claims: one wins),
//!   the account's meters reach `/v1/property`, `/v1/sync` and the app; a sticker never links.
//!
//! The PDF checks need `qpdf`, `pdftotext` and `pdftoppm` (Debian `qpdf`, `poppler-utils`) and
//! the sheet's font (Debian `fonts-dejavu-core`): `scripts/install-deps.sh` installs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeSet, path::Path, process::Command};

use connect_core::{
    app::{AppConfig, AppError, ConnectApp},
    qr::{
        AccountCodeError, KeyId, StickerError, StickerTrust, TokenSigner, TrustList, decode_frame,
        verify_sticker,
    },
    sync::TransportError,
};
use connect_tests::{Actor, TestServer, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Buildings company X gets on top of the World's `X1`: seven in all, so the PDF has two pages.
const ADDRESSES: [&str; 6] = [
    "Вологда, ул. Мира, д. 12",
    "Вологда, Советский пр-т, д. 35А, корп. 2",
    "Вологда, ул. Ленина, д. 1",
    "Вологда, Пошехонское шоссе, д. 18",
    "Вологда, ул. Зосимовская, д. 7",
    "Вологда, набережная VI Армии, д. 101",
];

async fn add_buildings(w: &World) -> Vec<(String, String)> {
    let admin = w.client(Actor::Admin);
    let buildings: Vec<Value> = ADDRESSES
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({"id": format!("X-VLG-{i}"), "address": a, "company_id": w.a.company_id,
                   "region_id": w.a.region_id, "lat": 59.2, "lon": 39.9})
        })
        .collect();
    admin
        .post_ok("/v1/admin/buildings", json!({ "buildings": buildings }))
        .await;
    let mut all: Vec<(String, String)> = ADDRESSES
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("X-VLG-{i}"), (*a).to_owned()))
        .collect();
    all.push((w.a.building_id.clone(), "X street 1".to_owned()));
    all
}

async fn trust(server: &TestServer) -> (Value, StickerTrust) {
    let (status, body) = server.anonymous().get("/v1/trust").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut keys = TrustList::new();
    for k in body["sticker_keys"].as_array().unwrap() {
        keys.add_entry(k["entry"].as_str().unwrap()).unwrap();
    }
    let host = body["sticker_host"].as_str().unwrap().to_owned();
    (body, StickerTrust { host, keys })
}

async fn stickers(server: &TestServer, company: &str, out: &Path) -> String {
    let host = server.addr().to_string();
    let output = server
        .run_command(
            &[
                "stickers",
                "--company",
                company,
                "--out",
                out.to_str().unwrap(),
            ],
            &[("CONNECT_PUBLIC_HOST", host.as_str())],
        )
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "stickers failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Paints a QR path of ours (`M x y h n v 1 h -n z` per run) at `px` pixels per module with a
/// 4-module quiet zone, and decodes it with core's camera decoder.
fn decode_path(d: &str, px: usize) -> Vec<String> {
    let mut runs = Vec::new();
    for part in d.split('M').filter(|p| !p.is_empty()) {
        let (xy, rest) = part.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let n = rest.split_once('v').unwrap().0;
        runs.push((
            x.parse::<usize>().unwrap(),
            y.parse::<usize>().unwrap(),
            n.parse::<usize>().unwrap(),
        ));
    }
    let width = runs.iter().map(|r| (r.0 + r.2).max(r.1 + 1)).max().unwrap();
    let side = (width + 8) * px;
    let mut luma = vec![255u8; side * side];
    for (x, y, n) in runs {
        for yy in (y + 4) * px..(y + 5) * px {
            for xx in (x + 4) * px..(x + 4 + n) * px {
                luma[yy * side + xx] = 0;
            }
        }
    }
    decode_frame(&luma, side as u32, side as u32, side as u32)
        .unwrap()
        .into_iter()
        .map(|c| c.text)
        .collect()
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_svg_sheet_has_every_address_and_its_codes_verify_with_the_published_trust_list() {
    let w = World::new(TestServer::sqlite().await).await;
    let buildings = add_buildings(&w).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheet.svg");
    let said = stickers(&w.server, &w.a.company_id, &out).await;
    assert!(said.contains("7 stickers"), "{said}");
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the sheet is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let text = squash(
        &doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join(" "),
    );
    for (_, address) in &buildings {
        assert!(text.contains(address), "{address} missing from {text}");
    }
    assert!(text.contains("UK X"), "{text}");
    assert!(text.contains("Наведите камеру телефона"), "{text}");

    let (_, api) = w.server.anonymous().get("/openapi.json").await;
    for path in [
        "/v1/trust",
        "/v1/accounts/{id}/code",
        "/v1/accounts:claim",
        "/p/{token}",
    ] {
        assert!(
            api["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let (body, trust) = trust(&w.server).await;
    assert_eq!(trust.host, w.server.addr().to_string());
    assert_eq!(body["sticker_keys"].as_array().unwrap().len(), 1);
    assert_eq!(body["sticker_keys"][0]["current"], true);
    let mut seen = BTreeSet::new();
    let mut urls = Vec::new();
    for path in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("qr"))
    {
        let decoded = decode_path(path.attribute("d").unwrap(), 6);
        assert_eq!(decoded.len(), 1, "one code per sticker");
        let claims = verify_sticker(&decoded[0], &trust).expect("genuine sticker");
        assert_eq!(claims.key_id, KeyId(1));
        seen.insert(claims.building_id.0);
        urls.push(decoded[0].clone());
    }
    let expected: BTreeSet<String> = buildings.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(seen, expected);

    // The app pins the entries /v1/trust publishes and accepts the stickers offline.
    let entries: Vec<String> = body["sticker_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["entry"].as_str().unwrap().to_owned())
        .collect();
    let app_dir = tempfile::tempdir().unwrap();
    let (server_base, url) = (w.server.base.clone(), urls[0].clone());
    let app_path = app_dir.path().to_owned();
    let building = tokio::task::spawn_blocking(move || {
        let app = ConnectApp::open(AppConfig {
            db_path: app_path.join("app.db"),
            server_url: server_base,
            db_key: [1; 32],
            trusted_keys: entries,
        })
        .unwrap();
        let genuine = app.verify_sticker(&url).map(|c| c.building_id.0);
        let untrusted = ConnectApp::open(AppConfig {
            db_path: app_path.join("other.db"),
            server_url: "https://connect.example".into(),
            db_key: [2; 32],
            trusted_keys: Vec::new(),
        })
        .unwrap()
        .verify_sticker(&url);
        (genuine, untrusted)
    })
    .await
    .unwrap();
    assert!(expected.contains(&building.0.unwrap()));
    assert!(matches!(building.1, Err(StickerError::OtherHost(_))));
}

fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "{tool} is required: run scripts/install-deps.sh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_sheet_is_valid_its_addresses_extract_and_its_codes_verify() {
    for tool in ["qpdf", "pdftotext", "pdftoppm"] {
        need(tool);
    }
    let w = World::new(TestServer::sqlite().await).await;
    let buildings = add_buildings(&w).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheet.pdf");
    let said = stickers(&w.server, &w.a.company_id, &out).await;
    assert!(said.contains("7 stickers on 2 page(s)"), "{said}");
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.7"));
    // The font is embedded as a tagged subset (6 capitals, '+'), which keeps the sheet small:
    // DejaVu Sans whole made it about 0.35 MB.
    let raw = String::from_utf8_lossy(&pdf);
    let base = raw
        .split("/BaseFont /")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap();
    let (tag, _) = base.split_once('+').expect("a subset tag");
    assert!(
        tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
        "{base}"
    );
    assert!(pdf.len() < 120_000, "the sheet is {} bytes", pdf.len());

    // Every cross-reference entry points at its object's header.
    let text = String::from_utf8_lossy(&pdf);
    let startxref: usize = text
        .rsplit_once("startxref\n")
        .unwrap()
        .1
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pdf[startxref..].starts_with(b"xref\n"));
    let table = String::from_utf8_lossy(&pdf[startxref..]).into_owned();
    let mut lines = table.lines().skip(1);
    let count: usize = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    for (id, entry) in lines.take(count).enumerate().skip(1) {
        let offset: usize = entry[..10].parse().unwrap();
        assert!(
            pdf[offset..].starts_with(format!("{id} 0 obj").as_bytes()),
            "xref entry {id} points at {offset}"
        );
    }

    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "qpdf --check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    let extracted = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&out)
        .arg("-")
        .output()
        .unwrap();
    assert!(extracted.status.success());
    let extracted = squash(&String::from_utf8_lossy(&extracted.stdout));
    for (_, address) in &buildings {
        assert!(
            extracted.contains(address),
            "{address} not extractable: {extracted}"
        );
    }

    let (_, trust) = trust(&w.server).await;
    let png = dir.path().join("page");
    let render = Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-png"])
        .arg(&out)
        .arg(&png)
        .output()
        .unwrap();
    assert!(render.status.success());
    // Poppler complains on stderr about a font it cannot use (e.g. a broken subset).
    assert!(
        render.stderr.is_empty(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&render.stderr)
    );
    let mut seen = BTreeSet::new();
    for page in ["page-1.png", "page-2.png"] {
        let img = image::open(dir.path().join(page)).unwrap().to_luma8();
        let (wd, ht) = img.dimensions();
        for code in decode_frame(img.as_raw(), wd, ht, wd).unwrap() {
            seen.insert(verify_sticker(&code.text, &trust).unwrap().building_id.0);
        }
    }
    let expected: BTreeSet<String> = buildings.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(seen, expected);
}

async fn page(server: &TestServer, path: &str) -> (StatusCode, String, String) {
    let res = reqwest::get(format!("{}{path}", server.base))
        .await
        .unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

/// The token of the sticker for `building` in a fresh SVG sheet of `company`.
async fn token_for(server: &TestServer, company: &str, building: &str, dir: &Path) -> String {
    let out = dir.join(format!("{}.svg", uuid::Uuid::new_v4()));
    stickers(server, company, &out).await;
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let (_, trust) = trust(server).await;
    for path in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("qr"))
    {
        let url = decode_path(path.attribute("d").unwrap(), 6).remove(0);
        if verify_sticker(&url, &trust).unwrap().building_id.0 == building {
            return url.rsplit_once("/p/").unwrap().1.to_owned();
        }
    }
    panic!("no sticker for {building}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sticker_page_shows_building_company_and_outages_and_refuses_forgeries() {
    let mut w = World::new(TestServer::sqlite().await).await;
    let admin = w.client(Actor::Admin).clone();
    admin
        .post_ok(
            "/v1/admin/companies",
            json!({"id": w.a.company_id, "name": "УК «Северная» <b>&</b>", "tax_id": "3525000001",
                   "phone": "+7 (8172) 55-00-11", "email": "dispatch@uk.example", "region_id": w.a.region_id}),
        )
        .await;
    admin
        .post_ok(
            "/v1/admin/buildings",
            json!({"buildings": [{"id": "X-EVIL", "address": "ул. <script>alert(1)</script>, д. 1",
                   "company_id": w.a.company_id, "region_id": w.a.region_id, "lat": 59.2, "lon": 39.9}]}),
        )
        .await;
    let starts = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (status, body) = w
        .client(Actor::StaffX)
        .post(
            "/v1/outages",
            json!({"utility": "hot_water", "kind": "emergency", "starts_at": starts,
                   "building_ids": [w.a.building_id], "description": "Прорыв трубы в подвале"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let token = token_for(&w.server, &w.a.company_id, &w.a.building_id, dir.path()).await;

    let (status, kind, html) = page(&w.server, &format!("/p/{token}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(html.contains("X street 1"));
    assert!(
        html.contains("УК «Северная» &lt;b&gt;&amp;&lt;/b&gt;"),
        "{html}"
    );
    assert!(html.contains("href=\"tel:+78172550011\""), "{html}");
    assert!(html.contains("dispatch@uk.example"));
    assert!(html.contains("Прорыв трубы в подвале"));
    assert!(html.contains("Горячая вода"));
    assert!(html.contains("id=\"install\""));
    assert!(!html.contains("not-genuine"));

    let evil = token_for(&w.server, &w.a.company_id, "X-EVIL", dir.path()).await;
    let (status, _, html) = page(&w.server, &format!("/p/{evil}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // Tampered, truncated, garbage and foreign-key tokens: a 4xx HTML page saying so.
    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let foreign = TokenSigner::from_seed(KeyId(1), &[9; 32]).unwrap();
    let foreign = connect_core::qr::StickerSigner::new(foreign, w.server.addr().to_string())
        .token(
            &connect_core::ids::BuildingId(w.a.building_id.clone()),
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap();
    for bad in [
        String::from_utf8(tampered).unwrap(),
        token[..token.len() - 5].to_owned(),
        "not-a-token".to_owned(),
        foreign,
    ] {
        let (status, kind, html) = page(&w.server, &format!("/p/{bad}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
        assert!(kind.starts_with("text/html"), "{kind}");
        assert!(html.contains("id=\"not-genuine\""), "{html}");
        assert!(!html.contains("X street 1"));
    }

    // Rotation: key 0002 signs, 0001 is retired but listed: old stickers stay genuine.
    w.server
        .restart_with_env(&[
            ("CONNECT_STICKER_KEY_ID", "0002"),
            ("CONNECT_STICKER_RETIRED_KEYS", "0001"),
        ])
        .await;
    let (body, _) = trust(&w.server).await;
    let ids: Vec<(&str, bool)> = body["sticker_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key_id"].as_str().unwrap(),
                k["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids, vec![("0002", true), ("0001", false)]);
    let (status, _, _) = page(&w.server, &format!("/p/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    let new_token = token_for(&w.server, &w.a.company_id, &w.a.building_id, dir.path()).await;
    assert_ne!(new_token, token);
    // Removed from the list: the old sticker is no longer genuine; the new one is.
    w.server
        .restart_with_env(&[("CONNECT_STICKER_KEY_ID", "0002")])
        .await;
    let (status, _, html) = page(&w.server, &format!("/p/{token}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("id=\"not-genuine\""));
    assert!(html.contains("больше не действует"), "{html}");
    let (status, _, _) = page(&w.server, &format!("/p/{new_token}")).await;
    assert_eq!(status, StatusCode::OK);
}

/// Rasterises the QR of an account code's SVG (`<path … d="…">` inside a translate).
fn decode_code_svg(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let d = doc
        .descendants()
        .find(|n| n.has_tag_name("path"))
        .and_then(|n| n.attribute("d"))
        .unwrap();
    decode_path(d, 6).remove(0)
}

async fn check_account_codes(w: &World) {
    let staff = w.client(Actor::StaffX);
    let (status, issued) = staff
        .post(&format!("/v1/accounts/{}/code", w.a.account_id), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let code = issued["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("CC1-"));
    assert_eq!(decode_code_svg(issued["qr_svg"].as_str().unwrap()), code);

    let newcomer = w.server.login("+70000000771").await;
    let (_, before) = newcomer.get("/v1/property").await;
    assert_eq!(before["homes"], json!([]));
    // A building sticker is not an account code: refused, nothing linked.
    let dir = tempfile::tempdir().unwrap();
    let token = token_for(&w.server, &w.a.company_id, &w.a.building_id, dir.path()).await;
    let sticker = format!("https://{}/p/{token}", w.server.addr());
    let typo = code.replacen("CC1-", "CC1-Z", 1);
    for wrong in [sticker.as_str(), "CC1-0000", typo.as_str()] {
        let (status, body) = newcomer
            .post("/v1/accounts:claim", json!({"code": wrong}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}: {body}");
        assert_eq!(body["error"]["code"], "invalid_account_code");
    }
    let (_, still) = newcomer.get("/v1/property").await;
    assert_eq!(still["homes"], json!([]));

    let (status, claimed) = newcomer
        .post("/v1/accounts:claim", json!({"code": code.to_lowercase()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["account_id"], w.a.account_id.as_str());
    let (_, after) = newcomer.get("/v1/property").await;
    assert_eq!(
        after["homes"][0]["apartment"]["id"],
        w.a.apartment_id.as_str()
    );
    assert_eq!(after["homes"][0]["meters"][0]["id"], w.a.meter_id.as_str());
    let (_, sync) = newcomer.get("/v1/sync").await;
    assert!(sync["meters"].to_string().contains(&w.a.meter_id), "{sync}");

    // Used once: anyone else (and the same resident again) gets already_claimed.
    for who in [&newcomer, w.client(Actor::ResidentB)] {
        let (status, body) = who.post("/v1/accounts:claim", json!({"code": code})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "already_claimed");
    }
    let (_, b_home) = w.client(Actor::ResidentB).get("/v1/property").await;
    assert!(!b_home.to_string().contains(&w.a.apartment_id));

    // A fresh code, claimed by twelve users at once over HTTP: exactly one wins.
    let (_, issued) = w
        .client(Actor::Admin)
        .post(&format!("/v1/accounts/{}/code", w.a.account_id), json!({}))
        .await;
    let code = issued["code"].as_str().unwrap().to_owned();
    let mut users = Vec::new();
    for i in 0..12 {
        users.push(w.server.login(&format!("+700000008{i:02}")).await);
    }
    let claims = users
        .iter()
        .map(|u| u.post("/v1/accounts:claim", json!({"code": code})));
    let answers = futures::future::join_all(claims).await;
    let won = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(won, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == StatusCode::OK || b["error"]["code"] == "already_claimed"),
        "{answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_codes_are_claimed_once_and_bring_the_meters_on_sqlite() {
    let w = World::new(TestServer::sqlite().await).await;
    check_account_codes(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_codes_are_claimed_once_and_bring_the_meters_on_postgres() {
    let w = World::new(TestServer::postgres().await).await;
    check_account_codes(&w).await;
    w.server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_claims_an_account_once_and_refuses_a_sticker_offline() {
    let w = World::new(TestServer::sqlite().await).await;
    let (_, issued) = w
        .client(Actor::StaffX)
        .post(&format!("/v1/accounts/{}/code", w.a.account_id), json!({}))
        .await;
    let code = issued["code"].as_str().unwrap().to_owned();
    let phone = "+70000000781";
    let dir = tempfile::tempdir().unwrap();
    let (sms, sticker, meter) = (
        w.server.sms.clone(),
        format!("https://{}/p/AAAA", w.server.addr()),
        w.a.meter_id.clone(),
    );
    let (base, path) = (w.server.base.clone(), dir.path().to_owned());
    // The app blocks on its own runtime: drive it from a blocking thread, as a shell would.
    tokio::task::spawn_blocking(move || {
        let a = ConnectApp::open(AppConfig {
            db_path: path.join("device.db"),
            server_url: base,
            db_key: [7; 32],
            trusted_keys: Vec::new(),
        })
        .unwrap();
        a.request_code(phone).unwrap();
        a.verify_code(phone, &sms.last_code(phone).unwrap())
            .unwrap();
        assert!(matches!(
            a.claim_account(&sticker),
            Err(AppError::AccountCode(AccountCodeError::NotAccountCode))
        ));
        let claimed = a.claim_account(&code).unwrap();
        assert_eq!(claimed.address, "X street 1");
        assert_eq!(claimed.meters.len(), 1);
        assert_eq!(claimed.meters[0].id.0.to_string(), meter);
        // The property was refreshed: the meter is on the device.
        assert!(
            a.meters()
                .unwrap()
                .iter()
                .any(|m| m.id.0.to_string() == meter)
        );
        match a.claim_account(&code) {
            Err(AppError::ClaimAccount(TransportError::Refused { code, .. })) => {
                assert_eq!(code, Some(connect_core::api::ErrorCode::AlreadyClaimed));
            }
            other => panic!("second claim: {other:?}"),
        }
    })
    .await
    .unwrap();
}
