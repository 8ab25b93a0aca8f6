//! End-to-end tests of Synapse rooms administration.
