//! End-to-end tests of room deletion and purge.
