//! The routes of Synapse users administration.

use super::Route;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    Vec::new()
}
