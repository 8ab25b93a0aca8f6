//! The `Accounts` gRPC service. The trait impl here only adapts; each RPC group's logic
//! lives in its own module as a function returning `Result<_, Error>`, and
//! `crate::error` alone decides what each failure looks like to a client. Request strings
//! are parsed into typed IDs here, at the boundary, and carried typed down to the store.

use access_token::TokenKey;
use bailiff_domain::{OwnedDeviceId, OwnedUserId};
use bailiff_proto::accounts::accounts_server::{Accounts, AccountsServer};
use bailiff_proto::accounts::*;
use tonic::{Request, Response, Status};

use crate::Deps;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::invalidation::Invalidations;
use crate::password::Passwords;
use crate::store::Store;

mod admin;
mod auth;
mod connections;
mod device_count;
mod devices;
mod login;
mod registration;
mod seed;
mod users;

#[cfg(test)]
mod tests;

/// How long a registration nonce stays valid.
pub(crate) const NONCE_TTL_MS: i64 = 60_000;

/// Everything the service is built from; tests swap in their own clock.
pub(crate) struct Settings {
    pub store: Store,
    pub passwords: Passwords,
    pub invalidations: Invalidations,
    pub clock: Clock,
    pub server_name: String,
    /// The server-notices localpart, which nobody may register.
    pub reserved_localpart: String,
    /// Tags every access token minted here; gateways get it through `TokenKey`.
    pub token_key: TokenKey,
}

impl Settings {
    /// The real thing: system clock, one hash per CPU, the deployment's token key.
    pub(crate) fn production(deps: &Deps, token_key: TokenKey) -> Self {
        Self {
            store: Store::new(deps.db.clone()),
            passwords: Passwords::per_cpu(),
            invalidations: Invalidations::new(deps.bus.clone()),
            clock: Clock::system(),
            server_name: deps.config.server_name.clone(),
            reserved_localpart: deps.config.server_notices.local_part.clone(),
            token_key,
        }
    }
}

/// Implements the generated `Accounts` trait.
pub(crate) struct AccountsService {
    settings: Settings,
}

impl AccountsService {
    pub(crate) fn new(settings: Settings) -> Self {
        Self { settings }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.settings.store
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.settings.clock
    }

    pub(crate) fn into_server(self) -> AccountsServer<Self> {
        AccountsServer::new(self)
    }

    /// The local user ID of `localpart`. A localpart that would not make a valid ID of
    /// this server (a `:` in it would even move it to another server) is refused.
    fn user_id(&self, localpart: &str) -> Result<OwnedUserId> {
        let invalid = || Error::InvalidId {
            what: "localpart",
            value: localpart.to_owned(),
        };
        let user_id = OwnedUserId::try_from(format!("@{localpart}:{}", self.settings.server_name))
            .map_err(|_| invalid())?;
        if user_id.localpart() != localpart
            || user_id.server_name().as_str() != self.settings.server_name
        {
            return Err(invalid());
        }
        Ok(user_id)
    }
}

/// A user ID sent by a peer, parsed once here.
fn user_id(value: String) -> Result<OwnedUserId> {
    OwnedUserId::try_from(value.as_str()).map_err(|_| Error::InvalidId {
        what: "user ID",
        value,
    })
}

/// Proto3 `optional string` arrives as `Some("")` from some clients; treat it as absent.
/// Device IDs are opaque, so any other string is one.
fn present_device_id(value: Option<String>) -> Option<OwnedDeviceId> {
    value.filter(|v| !v.is_empty()).map(OwnedDeviceId::from)
}

/// Proto3 `optional string` arrives as `Some("")` from some clients; treat it as absent.
fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

