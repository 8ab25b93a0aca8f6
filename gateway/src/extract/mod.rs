//! Request parsing: bodies, JSON fields, path parameters and Matrix identifiers.
//!
//! Extractors never fail on content: they capture what arrived and let the handler ask
//! for each piece in the order API.md pins for that endpoint.

pub mod body;
pub mod fields;
pub mod ids;
pub mod path;

pub use body::JsonBody;
pub use fields::JsonObject;
pub use path::PathParams;
