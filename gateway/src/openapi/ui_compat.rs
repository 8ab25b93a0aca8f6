//! The operations of what the admin web UIs need beyond the admin API (`routes::ui_compat`).

use super::builder::{Op, Schemas};

/// Every operation of the area, in the area's route order.
pub(super) fn operations(_schemas: &mut Schemas) -> Vec<Op> {
    Vec::new()
}
