//! What a suspended account may not do (`docs/http-api.md` §9, "What suspension does").
//!
//! Suspension (MSC3823, as Synapse applies it) leaves a user logged in and able to read,
//! leave rooms and log out, and refuses each action that would change what others see.
//! The flag comes with the cached identity, so the check costs no call; a handler of a
//! refused action calls [`AuthedUser::refuse_if_suspended`] right after authentication,
//! before its path and body checks, naming the action so the text is Synapse's.

use matrix_status::{MatrixError, errcode};

use super::AuthedUser;
use crate::error::ApiError;

/// An action a suspended user is refused. Each carries the text Synapse answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspendable {
    /// Sending an event (`/send`); creating a room counts as one, as in Synapse, whose
    /// room creation sends events on the creator's behalf.
    SendEvent,
    /// Joining a room.
    Join,
    /// Inviting someone.
    Invite,
}

impl Suspendable {
    /// Synapse's words for the refusal (`synapse/handlers/message.py`,
    /// `synapse/handlers/room_member.py`).
    fn refusal(self) -> &'static str {
        match self {
            Self::SendEvent => "Sending messages while account is suspended is not allowed.",
            Self::Join => "Joining rooms while account is suspended is not allowed.",
            Self::Invite => "Sending invites while account is suspended is not allowed.",
        }
    }
}

/// `403 M_USER_SUSPENDED` with the action's text.
pub fn user_suspended(action: Suspendable) -> ApiError {
    MatrixError::new(403, errcode::USER_SUSPENDED, action.refusal()).into()
}

impl AuthedUser {
    /// `403 M_USER_SUSPENDED` when the caller is suspended; the one check every refused
    /// action shares.
    pub fn refuse_if_suspended(&self, action: Suspendable) -> Result<(), ApiError> {
        if self.suspended {
            Err(user_suspended(action))
        } else {
            Ok(())
        }
    }
}
