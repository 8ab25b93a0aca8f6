//! docs/http-api.md §1, "Limits of the edge": slow clients, connection floods, oversized
//! heads, HTTP/2 rapid reset, idle connections and overload, each against a gateway
//! started with small limits, over raw sockets where a well-behaved client library
//! would not misbehave the way an attacker does.

use std::net::SocketAddr;
use std::time::Duration;

use bailiff_config::Config;
use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;

/// Bounds every wait, so a regression fails instead of hanging; never a latency
/// assertion.
const PATIENCE: Duration = Duration::from_secs(30);

const VERSIONS: &str = "/_matrix/client/versions";

fn gateway_addr(app: &TestApp) -> SocketAddr {
    app.base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap_or_else(|e| panic!("gateway address {}: {e}", app.base_url))
}

/// An HTTP/1.1 answer read off a raw socket.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    /// The head, header names lower-cased.
    head: String,
    body: Value,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    #[track_caller]
    fn assert_matrix_error(&self, status: u16, errcode: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["errcode"], errcode, "{self:?}");
        assert!(self.body["error"].is_string(), "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            self.header("access-control-allow-methods"),
            Some("GET, HEAD, POST, PUT, DELETE, OPTIONS")
        );
        assert!(
            self.header("access-control-allow-headers").is_some(),
            "{self:?}"
        );
    }
}

/// Reads one answer (head, then `Content-Length` bytes of body).
async fn read_answer(stream: &mut TcpStream) -> RawAnswer {
    let read = async {
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            assert!(n > 0, "connection closed before an answer: {bytes:?}");
            bytes.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head}"));
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while bytes.len() < head_end + length {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            assert!(n > 0, "connection closed mid-body");
            bytes.extend_from_slice(&chunk[..n]);
        }
        let body =
            serde_json::from_slice(&bytes[head_end..head_end + length]).unwrap_or(Value::Null);
        RawAnswer { status, head, body }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .unwrap_or_else(|_| panic!("no answer within {PATIENCE:?}: the gateway hung"))
}

/// Sends `request` on a new connection and reads the answer.
async fn exchange(addr: SocketAddr, request: &[u8]) -> (TcpStream, RawAnswer) {
    let mut stream = connect(addr).await;
    stream
        .write_all(request)
        .await
        .unwrap_or_else(|e| panic!("sending: {e}"));
    let answer = read_answer(&mut stream).await;
    (stream, answer)
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"))
}

fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: gateway\r\n\r\n").into_bytes()
}

/// Waits until the server closes `stream` (end of stream or reset), discarding what it
/// sends; false if it is still open after [`PATIENCE`].
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let wait = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait).await.is_ok()
}

/// A counter of the gateway process, read from its internal `/metrics`.
async fn metric(app: &TestApp, series: &str) -> u64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.internal_url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("metrics: {e}"))
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

async fn whois_answers(app: &TestApp, admin: &TestUser, target: &TestUser) {
    let body = assert_ok(
        app.get(
            &format!("/_synapse/admin/v1/whois/{}", target.user_id),
            Some(&admin.access_token),
        )
        .await,
    );
    assert_eq!(body["user_id"], target.user_id.as_str());
}

e2e!(
    slowloris_connections_are_closed_after_the_header_timeout,
    config = |c: &mut Config| c.http.header_read_timeout = Duration::from_secs(1),
    |app: TestApp| async move {
        let admin = app.register_user("slowadmin", true).await;
        let target = app.register_user("slowtarget", false).await;
        let addr = gateway_addr(&app);
        let header_series = r#"bailiff_http_timeouts_total{timeout="header"}"#;
        let timeouts_before = metric(&app, header_series).await;

        let mut attackers = Vec::new();
        for _ in 0..500 {
            let mut stream = connect(addr).await;
            stream
                .write_all(b"GET /_matrix/client/versions HTTP/1.1\r\nHost: gateway\r\nX-Slow: ")
                .await
                .unwrap_or_else(|e| panic!("sending a partial head: {e}"));
            attackers.push(stream);
        }
        // While the attack holds its connections, a normal client is served.
        for _ in 0..3 {
            whois_answers(&app, &admin, &target).await;
        }
        for stream in &mut attackers {
            assert!(closed_by_server(stream).await, "a stalled head stayed open");
        }
        assert!(metric(&app, header_series).await >= timeouts_before + 500);
        whois_answers(&app, &admin, &target).await;
    }
);

