//! The hold-back rule, in one place for both verifiers: checked bytes go on as they come,
//! except the body's last byte, which is released only once the whole body has verified.
//! A store sent the body's exact length therefore never receives a complete body that
//! failed.

use bytes::Bytes;

#[derive(Debug)]
pub(super) struct HoldBack {
    /// The body's length: the last byte is the one at `total - 1`.
    total: u64,
    passed: u64,
    released: u64,
    held: Option<Bytes>,
}

impl HoldBack {
    pub(super) fn new(total: u64) -> Self {
        Self { total, passed: 0, released: 0, held: None }
    }

    /// Bytes still to come before the declared end.
    pub(super) fn room(&self) -> u64 {
        self.total.saturating_sub(self.passed)
    }

    pub(super) fn passed(&self) -> u64 {
        self.passed
    }

    pub(super) fn released(&self) -> u64 {
        self.released
    }

    /// `piece`, checked so far, goes on, minus the body's last byte if it is in it.
    pub(super) fn pass(&mut self, mut piece: Bytes) -> Option<Bytes> {
        self.passed += piece.len() as u64;
        if self.passed == self.total && !piece.is_empty() {
            self.held = Some(piece.split_off(piece.len().saturating_sub(1)));
        }
        if piece.is_empty() {
            return None;
        }
        self.released += piece.len() as u64;
        Some(piece)
    }

    /// Everything verified: the last byte may go.
    pub(super) fn release_last(&mut self) -> Option<Bytes> {
        let last = self.held.take();
        if let Some(b) = &last {
            self.released += b.len() as u64;
        }
        last
    }
}
