//! The routes of room deletion and purge.

use super::Route;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    Vec::new()
}