e2e!(
    a_connection_flood_gets_a_clean_refusal_and_the_gateway_recovers,
    config = |c: &mut Config| c.http.max_connections = 20,
    |app: TestApp| async move {
        let addr = gateway_addr(&app);
        // Fill every slot with connections that were served and stay open (keep-alive).
        let mut flood = Vec::new();
        let refusal = loop {
            assert!(flood.len() <= 25, "the connection limit was not enforced");
            let (stream, answer) = exchange(addr, &get_request(VERSIONS)).await;
            if answer.status == 200 {
                flood.push(stream);
            } else {
                break answer;
            }
        };
        refusal.assert_matrix_error(503, "M_UNAVAILABLE");
        assert_eq!(refusal.header("retry-after"), Some("1"));

        // A client at the limit gets the refusal at once, never a hang.
        let (_, again) = exchange(addr, &get_request(VERSIONS)).await;
        again.assert_matrix_error(503, "M_UNAVAILABLE");

        // Established connections keep being served.
        let established = &mut flood[0];
        established
            .write_all(&get_request(VERSIONS))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_answer(established).await.status, 200);

        // The flood ends: new clients are served again.
        drop(flood);
        let mut recovered = false;
        for _ in 0..100 {
            let (_, answer) = exchange(addr, &get_request(VERSIONS)).await;
            if answer.status == 200 {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(recovered, "the gateway did not recover after the flood");
        assert_ok(app.get(VERSIONS, None).await);
    }
);

e2e!(
    oversized_headers_and_paths_are_matrix_errors,
    config = |c: &mut Config| {
        c.http.max_header_bytes = 4096;
        c.http.max_uri_bytes = 1024;
    },
    |app: TestApp| async move {
        let addr = gateway_addr(&app);
        let cors = |response: &reqwest::Response| {
            response
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };

        // Within the limits: served.
        let fits = app
            .request("GET", VERSIONS)
            .header("x-fits", "a".repeat(3000))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fits.status(), StatusCode::OK);

        // Over the configured limits: the edge layer answers.
        let response = app
            .request("GET", VERSIONS)
            .header("x-big", "a".repeat(8000))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cors(&response).as_deref(), Some("*"));
        let reply = app
            .send(
                app.request("GET", VERSIONS)
                    .header("x-big", "a".repeat(8000)),
            )
            .await;
        assert_error(&reply, 431, "M_TOO_LARGE", None);
        let long_query = format!("{VERSIONS}?q={}", "a".repeat(2000));
        let response = app
            .request("GET", &long_query)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cors(&response).as_deref(), Some("*"));
        assert_error(&app.get(&long_query, None).await, 414, "M_TOO_LARGE", None);

        // Far over them, past what hyper holds: still Matrix errors with CORS.
        let huge_header = format!(
            "GET {VERSIONS} HTTP/1.1\r\nHost: gateway\r\nX-Huge: {}\r\n\r\n",
            "a".repeat(200_000)
        );
        let (_, answer) = exchange(addr, huge_header.as_bytes()).await;
        answer.assert_matrix_error(431, "M_TOO_LARGE");
        let huge_path = get_request(&format!("/{}", "a".repeat(100_000)));
        let (_, answer) = exchange(addr, &huge_path).await;
        answer.assert_matrix_error(414, "M_TOO_LARGE");
        let garbage = b"NOT HTTP AT ALL\r\n\r\n";
        let (_, answer) = exchange(addr, garbage).await;
        answer.assert_matrix_error(400, "M_UNKNOWN");

        // HTTP/2 has the same limits.
        let (status, body) = h2_get(addr, VERSIONS, Some(("x-big", "a".repeat(8000)))).await;
        assert_eq!(status, 431);
        assert_eq!(body["errcode"], "M_TOO_LARGE");
        let (status, body) = h2_get(addr, &long_query, None).await;
        assert_eq!(status, 414);
        assert_eq!(body["errcode"], "M_TOO_LARGE");

        assert_ok(app.get(VERSIONS, None).await);
    }
);

