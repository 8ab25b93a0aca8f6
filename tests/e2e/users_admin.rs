//! End-to-end tests of Synapse users administration.
