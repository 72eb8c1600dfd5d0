//! Breakers reachable without locks, so that ringcap_capture_breakloop is
//! async-signal-safe: a signal handler may interrupt a thread that holds
//! the registry's mutex, so breakloop must not take it.
//!
//! Each slot keeps its eventfd for the life of the process and is reused by
//! later handles; a stale token simply fails to match.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::registry::Registry;
use crate::wait::Breaker;

const SLOTS: usize = 1024;
/// Marks a slot taken by an open that has no token yet.
const CLAIMED: usize = 1;

struct Slot {
    token: AtomicUsize,
    breaker: OnceLock<Arc<Breaker>>,
}

static TABLE: [Slot; SLOTS] = [const { Slot { token: AtomicUsize::new(0), breaker: OnceLock::new() } }; SLOTS];

/// A claimed slot; `publish` attaches the handle's token to it.
pub struct Claim(usize);

impl Claim {
    /// Claims a free slot and returns it with its (cleared) breaker.
    pub fn new() -> Result<(Claim, Arc<Breaker>)> {
        for (i, slot) in TABLE.iter().enumerate() {
            if slot.token.compare_exchange(0, CLAIMED, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                let breaker = match slot.breaker.get() {
                    Some(b) => b.clone(),
                    None => match Breaker::new() {
                        Ok(b) => slot.breaker.get_or_init(|| Arc::new(b)).clone(),
                        Err(e) => {
                            slot.token.store(0, Ordering::Release);
                            return Err(e);
                        }
                    },
                };
                breaker.clear();
                return Ok((Claim(i), breaker));
            }
        }
        Err(Error::new(
            ErrorCode::TooManyHandles,
            format!("more than {SLOTS} capture handles are open; close some first"),
        ))
    }

    pub fn publish(self, token: usize) {
        TABLE[self.0].token.store(token, Ordering::Release);
        std::mem::forget(self);
    }
}

impl Drop for Claim {
    /// An open that failed gives its slot back.
    fn drop(&mut self) {
        TABLE[self.0].token.store(0, Ordering::Release);
    }
}

/// Registers a handle whose breaker must be reachable lock-free: claims a
/// breaker slot, builds the value with that breaker and the handle's token,
/// and publishes the slot once the handle is registered. `build` may also
/// return something for the caller. A failed build gives the slot back.
pub fn register<T, P, R>(
    registry: &Registry<T>,
    build: impl FnOnce(Arc<Breaker>, usize) -> Result<(T, R)>,
) -> Result<(*mut P, R)> {
    let (claim, breaker) = Claim::new()?;
    let token = registry.next_token();
    let (value, extra) = build(breaker, token)?;
    let ptr = registry.insert_with_token(token, value);
    claim.publish(token);
    Ok((ptr, extra))
}

/// Requests a break on the handle with `token`; false if it is not open.
/// Lock-free and allocation-free.
pub fn request(token: usize) -> bool {
    for slot in TABLE.iter() {
        if slot.token.load(Ordering::Acquire) == token {
            if let Some(b) = slot.breaker.get() {
                b.request();
                return true;
            }
        }
    }
    false
}

/// Frees the slot of a closed handle.
pub fn release(token: usize) {
    for slot in TABLE.iter() {
        if slot.token.compare_exchange(token, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return;
        }
    }
}
