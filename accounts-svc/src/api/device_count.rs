//! CountDevices: how many devices a set of users has, for the Synapse admin room
//! details' `joined_local_devices` (the gateway sends the room's joined local users).

use bailiff_proto::accounts::{CountDevicesRequest, CountDevicesResponse};

use super::{AccountsService, user_id};
use crate::error::Result;

pub(super) async fn count_devices(
    svc: &AccountsService,
    request: CountDevicesRequest,
) -> Result<CountDevicesResponse> {
    let user_ids = request
        .user_ids
        .into_iter()
        .map(user_id)
        .collect::<Result<Vec<_>>>()?;
    let count = svc.store().count_devices(&user_ids).await?;
    Ok(CountDevicesResponse { count })
}
