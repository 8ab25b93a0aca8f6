//! End-to-end tests of what the admin web UIs need beyond the admin API.
