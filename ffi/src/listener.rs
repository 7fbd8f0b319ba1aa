//! The `AppListener` the shells implement, adapted to core's listener.
//!
//! The foreign method returns a `Result` so that an exception thrown by Kotlin or Swift code in the
//! callback comes back as [`ListenerError`] (through `From<UnexpectedUniFFICallbackError>`) instead
//! of a panic on the runtime thread that delivered the event.

use std::sync::Arc;

use connect_core::app::AppEvent;

/// A listener callback failed.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ListenerError {
    /// The shell's callback threw; the event is dropped and the app carries on.
    #[error("the app listener failed: {reason}")]
    Failed {
        /// The exception's message.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Failed {
            reason: error.reason,
        }
    }
}

/// Receives the app's events (sync progress, readings accepted or rejected, session expired).
/// Called on the app's background threads: hand the event to the UI thread, and never call the
/// app's blocking methods from here.
#[uniffi::export(with_foreign)]
pub trait AppListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: AppEvent) -> Result<(), ListenerError>;
}

/// Core's listener, delivering to the shell's.
pub(crate) struct ForeignListener(pub(crate) Arc<dyn AppListener>);

impl connect_core::app::AppListener for ForeignListener {
    fn on_event(&self, event: AppEvent) {
        if let Err(error) = self.0.on_event(event) {
            tracing::warn!(%error, "dropped an event the shell's listener failed on");
        }
    }
}
