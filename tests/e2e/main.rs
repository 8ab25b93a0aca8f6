//! End-to-end tests: the whole system started in-process (embedded, and distributed over
//! real gRPC with PostgreSQL and Redis), driven over HTTP as clients do. One binary for
//! every end-to-end test, to keep link time down.

#[macro_use]
pub mod harness;

mod auth;
mod bad_input;
mod client_ip;
mod client_server;
mod dendrite_reset_password;
mod edge;
mod evacuation;
mod http_rules;
mod moderation;
mod notices;
mod notices_clients;
mod openapi;
mod register;
mod room_deletion;
mod rooms;
mod rooms_admin;
mod rooms_nio;
mod rooms_sync;
mod server_version;
mod synadm;
mod synapse_reset_password;
mod third_party;
mod ui_compat;
mod users_admin;
mod whois;
