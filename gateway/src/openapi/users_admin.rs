//! The operations of Synapse users administration (`routes::users_admin`).

use super::builder::{Op, Schemas};

/// Every operation of the area, in the area's route order.
pub(super) fn operations(_schemas: &mut Schemas) -> Vec<Op> {
    Vec::new()
}
