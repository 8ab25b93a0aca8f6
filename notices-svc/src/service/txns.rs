//! Transaction replay for PUT: the first request with a key executes, repeats get its
//! response, and a concurrent repeat waits for the first to finish.

use bailiff_domain::now_ms;

use super::wait::{is_stale, new_token, stale_before, wait_for};
use super::{Notice, NoticesService};
use crate::error::Result;
use crate::store::{TxnClaim, TxnKey, TxnResponse, TxnState};

impl NoticesService {
    /// Claims `key`, delivers the notice and records the response; or returns the first
    /// request's response.
    pub(super) async fn send_once(&self, key: &TxnKey, notice: &Notice) -> Result<TxnResponse> {
        let token = new_token();
        let store = &self.inner.store;
        let claimed = wait_for(|| async {
            let now = now_ms();
            Ok(
                match store.claim_txn(key, &token, now, stale_before(now)).await? {
                    TxnClaim::Done(response) => Some(Some(response)),
                    TxnClaim::Claimed => Some(None),
                    TxnClaim::Busy => None,
                },
            )
        })
        .await?;
        if let Some(first) = claimed {
            return Ok(first);
        }
        match self.deliver(notice).await {
            Ok(response) => {
                match store.complete_txn(key, &token, &response).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("transaction claim was taken over before completion");
                    }
                    // The notice is out; report it rather than invite a resend.
                    Err(error) => tracing::warn!(%error, "could not record the transaction"),
                }
                Ok(response)
            }
            Err(error) => {
                if let Err(release) = store.release_txn(key, &token).await {
                    tracing::warn!(error = %release, "could not release a failed transaction");
                }
                Err(error)
            }
        }
    }

    /// The stored response of a transaction; waits while it is in flight.
    pub(crate) async fn get_transaction(&self, key: &TxnKey) -> Result<Option<TxnResponse>> {
        let store = &self.inner.store;
        wait_for(|| async {
            Ok(match store.txn_state(key).await? {
                TxnState::Absent => Some(None),
                TxnState::Done(response) => Some(Some(response)),
                TxnState::Pending { claimed_ts } if is_stale(claimed_ts) => Some(None),
                TxnState::Pending { .. } => None,
            })
        })
        .await
    }
}
