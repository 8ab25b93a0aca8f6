//! The routes of what the admin web UIs need beyond the admin API.

use super::Route;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    Vec::new()
}
