//! A fault-injecting HTTP proxy on loopback for the sync fault tests.
//!
//! It forwards every request to the upstream server and, on the sync routes (`/v1/readings…`,
//! `/v1/reports…`, `/v1/sync`), injects faults drawn from a seeded RNG: it drops the request
//! (never forwarded, 502), commits then drops the response (forwarded, the server's answer
//! replaced by 502), duplicates the request (forwarded twice, the second answer returned), and
//! delays. [`FaultProxy::script`] queues faults for the next matching requests, so a test can
//! make sure a given request meets a given fault. A dead upstream (the server being killed and
//! restarted) also answers 502.

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

/// One fault, to be injected on purpose ([`FaultProxy::script`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never forwarded; the client gets 502.
    DropRequest,
    /// Forwarded (the server commits), the answer replaced by 502.
    DropResponse,
    /// Forwarded twice; the second answer is returned.
    Duplicate,
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
}

struct Inner {
    upstream: String,
    config: FaultConfig,
    rng: Mutex<StdRng>,
    http: reqwest::Client,
    stats: Arc<FaultStats>,
    script: Script,
}

/// The running proxy.
pub struct FaultProxy {
    pub base: String,
    pub stats: Arc<FaultStats>,
    script: Script,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (e.g. `http://127.0.0.1:1234`).
    pub async fn start(upstream: &str, config: FaultConfig) -> FaultProxy {
        let stats = Arc::new(FaultStats::default());
        let script: Script = Arc::default();
        let inner = Arc::new(Inner {
            script: script.clone(),
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
            script,
        }
    }

    /// The next `method` requests whose path starts with `prefix` meet these faults, one each,
    /// in order (before any random fault).
    pub fn script(&self, method: &str, prefix: &str, faults: &[Fault]) {
        let mut script = self.script.lock().unwrap();
        for fault in faults {
            script.push((method.to_owned(), prefix.to_owned(), *fault));
        }
    }

    /// Scripted faults not yet met.
    pub fn scripted_left(&self) -> usize {
        self.script.lock().unwrap().len()
    }
}

fn bad_gateway() -> Response {
    (StatusCode::BAD_GATEWAY, "fault injected").into_response()
}

async fn send(
    inner: &Inner,
    method: &reqwest::Method,
    url: &str,
    auth: Option<&HeaderValue>,
    body: &[u8],
) -> Option<(StatusCode, Option<HeaderValue>, Vec<u8>)> {
    let mut req = inner
        .http
        .request(method.clone(), url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_vec());
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a.clone());
    }
    let res = req.send().await.ok()?;
    let status = StatusCode::from_u16(res.status().as_u16()).ok()?;
    let retry = res.headers().get(header::RETRY_AFTER).cloned();
    let bytes = res.bytes().await.ok()?;
    Some((status, retry, bytes.to_vec()))
}

async fn forward(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
    let auth = req.headers().get(header::AUTHORIZATION).cloned();
    let Ok(body) = to_bytes(req.into_body(), 16 * 1024 * 1024).await else {
        return bad_gateway();
    };
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
    let Some(mut answer) = send(&inner, &method, &url, auth.as_ref(), &body).await else {
        inner.stats.upstream_down.fetch_add(1, Ordering::Relaxed);
        return bad_gateway();
    };
    inner.stats.forwarded.fetch_add(1, Ordering::Relaxed);
    if faulty {
        let roll = roll - c.drop_request;
        if roll >= 0.0 && roll < c.duplicate {
            inner.stats.duplicated.fetch_add(1, Ordering::Relaxed);
            match send(&inner, &method, &url, auth.as_ref(), &body).await {
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
    let (status, retry, bytes) = answer;
    let mut res = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(r) = retry {
        res = res.header(header::RETRY_AFTER, r);
    }
    res.body(Body::from(bytes))
        .unwrap_or_else(|_| bad_gateway())
}

impl FaultStats {
    /// One line for the test log.
    pub fn summary(&self) -> String {
        format!(
            "forwarded {} dropped_requests {} dropped_responses {} duplicated {} upstream_down {}",
            self.forwarded.load(Ordering::Relaxed),
            self.dropped_requests.load(Ordering::Relaxed),
            self.dropped_responses.load(Ordering::Relaxed),
            self.duplicated.load(Ordering::Relaxed),
            self.upstream_down.load(Ordering::Relaxed),
        )
    }
}
