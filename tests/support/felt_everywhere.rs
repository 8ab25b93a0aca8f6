//! Changes felt on every gateway (a module of `tests/faults.rs`, on its cluster plus a
//! second gateway): a lock, a demotion and a deactivation made through one gateway are
//! felt by the other within one second (`docs/http-api.md` §7, "Users"), and the
//! deactivation's leaves are applied by the two membership workers.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::roles::{GatewayClient, free_port};
use super::{Cluster, bounded};

const WHOAMI: &str = "/_matrix/client/v3/account/whoami";
const USERS: &str = "/_synapse/admin/v2/users";

impl Cluster {
    /// Starts a second gateway on the same services, database and bus; returns a client
    /// for it.
    async fn second_gateway(&mut self) -> GatewayClient {
        let address = format!("127.0.0.1:{}", free_port());
        let config = self.root.path().join("bailiff.yaml");
        self.spawn(
            "gateway-b",
            "gateway",
            &config,
            &[("BAILIFF_LISTEN__HTTP", address.as_str())],
        );
        let client = GatewayClient::new(format!("http://{address}"), super::SECRET);
        self.process("gateway-b")
            .wait_until_up(&client.http, "/livez")
            .await;
        client
    }
}

/// Polls `path` on `gateway` with `token` until it answers `status`; fails after a
/// second, the bound the contract gives. Returns the answer's body.
async fn felt(gateway: &GatewayClient, path: &str, token: &str, status: StatusCode) -> Value {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (answered, body) = gateway.call(Method::GET, path, Some(token), None).await;
        if answered == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{} still answers {answered} {body} a second later, not {status}",
            gateway.base_url
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ok(
    gateway: &GatewayClient,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> Value {
    let (status, answer) = gateway.call(method, path, Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_demotion_and_deactivation_are_felt_on_both_gateways() {
    bounded(async {
        let mut cluster = Cluster::start().await;
        let gateway_b = cluster.second_gateway().await;
        let gateway_a = cluster.gateway.clone();
        let admin = cluster.admin_token().await;
        let (other_id, other_admin) = gateway_a.register("other", true).await;
        let (victim_id, victim) = gateway_a.register("victim", false).await;
        let room = ok(
            &gateway_a,
            Method::POST,
            "/_matrix/client/v3/createRoom",
            &victim,
            json!({"preset": "public_chat"}),
        )
        .await["room_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let both = [&gateway_a, &gateway_b];
        for gateway in both {
            felt(gateway, WHOAMI, &victim, StatusCode::OK).await;
            felt(gateway, USERS, &other_admin, StatusCode::OK).await;
        }

        // Locked through A, felt on both; unlocked through B, felt on both.
        let user = format!("{USERS}/{victim_id}");
        ok(
            &gateway_a,
            Method::PUT,
            &user,
            &admin,
            json!({"locked": true}),
        )
        .await;
        for gateway in both {
            let body = felt(gateway, WHOAMI, &victim, StatusCode::UNAUTHORIZED).await;
            assert_eq!(body["errcode"], "M_USER_LOCKED", "{body}");
        }
        ok(
            &gateway_b,
            Method::PUT,
            &user,
            &admin,
            json!({"locked": false}),
        )
        .await;
        for gateway in both {
            felt(gateway, WHOAMI, &victim, StatusCode::OK).await;
        }

        // Demoted through B: the admin list refuses the former admin on both.
        let flag = format!("/_synapse/admin/v1/users/{other_id}/admin");
        ok(
            &gateway_b,
            Method::PUT,
            &flag,
            &admin,
            json!({"admin": false}),
        )
        .await;
        for gateway in both {
            felt(gateway, USERS, &other_admin, StatusCode::FORBIDDEN).await;
        }

        // Deactivated through A: the token is dead on both, and the workers applied the
        // leave of the victim's room.
        let deactivate = format!("/_synapse/admin/v1/deactivate/{victim_id}");
        ok(&gateway_a, Method::POST, &deactivate, &admin, json!({})).await;
        for gateway in both {
            let body = felt(gateway, WHOAMI, &victim, StatusCode::UNAUTHORIZED).await;
            assert_eq!(body["errcode"], "M_UNKNOWN_TOKEN", "{body}");
        }
        let members = format!("/_synapse/admin/v1/rooms/{room}/members");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = gateway_b
                .call(Method::GET, &members, Some(&admin), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if body["total"] == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the victim never left: {body}\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}
