//! What the bindings add, tested from Rust: a listener that fails (as a Kotlin or Swift exception
//! does) never takes the app down, the app object is shared across threads, and core's errors
//! arrive as the public `ConnectError` variants the screens branch on.
#![allow(clippy::unwrap_used)]

use std::{
    net::TcpListener,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    thread,
};

use connect_core::{app::AppEvent, store::ReadingFilter, sync::RoundEnd};
use connect_ffi::{AppConfig, AppListener, ConnectApp, ConnectError, ListenerError};
use uniffi::UnexpectedUniFFICallbackError;

/// A loopback URL where nothing listens: the app is offline.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn config(dir: &tempfile::TempDir, key: u8) -> AppConfig {
    AppConfig {
        db_path: dir.path().join("app.db").display().to_string(),
        server_url: closed_port_url(),
        db_key: vec![key; 32],
        trusted_keys: vec![],
    }
}

fn sync_now(app: &ConnectApp) -> Result<RoundEnd, ConnectError> {
    // Shells drive the async export from their own executor; a throwaway runtime stands in here.
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(app.sync_now())
}

/// What uniffi hands back when the foreign callback throws something undeclared.
struct ThrowingListener {
    calls: AtomicUsize,
}

impl AppListener for ThrowingListener {
    fn on_event(&self, _event: AppEvent) -> Result<(), ListenerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(UnexpectedUniFFICallbackError::new("java.lang.IllegalStateException: boom").into())
    }
}

struct RecordingListener(Mutex<Vec<AppEvent>>);

impl AppListener for RecordingListener {
    fn on_event(&self, event: AppEvent) -> Result<(), ListenerError> {
        self.0.lock().unwrap().push(event);
        Ok(())
    }
}

#[test]
fn an_exception_in_the_listener_becomes_a_listener_error_carrying_its_message() {
    let error = ListenerError::from(UnexpectedUniFFICallbackError::new("boom in Kotlin"));
    assert!(
        matches!(&error, ListenerError::Failed { reason } if reason.contains("boom in Kotlin"))
    );
}

#[test]
fn a_listener_that_throws_on_every_event_does_not_stop_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let app = ConnectApp::open(config(&dir, 7)).unwrap();
    let listener = Arc::new(ThrowingListener {
        calls: AtomicUsize::new(0),
    });
    app.set_listener(listener.clone());

    // Logged out with nothing queued, a round has nothing to do and ends synced.
    assert_eq!(sync_now(&app).unwrap(), RoundEnd::Synced);
    assert!(
        listener.calls.load(Ordering::SeqCst) >= 1,
        "the listener was called"
    );
    // The engine survived the failing callbacks: a second round ends the same way.
    assert_eq!(sync_now(&app).unwrap(), RoundEnd::Synced);
    assert!(!app.is_logged_in().unwrap());

    // A working listener set afterwards receives the events.
    let recording = Arc::new(RecordingListener(Mutex::new(vec![])));
    app.set_listener(recording.clone());
    sync_now(&app).unwrap();
    assert!(
        recording
            .0
            .lock()
            .unwrap()
            .contains(&AppEvent::SyncFinished {
                end: RoundEnd::Synced
            })
    );
}

#[test]
fn the_app_answers_from_several_threads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = ConnectApp::open(config(&dir, 7)).unwrap();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let app = Arc::clone(&app);
            thread::spawn(move || {
                for _ in 0..10 {
                    assert!(app.meters().unwrap().is_empty());
                    assert!(app.readings(ReadingFilter::All).unwrap().is_empty());
                    assert!(!app.is_logged_in().unwrap());
                    app.connectivity_regained();
                }
                if i % 2 == 0 {
                    assert_eq!(sync_now(&app).unwrap(), RoundEnd::Synced);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn a_database_opened_with_another_key_is_a_wrong_key_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(ConnectApp::open(config(&dir, 1)).unwrap());
    let error = ConnectApp::open(config(&dir, 2)).unwrap_err();
    assert!(matches!(error, ConnectError::WrongKey), "{error:?}");
}

#[test]
fn a_key_that_is_not_32_bytes_is_refused_before_touching_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut short = config(&dir, 1);
    short.db_key.pop();
    let error = ConnectApp::open(short).unwrap_err();
    assert!(matches!(&error, ConnectError::Other { reason } if reason.contains("32 bytes")));
    assert!(!dir.path().join("app.db").exists());
}

#[test]
fn offline_and_logged_out_calls_map_to_network_and_needs_login() {
    let dir = tempfile::tempdir().unwrap();
    let app = ConnectApp::open(config(&dir, 7)).unwrap();
    let error = app.request_code("+79000000001".into()).unwrap_err();
    assert!(matches!(error, ConnectError::Network { .. }), "{error:?}");
    let error = app.request_code("not a phone".into()).unwrap_err();
    assert!(
        matches!(&error, ConnectError::Rejected { code, .. } if code == "malformed_phone"),
        "{error:?}"
    );
    let error = app.refresh_property().unwrap_err();
    assert!(matches!(error, ConnectError::NeedsLogin), "{error:?}");
}
