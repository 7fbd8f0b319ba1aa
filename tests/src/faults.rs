//! A fault-injecting HTTP proxy on loopback for the sync fault tests.
//!
//! It forwards every request to the upstream server and, on the sync routes (`/v1/readings…`,
//! `/v1/reports…`, `/v1/sync`), injects faults drawn from a seeded RNG: it drops the request
//! (never forwarded, 502), commits then drops the response (forwarded, the server's answer
//! replaced by 502), duplicates the request (forwarded twice, the second answer returned), and
//! delays. [`FaultProxy::script`] queues faults for the next matching requests, so a test can
//! make sure a given request meets a given fault. A dead upstream (the server being killed and
//! restarted) also answers 502.
//!
//! [`Fault::Hold`] forwards a request (the server commits) and then holds the answer back until
//! [`FaultProxy::release_held`], so a test can kill the client while it waits for an answer that
//! the server has already acted on. [`FaultProxy::requests`] is the log of what clients sent.
//!
//! [`FaultProxy::set_body_fault`] damages the bodies of answers on one path (truncates them or
//! flips a byte) while keeping the answer otherwise intact, the way a broken download or a bad
//! middlebox would; `If-None-Match` and `ETag` pass through so conditional requests work.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Fault probabilities (each in 0..1, drawn once per request) and the largest delay.
#[derive(Debug, Clone, Copy)]
pub struct FaultConfig {
    pub seed: u64,
    pub drop_request: f64,
    pub drop_response: f64,
    pub duplicate: f64,
    pub max_delay: Duration,
}

impl FaultConfig {
    /// No random fault at all: only the faults a test scripts ([`FaultProxy::script`]).
    pub fn scripted_only() -> FaultConfig {
        FaultConfig {
            seed: 0,
            drop_request: 0.0,
            drop_response: 0.0,
            duplicate: 0.0,
            max_delay: Duration::ZERO,
        }
    }
}

/// One fault, to be injected on purpose ([`FaultProxy::script`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never forwarded; the client gets 502.
    DropRequest,
    /// Forwarded (the server commits), the answer replaced by 502.
    DropResponse,
    /// Forwarded twice; the second answer is returned.
    Duplicate,
    /// Forwarded untouched (to let the first requests of a script through).
    Pass,
    /// Forwarded (the server commits), the answer held back until [`FaultProxy::release_held`]
    /// and then replaced by 502.
    Hold,
}

/// Scripted faults: (method, path prefix, fault), consumed in order by matching requests.
type Script = Arc<Mutex<Vec<(String, String, Fault)>>>;

/// How many of each fault were injected.
#[derive(Debug, Default)]
pub struct FaultStats {
    pub forwarded: AtomicU64,
    pub dropped_requests: AtomicU64,
    pub dropped_responses: AtomicU64,
    pub duplicated: AtomicU64,
    pub upstream_down: AtomicU64,
    /// Answers held back by [`Fault::Hold`] (counted once the server has answered).
    pub held: AtomicU64,
}

/// How to damage a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    /// Keep only the first n bytes.
    Truncate(usize),
    /// XOR the byte at this offset with 0xFF (when the body is that long).
    FlipByte(usize),
}

type BodyFaults = Arc<Mutex<Option<(String, BodyFault)>>>;

/// Every request that reached the proxy: method, path and body.
type RequestLog = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

struct Inner {
    upstream: String,
    body_fault: BodyFaults,
    config: FaultConfig,
    rng: Mutex<StdRng>,
    http: reqwest::Client,
    stats: Arc<FaultStats>,
    script: Script,
    log: RequestLog,
    release: Arc<tokio::sync::Notify>,
}

