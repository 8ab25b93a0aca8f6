//! Request parsing: bodies, JSON fields, path parameters and Matrix identifiers.
//!
//! Extractors never fail on content: they capture what arrived and let the handler ask
//! for each piece in the order `docs/http-api.md` pins for that endpoint. Bodies and
//! query strings decode into typed structs through one adapter ([`typed`]).

pub mod body;
pub mod ids;
pub mod path;
pub mod synapse_query;
pub mod typed;

pub use body::JsonBody;
pub use path::PathParams;
pub use typed::{Field, QueryBool, QueryInt};
