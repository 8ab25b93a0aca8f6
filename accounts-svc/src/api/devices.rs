//! Devices for the admin API: ListDevices, GetDevice, RenameDevice, CreateDevice,
//! DeleteDevices. Deleting a device revokes its tokens, so gateways are told.

use bailiff_domain::{OwnedDeviceId, UserId};
use bailiff_proto::accounts::*;

use super::{AccountsService, user_id};
use crate::error::{Error, Result};
use crate::store::DeviceRecord;

fn device(record: DeviceRecord) -> Device {
    Device {
        device_id: record.device_id.into(),
        display_name: record.display_name,
        last_seen_ip: record.last_seen_ip,
        last_seen_user_agent: record.last_seen_user_agent,
        last_seen_ts: record.last_seen_ts,
    }
}

/// Synapse's device endpoints answer 404 "Unknown user" before anything else.
async fn require_user(svc: &AccountsService, user_id: &UserId) -> Result<()> {
    match svc.store().user(user_id).await? {
        Some(_) => Ok(()),
        None => Err(Error::UnknownUser),
    }
}

pub(super) async fn list(
    svc: &AccountsService,
    request: ListDevicesRequest,
) -> Result<ListDevicesResponse> {
    let user_id = user_id(request.user_id)?;
    require_user(svc, &user_id).await?;
    let devices = svc.store().devices(&user_id).await?;
    Ok(ListDevicesResponse {
        devices: devices.into_iter().map(device).collect(),
    })
}

pub(super) async fn get(svc: &AccountsService, request: DeviceRequest) -> Result<Device> {
    let user_id = user_id(request.user_id)?;
    require_user(svc, &user_id).await?;
    let device_id = OwnedDeviceId::from(request.device_id);
    svc.store()
        .device(&user_id, &device_id)
        .await?
        .map(device)
        .ok_or(Error::DeviceNotFound)
}

pub(super) async fn rename(
    svc: &AccountsService,
    request: RenameDeviceRequest,
) -> Result<RenameDeviceResponse> {
    let user_id = user_id(request.user_id)?;
    require_user(svc, &user_id).await?;
    let device_id = OwnedDeviceId::from(request.device_id);
    if !svc
        .store()
        .rename_device(&user_id, &device_id, request.display_name.as_deref())
        .await?
    {
        return Err(Error::DeviceNotFound);
    }
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(RenameDeviceResponse {})
}

pub(super) async fn create(
    svc: &AccountsService,
    request: DeviceRequest,
) -> Result<CreateDeviceResponse> {
    let user_id = user_id(request.user_id)?;
    require_user(svc, &user_id).await?;
    let device_id = OwnedDeviceId::from(request.device_id);
    svc.store()
        .create_device(&user_id, &device_id, svc.clock().now_ms())
        .await?;
    Ok(CreateDeviceResponse {})
}

pub(super) async fn delete(
    svc: &AccountsService,
    request: DeleteDevicesRequest,
) -> Result<DeleteDevicesResponse> {
    let user_id = user_id(request.user_id)?;
    require_user(svc, &user_id).await?;
    let device_ids: Vec<OwnedDeviceId> = request
        .device_ids
        .into_iter()
        .map(OwnedDeviceId::from)
        .collect();
    svc.store().delete_devices(&user_id, &device_ids).await?;
    // Their tokens are gone: every gateway must forget them now.
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(DeleteDevicesResponse {})
}
