//! The geo and outage surfaces of the app object, from Rust: offline `locate` says NotFound until a
//! pack is installed, a damaged download maps to `Network` (download again later) with the reason,
//! an intact one is used, a bad region is `Rejected`, and the outage list works offline.
#![allow(clippy::unwrap_used)]

use std::{
    io::{Read, Write},
    net::TcpListener,
    thread,
};

use connect_core::{
    geo::{Building, BuildingIndex, Lookup, PackMeta, offline::GeoPackUpdate},
    ids::{BuildingId, CompanyId, RegionId},
};
use connect_ffi::{AppConfig, ConnectApp, ConnectError};
use geo::{MultiPolygon, polygon};

fn pack() -> Vec<u8> {
    let square = polygon![(x: 39.8, y: 59.2), (x: 39.801, y: 59.2), (x: 39.801, y: 59.201), (x: 39.8, y: 59.201), (x: 39.8, y: 59.2)];
    BuildingIndex::new(
        PackMeta {
            region: RegionId("vologda".into()),
            data_version: "1".into(),
        },
        vec![Building {
            id: BuildingId("B1".into()),
            address: None,
            company: Some(CompanyId("UK-1".into())),
            area_m2: None,
            footprint: MultiPolygon(vec![square]),
        }],
    )
    .unwrap()
    .to_pack()
}

/// A loopback HTTP server answering each connection with the next body (200, octet-stream).
fn serve(bodies: Vec<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for body in bodies {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let mut request = Vec::new();
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            conn.write_all(head.as_bytes()).unwrap();
            conn.write_all(&body).unwrap();
        }
    });
    url
}

fn open(dir: &tempfile::TempDir, url: String) -> std::sync::Arc<ConnectApp> {
    ConnectApp::open(AppConfig {
        db_path: dir.path().join("app.db").display().to_string(),
        server_url: url,
        db_key: vec![5; 32],
        trusted_keys: vec![],
    })
    .unwrap()
}

#[test]
fn a_damaged_pack_is_a_network_error_and_the_installed_pack_keeps_answering() {
    let good = pack();
    let truncated = good[..good.len() - 7].to_vec();
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir, serve(vec![truncated, good]));
    assert!(matches!(
        app.locate(59.2005, 39.8005, 10.0),
        Err(ConnectError::NotFound)
    ));
    assert!(app.geo_packs().is_empty());
    match app.update_geo_pack("vologda".into()) {
        Err(ConnectError::Network { reason }) => {
            assert!(reason.contains("truncated"), "{reason}");
            assert!(reason.contains("previous pack stays in use"), "{reason}");
        }
        other => panic!("expected Network, got {other:?}"),
    }
    assert!(matches!(
        app.update_geo_pack("vologda".into()),
        Ok(GeoPackUpdate::Installed(_))
    ));
    match app.locate(59.2005, 39.8005, 10.0).unwrap() {
        Lookup::Inside(b) => assert_eq!(b.company, Some(CompanyId("UK-1".into()))),
        other => panic!("expected inside, got {other:?}"),
    }
    assert_eq!(app.geo_packs().len(), 1);
    assert!(matches!(
        app.update_geo_pack("../x".into()),
        Err(ConnectError::Rejected { code, .. }) if code == "invalid_region"
    ));
    assert!(app.outages().unwrap().is_empty());
}