/// One HTTP/2 (prior knowledge, cleartext) `GET`; returns the status and JSON body.
async fn h2_get(addr: SocketAddr, path: &str, header: Option<(&str, String)>) -> (u16, Value) {
    let exchange = async {
        let stream = connect(addr).await;
        let (client, connection) = h2::client::handshake(stream)
            .await
            .unwrap_or_else(|e| panic!("HTTP/2 handshake: {e}"));
        let driver = tokio::spawn(connection);
        let mut client = client
            .ready()
            .await
            .unwrap_or_else(|e| panic!("HTTP/2 ready: {e}"));
        let mut request = http::Request::get(format!("http://{addr}{path}"));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let request = request
            .body(())
            .unwrap_or_else(|e| panic!("building the request: {e}"));
        let (response, _) = client
            .send_request(request, true)
            .unwrap_or_else(|e| panic!("HTTP/2 request: {e}"));
        let response = response
            .await
            .unwrap_or_else(|e| panic!("HTTP/2 answer: {e}"));
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk: Bytes = chunk.unwrap_or_else(|e| panic!("HTTP/2 body: {e}"));
            let _ = body.flow_control().release_capacity(chunk.len());
            bytes.extend_from_slice(&chunk);
        }
        drop(client);
        driver.abort();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    };
    tokio::time::timeout(PATIENCE, exchange)
        .await
        .unwrap_or_else(|_| panic!("no HTTP/2 answer within {PATIENCE:?}"))
}

/// An HTTP/2 frame header.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    let mut bytes = vec![length[1], length[2], length[3], kind, flags];
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// `GET <VERSIONS>` as an HPACK block that needs no encoder state: indexed `:method
/// GET` and `:scheme http`, then `:path` and `:authority` as literals with indexed
/// names.
fn request_block(authority: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86];
    for (index, value) in [(0x04u8, VERSIONS), (0x01u8, authority)] {
        block.push(index);
        block.push(u8::try_from(value.len()).unwrap_or(u8::MAX));
        block.extend_from_slice(value.as_bytes());
    }
    block
}

const GOAWAY: u8 = 0x7;
const ENHANCE_YOUR_CALM: u32 = 0xb;

e2e!(
    http2_rapid_reset_ends_the_connection_and_requests_keep_answering,
    config = |c: &mut Config| {
        c.http.h2_max_pending_reset_streams = 10;
        c.http.h2_max_concurrent_streams = 10;
    },
    |app: TestApp| async move {
        const STREAMS: u32 = 20_000;
        let addr = gateway_addr(&app);
        let stream = connect(addr).await;
        let (mut reader, mut writer) = stream.into_split();
        let block = request_block(&addr.to_string());
        let attack = tokio::spawn(async move {
            let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
            bytes.extend(frame(0x4, 0, 0, &[])); // SETTINGS
            for index in 0..STREAMS {
                let id = index * 2 + 1;
                // HEADERS (END_STREAM | END_HEADERS), then RST_STREAM (CANCEL).
                bytes.extend(frame(0x1, 0x5, id, &block));
                bytes.extend(frame(0x3, 0, id, &0x8u32.to_be_bytes()));
                if bytes.len() > 64 * 1024 {
                    if writer.write_all(&bytes).await.is_err() {
                        return index;
                    }
                    bytes.clear();
                }
            }
            let _ = writer.write_all(&bytes).await;
            STREAMS
        });

        // Read the server's frames until it closes the connection.
        let mut received = Vec::new();
        let read_all = async {
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match reader.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&chunk[..n]),
                }
            }
        };
        assert!(
            tokio::time::timeout(PATIENCE, read_all).await.is_ok(),
            "the server kept the resetting connection open"
        );
        let _ = attack.await;
        let mut go_away = None;
        let mut at = 0;
        while at + 9 <= received.len() {
            let length = usize::from(received[at]) << 16
                | usize::from(received[at + 1]) << 8
                | usize::from(received[at + 2]);
            let payload =
                &received[(at + 9).min(received.len())..(at + 9 + length).min(received.len())];
            if received[at + 3] == GOAWAY && payload.len() >= 8 {
                let last_stream =
                    u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                        & 0x7fff_ffff;
                let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
                go_away = Some((last_stream, code));
            }
            at += 9 + length;
        }
        let (last_stream, code) = go_away.unwrap_or_else(|| panic!("no GOAWAY from the server"));
        assert_eq!(code, ENHANCE_YOUR_CALM);
        // Bounded in count: the server stopped near the configured bound (10 resets,
        // 10 concurrent streams), long before the attack's end.
        assert!(last_stream < 1_000, "the server took {last_stream} streams");

        // Everyone else is still served, on both protocols.
        assert_ok(app.get(VERSIONS, None).await);
        let (status, _) = h2_get(addr, VERSIONS, None).await;
        assert_eq!(status, 200);
    }
);

