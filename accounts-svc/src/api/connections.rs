//! Client sightings for whois: RecordConnections (hot path, batched by gateways) and
//! Whois.

use bailiff_domain::{OwnedDeviceId, OwnedUserId};
use bailiff_proto::accounts::*;

use super::{AccountsService, user_id};
use crate::error::Result;
use crate::store::Sighting;

pub(super) async fn record(
    svc: &AccountsService,
    request: RecordConnectionsRequest,
) -> Result<RecordConnectionsResponse> {
    let sightings: Vec<Sighting> = request
        .connections
        .into_iter()
        // A sighting without a valid owner could never be shown; don't store it, and
        // don't let it cost the rest of the batch either.
        .filter_map(|c| {
            let user_id = OwnedUserId::try_from(c.user_id).ok()?;
            if c.device_id.is_empty() {
                return None;
            }
            Some(Sighting {
                user_id,
                device_id: OwnedDeviceId::from(c.device_id),
                ip: c.ip,
                user_agent: c.user_agent,
                last_seen_ms: c.last_seen_ms,
            })
        })
        .collect();
    svc.store().record_connections(&sightings).await?;
    Ok(RecordConnectionsResponse {})
}

pub(super) async fn whois(svc: &AccountsService, request: WhoisRequest) -> Result<WhoisResponse> {
    let user_id = user_id(request.user_id)?;
    let devices = svc
        .store()
        .whois(&user_id)
        .await?
        .into_iter()
        .map(|device| DeviceConnections {
            device_id: device.device_id.into(),
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
        user_id: user_id.into(),
        devices,
    })
}
