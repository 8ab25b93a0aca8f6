//! Authentication: the access token from the request, the checks of `docs/http-api.md` in
//! their pinned order, a short-lived token cache kept coherent over the replica bus, and the
//! extractors handlers use ([`AuthedUser`], [`AdminUser`]).

pub mod cache;
pub mod extract;
pub mod revocation;
pub mod suspension;
pub mod token;

pub use cache::{Identity, TokenCache};
pub use extract::{AdminUser, AuthedUser, Authenticator};
pub use suspension::Suspendable;