e2e!(
    idle_connections_are_closed_after_the_idle_timeout,
    config = |c: &mut Config| c.http.idle_timeout = Duration::from_secs(1),
    |app: TestApp| async move {
        let addr = gateway_addr(&app);
        let idle_series = r#"bailiff_http_timeouts_total{timeout="idle"}"#;
        let before = metric(&app, idle_series).await;

        let (mut stream, answer) = exchange(addr, &get_request(VERSIONS)).await;
        assert_eq!(answer.status, 200);
        assert!(
            closed_by_server(&mut stream).await,
            "an idle HTTP/1 connection stayed open"
        );

        // HTTP/2: the connection ends (GOAWAY) once idle.
        let stream = connect(addr).await;
        let (client, connection) = h2::client::handshake(stream)
            .await
            .unwrap_or_else(|e| panic!("HTTP/2 handshake: {e}"));
        let driver = tokio::spawn(connection);
        let mut client = client.ready().await.unwrap_or_else(|e| panic!("{e}"));
        let request = http::Request::get(format!("http://{addr}{VERSIONS}"))
            .body(())
            .unwrap_or_else(|e| panic!("{e}"));
        let (response, _) = client
            .send_request(request, true)
            .unwrap_or_else(|e| panic!("{e}"));
        let response = response.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        while let Some(chunk) = body.data().await {
            let _ = chunk;
        }
        assert!(
            tokio::time::timeout(PATIENCE, driver).await.is_ok(),
            "an idle HTTP/2 connection stayed open"
        );

        assert!(metric(&app, idle_series).await >= before + 2);
    }
);

e2e!(
    overload_is_shed_with_503_and_the_internal_listener_answers,
    config = |c: &mut Config| c.http.max_in_flight_requests = 2,
    |app: TestApp| async move {
        let addr = gateway_addr(&app);
        // Two requests whose bodies never come hold both in-flight slots.
        let mut holders = Vec::new();
        for _ in 0..2 {
            let mut stream = connect(addr).await;
            stream
                .write_all(
                    b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: gateway\r\n\
                      Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            holders.push(stream);
        }
        let mut shed = None;
        for _ in 0..200 {
            let (_, answer) = exchange(addr, &get_request(VERSIONS)).await;
            if answer.status == 503 {
                shed = Some(answer);
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let shed = shed.unwrap_or_else(|| panic!("no request was shed"));
        shed.assert_matrix_error(503, "M_UNAVAILABLE");
        assert_eq!(shed.header("retry-after"), Some("1"));

        // Probes go to the internal listener, which is not shed.
        for probe in ["livez", "readyz"] {
            let response = app
                .client
                .get(format!("{}/{probe}", app.internal_url))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{probe}: {e}"));
            assert_eq!(response.status(), StatusCode::OK, "{probe}");
        }

        // The slots free when the holders go away.
        drop(holders);
        let mut served = false;
        for _ in 0..200 {
            let (_, answer) = exchange(addr, &get_request(VERSIONS)).await;
            if answer.status == 200 {
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(served, "requests were still shed after the load ended");
    }
);

e2e!(
    a_stalled_body_is_answered_408_and_closed,
    config = |c: &mut Config| c.http.body_read_timeout = Duration::from_secs(1),
    |app: TestApp| async move {
        let addr = gateway_addr(&app);
        let (mut stream, answer) = exchange(
            addr,
            b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: gateway\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\"",
        )
        .await;
        answer.assert_matrix_error(408, "M_UNKNOWN");
        assert!(closed_by_server(&mut stream).await);
        // A body that arrives in time is not affected.
        let reply = app
            .post(
                "/_matrix/client/v3/login",
                None,
                &serde_json::json!({"type": "m.login.password", "user": "nobody", "password": "x"}),
            )
            .await;
        assert_eq!(reply.0, StatusCode::FORBIDDEN, "{reply:?}");
    }
);