/// The running proxy.
pub struct FaultProxy {
    pub base: String,
    pub stats: Arc<FaultStats>,
    body_fault: BodyFaults,
    script: Script,
    log: RequestLog,
    release: Arc<tokio::sync::Notify>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (e.g. `http://127.0.0.1:1234`).
    pub async fn start(upstream: &str, config: FaultConfig) -> FaultProxy {
        let stats = Arc::new(FaultStats::default());
        let body_fault: BodyFaults = Arc::default();
        let script: Script = Arc::default();
        let log: RequestLog = Arc::default();
        let release = Arc::new(tokio::sync::Notify::new());
        let inner = Arc::new(Inner {
            body_fault: body_fault.clone(),
            script: script.clone(),
            log: log.clone(),
            release: release.clone(),
            upstream: upstream.trim_end_matches('/').to_owned(),
            config,
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("proxy http client"),
            stats: stats.clone(),
        });
        let app = Router::new().fallback(forward).with_state(inner);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FaultProxy {
            base: format!("http://{addr}"),
            stats,
            body_fault,
            script,
            log,
            release,
        }
    }

    /// Damages the body of every answer whose path starts with `path_prefix` (`None` stops it).
    pub fn set_body_fault(&self, path_prefix: &str, fault: Option<BodyFault>) {
        *self.body_fault.lock().unwrap() = fault.map(|f| (path_prefix.to_owned(), f));
    }

    /// The next `method` requests whose path starts with `prefix` meet these faults, one each,
    /// in order (before any random fault).
    pub fn script(&self, method: &str, prefix: &str, faults: &[Fault]) {
        let mut script = self.script.lock().unwrap();
        for fault in faults {
            script.push((method.to_owned(), prefix.to_owned(), *fault));
        }
    }

    /// Lets every answer held by [`Fault::Hold`] go (as 502, to a client that may be gone).
    pub fn release_held(&self) {
        self.release.notify_waiters();
    }

    /// The bodies of the `method` requests whose path starts with `prefix`, in arrival order.
    pub fn requests(&self, method: &str, prefix: &str) -> Vec<Vec<u8>> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p, _)| m == method && p.starts_with(prefix))
            .map(|(_, _, b)| b.clone())
            .collect()
    }

    /// Scripted faults not yet met.
    pub fn scripted_left(&self) -> usize {
        self.script.lock().unwrap().len()
    }
}

/// Request headers passed upstream, and response headers passed back.
const REQUEST_HEADERS: [header::HeaderName; 2] = [header::AUTHORIZATION, header::IF_NONE_MATCH];
const RESPONSE_HEADERS: [header::HeaderName; 3] =
    [header::RETRY_AFTER, header::ETAG, header::CONTENT_TYPE];

type Answer = (StatusCode, Vec<(header::HeaderName, HeaderValue)>, Vec<u8>);

fn bad_gateway() -> Response {
    (StatusCode::BAD_GATEWAY, "fault injected").into_response()
}

async fn send(
    inner: &Inner,
    method: &reqwest::Method,
    url: &str,
    headers: &[(header::HeaderName, HeaderValue)],
    body: &[u8],
) -> Option<Answer> {
    let mut req = inner
        .http
        .request(method.clone(), url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        req = req.header(name.as_str(), value.as_bytes());
    }
    let res = req.send().await.ok()?;
    let status = StatusCode::from_u16(res.status().as_u16()).ok()?;
    let kept = RESPONSE_HEADERS
        .iter()
        .filter_map(|name| {
            let v = res.headers().get(name.as_str())?;
            Some((name.clone(), HeaderValue::from_bytes(v.as_bytes()).ok()?))
        })
        .collect();
    let bytes = res.bytes().await.ok()?;
    Some((status, kept, bytes.to_vec()))
}

