//! `ConnectApp.claim_account` as the shells see it: refusals arrive as `ConnectError` variants
//! with the codes the claim screen branches on.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;

use connect_core::{ids::AccountId, qr::AccountCode};
use connect_ffi::{AppConfig, ConnectApp, ConnectError};

fn offline_app(dir: &tempfile::TempDir) -> std::sync::Arc<ConnectApp> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    ConnectApp::open(AppConfig {
        db_path: dir.path().join("app.db").display().to_string(),
        server_url: format!("http://127.0.0.1:{port}"),
        db_key: vec![3; 32],
        trusted_keys: vec![],
    })
    .unwrap()
}

#[test]
fn a_sticker_or_a_typo_is_an_invalid_account_code_and_a_good_code_needs_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let app = offline_app(&dir);
    let code = AccountCode::generate(AccountId(uuid::Uuid::now_v7()))
        .unwrap()
        .to_string();
    let mut typo = code.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    for bad in ["https://connect.example/p/AQAB", typo.as_str()] {
        let error = app.claim_account(bad.into()).unwrap_err();
        assert!(
            matches!(&error, ConnectError::Rejected { code, .. } if code == "invalid_account_code"),
            "{bad}: {error:?}"
        );
    }
    // Well-formed: it would go to the server, but there is no session yet.
    let error = app.claim_account(code).unwrap_err();
    assert!(matches!(error, ConnectError::NeedsLogin), "{error:?}");
}
