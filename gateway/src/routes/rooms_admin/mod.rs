//! The routes of Synapse rooms administration.

use super::Route;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    Vec::new()
}
