//! The operations of room deletion and purge (`routes::room_deletion`).

use super::builder::{Op, Schemas};

/// Every operation of the area, in the area's route order.
pub(super) fn operations(_schemas: &mut Schemas) -> Vec<Op> {
    Vec::new()
}