fn reply<T>(result: Result<T>) -> std::result::Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl Accounts for AccountsService {
    async fn authenticate(
        &self,
        request: Request<AuthenticateRequest>,
    ) -> std::result::Result<Response<AuthenticateResponse>, Status> {
        reply(auth::authenticate(self, request.into_inner()).await)
    }

    async fn token_key(
        &self,
        _request: Request<TokenKeyRequest>,
    ) -> std::result::Result<Response<TokenKeyResponse>, Status> {
        reply(Ok(TokenKeyResponse {
            key: self.settings.token_key.as_bytes().to_vec(),
        }))
    }

    async fn record_connections(
        &self,
        request: Request<RecordConnectionsRequest>,
    ) -> std::result::Result<Response<RecordConnectionsResponse>, Status> {
        reply(connections::record(self, request.into_inner()).await)
    }

    async fn whois(
        &self,
        request: Request<WhoisRequest>,
    ) -> std::result::Result<Response<WhoisResponse>, Status> {
        reply(connections::whois(self, request.into_inner()).await)
    }

    async fn create_nonce(
        &self,
        _request: Request<CreateNonceRequest>,
    ) -> std::result::Result<Response<CreateNonceResponse>, Status> {
        reply(registration::create_nonce(self).await)
    }

    async fn consume_nonce(
        &self,
        request: Request<ConsumeNonceRequest>,
    ) -> std::result::Result<Response<ConsumeNonceResponse>, Status> {
        reply(registration::consume_nonce(self, request.into_inner()).await)
    }

    async fn register_user(
        &self,
        request: Request<RegisterUserRequest>,
    ) -> std::result::Result<Response<RegisterUserResponse>, Status> {
        reply(registration::register(self, request.into_inner()).await)
    }

    async fn login(
        &self,
        request: Request<LoginRequest>,
    ) -> std::result::Result<Response<LoginResponse>, Status> {
        reply(login::login(self, request.into_inner()).await)
    }

    async fn logout(
        &self,
        request: Request<LogoutRequest>,
    ) -> std::result::Result<Response<LogoutResponse>, Status> {
        reply(auth::logout(self, request.into_inner()).await)
    }

    async fn logout_all(
        &self,
        request: Request<LogoutAllRequest>,
    ) -> std::result::Result<Response<LogoutAllResponse>, Status> {
        reply(auth::logout_all(self, request.into_inner()).await)
    }

    async fn get_user(
        &self,
        request: Request<GetUserRequest>,
    ) -> std::result::Result<Response<GetUserResponse>, Status> {
        reply(users::get_user(self, request.into_inner()).await)
    }

    async fn reset_password(
        &self,
        request: Request<ResetPasswordRequest>,
    ) -> std::result::Result<Response<ResetPasswordResponse>, Status> {
        reply(users::reset_password(self, request.into_inner()).await)
    }

    async fn set_admin(
        &self,
        request: Request<SetAdminRequest>,
    ) -> std::result::Result<Response<SetAdminResponse>, Status> {
        reply(users::set_admin(self, request.into_inner()).await)
    }

    async fn seed_users(
        &self,
        request: Request<SeedUsersRequest>,
    ) -> std::result::Result<Response<SeedUsersResponse>, Status> {
        reply(seed::seed_users(self, request.into_inner()).await)
    }

    async fn count_devices(
        &self,
        request: Request<CountDevicesRequest>,
    ) -> std::result::Result<Response<CountDevicesResponse>, Status> {
        reply(device_count::count_devices(self, request.into_inner()).await)
    }

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> std::result::Result<Response<ListUsersResponse>, Status> {
        reply(admin::list_users(self, request.into_inner()).await)
    }

    async fn get_user_record(
        &self,
        request: Request<GetUserRecordRequest>,
    ) -> std::result::Result<Response<UserRecord>, Status> {
        reply(admin::get_user_record(self, request.into_inner()).await)
    }

    async fn put_user(
        &self,
        request: Request<PutUserRequest>,
    ) -> std::result::Result<Response<PutUserResponse>, Status> {
        reply(admin::put_user(self, request.into_inner()).await)
    }

    async fn deactivate_user(
        &self,
        request: Request<DeactivateUserRequest>,
    ) -> std::result::Result<Response<DeactivateUserResponse>, Status> {
        reply(admin::deactivate_user(self, request.into_inner()).await)
    }

    async fn list_devices(
        &self,
        request: Request<ListDevicesRequest>,
    ) -> std::result::Result<Response<ListDevicesResponse>, Status> {
        reply(devices::list(self, request.into_inner()).await)
    }

    async fn get_device(
        &self,
        request: Request<DeviceRequest>,
    ) -> std::result::Result<Response<Device>, Status> {
        reply(devices::get(self, request.into_inner()).await)
    }

    async fn rename_device(
        &self,
        request: Request<RenameDeviceRequest>,
    ) -> std::result::Result<Response<RenameDeviceResponse>, Status> {
        reply(devices::rename(self, request.into_inner()).await)
    }

    async fn create_device(
        &self,
        request: Request<DeviceRequest>,
    ) -> std::result::Result<Response<CreateDeviceResponse>, Status> {
        reply(devices::create(self, request.into_inner()).await)
    }

    async fn delete_devices(
        &self,
        request: Request<DeleteDevicesRequest>,
    ) -> std::result::Result<Response<DeleteDevicesResponse>, Status> {
        reply(devices::delete(self, request.into_inner()).await)
    }
}
