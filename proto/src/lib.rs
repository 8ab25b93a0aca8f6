//! gRPC contracts between the gateway and the services.
//!
//! The code is generated at build time from `proto/matrix/admin/**.proto` by protox and
//! tonic-prost-build, so building needs no system `protoc`.

pub mod channel;
pub mod convert;
pub mod refused;
pub mod transport;

/// Serialized `FileDescriptorSet` of every service, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/bailiff_descriptor.bin"));

/// `matrix.admin.accounts.v1`: users, devices, tokens, client IPs, nonces.
pub mod accounts {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("matrix.admin.accounts.v1");
}

/// `matrix.admin.membership.v1`: rooms, events, sync and evacuation jobs.
pub mod membership {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("matrix.admin.membership.v1");
}

/// `matrix.admin.notices.v1`: server notices.
pub mod notices {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("matrix.admin.notices.v1");
}