async fn forward(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
    let headers: Vec<(header::HeaderName, HeaderValue)> = REQUEST_HEADERS
        .iter()
        .filter_map(|name| Some((name.clone(), req.headers().get(name)?.clone())))
        .collect();
    let Ok(body) = to_bytes(req.into_body(), 16 * 1024 * 1024).await else {
        return bad_gateway();
    };
    inner
        .log
        .lock()
        .unwrap()
        .push((method.as_str().to_owned(), path.clone(), body.to_vec()));
    let scripted = {
        let mut script = inner.script.lock().unwrap();
        script
            .iter()
            .position(|(m, prefix, _)| m == method.as_str() && path.starts_with(prefix.as_str()))
            .map(|i| script.remove(i).2)
    };
    let faulty = path.starts_with("/v1/readings")
        || path.starts_with("/v1/reports")
        || path.starts_with("/v1/sync");
    let (roll, delay) = {
        let mut rng = inner.rng.lock().unwrap();
        let roll: f64 = rng.random();
        let max = inner.config.max_delay.as_millis() as u64;
        let delay = if max == 0 {
            0
        } else {
            rng.random_range(0..=max)
        };
        (roll, Duration::from_millis(delay))
    };
    let url = format!("{}{path}", inner.upstream);
    // A scripted fault replaces the random draw: dropped requests roll 0, dropped responses and
    // duplicates roll into their own band of a config with only that fault.
    let (roll, c) = match scripted {
        None => (roll, inner.config),
        Some(fault) => {
            let only = |drop_request, drop_response, duplicate| FaultConfig {
                drop_request,
                drop_response,
                duplicate,
                max_delay: Duration::ZERO,
                ..inner.config
            };
            match fault {
                Fault::DropRequest => (0.0, only(1.0, 0.0, 0.0)),
                Fault::DropResponse => (0.0, only(0.0, 1.0, 0.0)),
                Fault::Duplicate => (0.0, only(0.0, 0.0, 1.0)),
                Fault::Pass | Fault::Hold => (1.0, only(0.0, 0.0, 0.0)),
            }
        }
    };
    let faulty = faulty || scripted.is_some();
    if faulty {
        tokio::time::sleep(delay).await;
        if roll < c.drop_request {
            inner.stats.dropped_requests.fetch_add(1, Ordering::Relaxed);
            return bad_gateway();
        }
    }
    let Some(mut answer) = send(&inner, &method, &url, &headers, &body).await else {
        inner.stats.upstream_down.fetch_add(1, Ordering::Relaxed);
        return bad_gateway();
    };
    inner.stats.forwarded.fetch_add(1, Ordering::Relaxed);
    if scripted == Some(Fault::Hold) {
        let released = inner.release.notified();
        inner.stats.held.fetch_add(1, Ordering::Relaxed);
        released.await;
        return bad_gateway();
    }
    if faulty {
        let roll = roll - c.drop_request;
        if roll >= 0.0 && roll < c.duplicate {
            inner.stats.duplicated.fetch_add(1, Ordering::Relaxed);
            match send(&inner, &method, &url, &headers, &body).await {
                Some(second) => answer = second,
                None => {
                    inner.stats.upstream_down.fetch_add(1, Ordering::Relaxed);
                    return bad_gateway();
                }
            }
        } else if roll >= c.duplicate && roll < c.duplicate + c.drop_response {
            inner
                .stats
                .dropped_responses
                .fetch_add(1, Ordering::Relaxed);
            return bad_gateway();
        }
    }
    let (status, headers, mut bytes) = answer;
    let damage = inner
        .body_fault
        .lock()
        .unwrap()
        .clone()
        .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
        .map(|(_, f)| f);
    match damage {
        Some(BodyFault::Truncate(n)) => bytes.truncate(n),
        Some(BodyFault::FlipByte(i)) => {
            if let Some(b) = bytes.get_mut(i) {
                *b ^= 0xFF;
            }
        }
        None => {}
    }
    let mut res = Response::builder().status(status);
    if !headers.iter().any(|(n, _)| n == header::CONTENT_TYPE) {
        res = res.header(header::CONTENT_TYPE, "application/json");
    }
    for (name, value) in headers {
        res = res.header(name, value);
    }
    res.body(Body::from(bytes))
        .unwrap_or_else(|_| bad_gateway())
}

impl FaultStats {
    /// One line for the test log.
    pub fn summary(&self) -> String {
        format!(
            "forwarded {} dropped_requests {} dropped_responses {} duplicated {} upstream_down {} held {}",
            self.forwarded.load(Ordering::Relaxed),
            self.dropped_requests.load(Ordering::Relaxed),
            self.dropped_responses.load(Ordering::Relaxed),
            self.duplicated.load(Ordering::Relaxed),
            self.upstream_down.load(Ordering::Relaxed),
            self.held.load(Ordering::Relaxed),
        )
    }
}
