//! Operations tests: metrics, graceful shutdown and distributed tracing, against the
//! real binary running as separate processes where signals matter.

mod cluster;
mod otlp;
#[path = "../support/roles.rs"]
mod roles;

use std::time::Duration;

use bailiff_config::Config;
use bailiff_database::testing::TestDatabase;
use reqwest::Method;
use serde_json::json;

use cluster::Cluster;

/// A request shows up in the Prometheus counter on the internal listener, and the
/// public port does not serve `/metrics`.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_the_request_just_made() {
    let database = TestDatabase::sqlite();
    let mut config = Config::default();
    config.database.url = database.url.clone();
    config.listen.http = "127.0.0.1:0".parse().expect("addr");
    config.listen.internal = Some("127.0.0.1:0".parse().expect("addr"));
    let running = bailiff::start(config, &[]).await.expect("start");
    let http = running.http_addr.expect("gateway");
    let internal = running.internal_addr.expect("internal listener");
    let client = reqwest::Client::new();

    let versions = client
        .get(format!("http://{http}/_matrix/client/versions"))
        .send()
        .await
        .expect("versions");
    assert_eq!(versions.status(), 200);
    let public_metrics = client
        .get(format!("http://{http}/metrics"))
        .send()
        .await
        .expect("public");
    assert_eq!(public_metrics.status(), 404);

    let text = client
        .get(format!("http://{internal}/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("bailiff_http_requests_total{")
                && l.contains("route=\"/_matrix/client/versions\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no request counter for /versions in:\n{text}"));
    let count: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("value");
    assert!(count >= 1.0, "{line}");
    for probe in ["livez", "readyz"] {
        let status = client
            .get(format!("http://{internal}/{probe}"))
            .send()
            .await
            .expect(probe)
            .status();
        assert_eq!(status, 200, "{probe}");
    }
    running.stop().await.expect("stop");
}

/// SIGTERM to the gateway in the middle of a burst: every request that was accepted is
/// answered; later connections are refused, never reset mid-request.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_in_flight_requests() {
    let mut cluster = Cluster::start(1, &[]).await;
    let (_, token) = cluster.gateway.register("drainer", true).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let url = format!(
        "{}/_synapse/admin/v1/server_version",
        cluster.gateway.base_url
    );
    let mut burst = Vec::new();
    for i in 0..400 {
        let client = client.clone();
        let url = url.clone();
        let token = token.clone();
        burst.push(tokio::spawn(async move {
            // Spread the burst across the shutdown.
            tokio::time::sleep(Duration::from_millis(i)).await;
            client.get(&url).bearer_auth(&token).send().await
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    cluster.terminate("gateway");
    let mut answered = 0;
    for request in burst {
        match request.await.expect("task") {
            Ok(response) => {
                assert_eq!(response.status(), 200, "an accepted request got an error");
                answered += 1;
            }
            // After the listener closes, new connections are refused: that is fine.
            Err(error) => assert!(error.is_connect(), "request failed mid-flight: {error:?}"),
        }
    }
    assert!(answered > 0, "no request was answered before shutdown");
    let status = cluster.wait_exit("gateway", Duration::from_secs(15)).await;
    assert!(status.success(), "gateway exited with {status}");
}

/// One evacuation is one trace: the gateway's HTTP span, the membership service's gRPC
/// span and the worker spans that applied the chunks share a trace ID, and every
/// span's parent is a span of that same trace.
#[tokio::test(flavor = "multi_thread")]
async fn an_evacuation_is_one_trace_across_processes() {
    let receiver = otlp::Receiver::default();
    let collector = receiver.start().await;
    let mut cluster = Cluster::start(
        2,
        &[(
            "BAILIFF_TELEMETRY__OTLP_ENDPOINT",
            format!("http://{collector}"),
        )],
    )
    .await;
    let (_, admin) = cluster.gateway.register("tracer", true).await;
    let (status, room) = cluster
        .gateway
        .call(
            Method::POST,
            "/_matrix/client/v3/createRoom",
            Some(&admin),
            Some(json!({"preset": "public_chat"})),
        )
        .await;
    assert_eq!(status, 200, "{room}");
    let room_id = room["room_id"].as_str().expect("room_id").to_owned();
    for i in 0..3 {
        let (_, token) = cluster.gateway.register(&format!("member{i}"), false).await;
        let (status, body) = cluster
            .gateway
            .call(
                Method::POST,
                &format!("/_matrix/client/v3/rooms/{room_id}/join"),
                Some(&token),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = cluster
        .gateway
        .call(
            Method::POST,
            &format!("/_dendrite/admin/evacuateRoom/{room_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["affected"].as_array().map(Vec::len), Some(4), "{body}");

    // Stopping the processes flushes their exporters.
    let names: Vec<String> = cluster.processes.keys().cloned().collect();
    for name in &names {
        cluster.terminate(name);
    }
    for name in &names {
        cluster.wait_exit(name, Duration::from_secs(20)).await;
    }

    let spans = receiver.snapshot();
    let root = spans
        .iter()
        .find(|s| s.service.ends_with("gateway") && s.name.contains("evacuateRoom"))
        .unwrap_or_else(|| {
            panic!(
                "no gateway span for evacuateRoom among {:#?}",
                spans
                    .iter()
                    .map(|s| (&s.service, &s.name))
                    .collect::<Vec<_>>()
            )
        });
    let trace: Vec<_> = spans
        .iter()
        .filter(|s| s.trace_id == root.trace_id)
        .collect();
    let membership: Vec<_> = trace
        .iter()
        .filter(|s| s.service.ends_with("membership"))
        .collect();
    assert!(
        membership.iter().any(|s| s.name.contains("EvacuateRoom")),
        "no membership gRPC span in the trace: {trace:#?}"
    );
    assert!(
        membership.iter().any(|s| s.name == "evacuation.chunk"),
        "no worker span in the trace: {trace:#?}"
    );
    for span in &trace {
        if span.span_id == root.span_id || span.parent_span_id.is_empty() {
            continue;
        }
        assert!(
            trace.iter().any(|p| p.span_id == span.parent_span_id),
            "span {} ({}) has a parent outside the trace",
            span.name,
            span.service
        );
    }
    let gateway_ids: Vec<_> = trace
        .iter()
        .filter(|s| s.service.ends_with("gateway"))
        .map(|s| &s.span_id)
        .collect();
    let rpc = membership
        .iter()
        .find(|s| s.name.contains("EvacuateRoom"))
        .expect("rpc span");
    assert!(
        gateway_ids.contains(&&rpc.parent_span_id),
        "the gRPC span's parent is not a gateway span"
    );
}

/// JSON logs carry the trace ID and never the secrets that pass through a
/// registration and a login: password, nonce, MAC, access token.
#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_trace_ids_and_no_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("bailiff.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let (http, internal) = (roles::free_port(), roles::free_port());
    let secret = "log-test-shared-secret";
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bailiff"))
        .arg("serve")
        .env(
            "BAILIFF_DATABASE__URL",
            format!("sqlite://{}/db.sqlite", dir.path().display()),
        )
        .env("BAILIFF_LISTEN__HTTP", format!("127.0.0.1:{http}"))
        .env("BAILIFF_LISTEN__INTERNAL", format!("127.0.0.1:{internal}"))
        .env("BAILIFF_REGISTRATION_SHARED_SECRET", secret)
        .env("BAILIFF_TELEMETRY__LOG_FORMAT", "json")
        .env(
            "BAILIFF_TELEMETRY__LOG_LEVEL",
            "debug,h2=info,hyper=info,tower=info,sqlx=info",
        )
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{http}");
    for _ in 0..300 {
        if client
            .get(format!("{base}/_matrix/client/versions"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let register = format!("{base}/_synapse/admin/v1/register");
    let nonce: serde_json::Value = client
        .get(&register)
        .send()
        .await
        .expect("nonce")
        .json()
        .await
        .expect("json");
    let nonce = nonce["nonce"].as_str().expect("nonce").to_owned();
    let password = "Sup3r-Secret-Passw0rd";
    let mac = gateway::registration_mac(secret, &nonce, "logged", password, false, None);
    let registered: serde_json::Value = client
        .post(&register)
        .json(&json!({"nonce": nonce, "username": "logged", "password": password, "mac": mac}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let token = registered["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let login: serde_json::Value = client
        .post(format!("{base}/_matrix/client/v3/login"))
        .json(&json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "logged"}, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let second_token = login["access_token"].as_str().expect("token").to_owned();
    let whoami = client
        .get(format!(
            "{base}/_matrix/client/v3/account/whoami?access_token={second_token}"
        ))
        .send()
        .await
        .expect("whoami");
    assert_eq!(whoami.status(), 200);

    let pid = child.id().expect("pid");
    tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .expect("kill");
    tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits")
        .expect("wait");

    let text = std::fs::read_to_string(&log_path).expect("log");
    for (what, value) in [
        ("password", password),
        ("nonce", nonce.as_str()),
        ("mac", mac.as_str()),
        ("access token", token.as_str()),
        ("access token", second_token.as_str()),
        ("shared secret", secret),
    ] {
        assert!(!text.contains(value), "the log contains the {what}");
    }
    let traced = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| {
            line["span"]["trace_id"]
                .as_str()
                .is_some_and(|id| id.len() == 32)
        })
        .count();
    assert!(traced > 0, "no JSON log line carries a trace ID:\n{text}");
}
