//! Client sightings for whois: RecordConnections (hot path, batched by gateways) and
//! Whois.

use bailiff_database::fault;
use bailiff_proto::accounts::*;
use matrix_status::MatrixError;

use super::AccountsService;
use crate::store::Sighting;

pub(super) async fn record(
    svc: &AccountsService,
    request: RecordConnectionsRequest,
) -> Result<RecordConnectionsResponse, MatrixError> {
    let sightings: Vec<Sighting> = request
        .connections
        .into_iter()
        // A sighting without an owner could never be shown; don't store it.
        .filter(|c| !c.user_id.is_empty() && !c.device_id.is_empty())
        .map(|c| Sighting {
            user_id: c.user_id,
            device_id: c.device_id,
            ip: c.ip,
            user_agent: c.user_agent,
            last_seen_ms: c.last_seen_ms,
        })
        .collect();
    svc.store()
        .record_connections(&sightings)
        .await
        .map_err(fault)?;
    Ok(RecordConnectionsResponse {})
}

pub(super) async fn whois(
    svc: &AccountsService,
    request: WhoisRequest,
) -> Result<WhoisResponse, MatrixError> {
    let devices = svc
        .store()
        .whois(&request.user_id)
        .await
        .map_err(fault)?
        .into_iter()
        .map(|device| DeviceConnections {
            device_id: device.device_id,
            connections: device
                .connections
                .into_iter()
                .map(|seen| SeenConnection {
                    ip: seen.ip,
                    user_agent: seen.user_agent,
                    last_seen_ms: seen.last_seen_ms,
                })
                .collect(),
        })
        .collect();
    Ok(WhoisResponse {
        user_id: request.user_id,
        devices,
    })
}
