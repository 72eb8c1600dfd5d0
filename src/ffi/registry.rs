//! Handle tables. C never holds a Rust pointer: a handle is an opaque token
//! that is looked up here on every call, so a NULL, closed or foreign handle
//! is reported as an error rather than dereferenced. Tokens are never reused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, ErrorCode, Result};

/// Shared by every registry, so a token of one handle type is never valid
/// as another. Steps of 16 keep tokens looking like aligned pointers.
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(0x1000);

pub struct Registry<T> {
    kind: &'static str,
    live: Mutex<BTreeMap<usize, Arc<T>>>,
}

impl<T> Registry<T> {
    pub const fn new(kind: &'static str) -> Self {
        Registry { kind, live: Mutex::new(BTreeMap::new()) }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<usize, Arc<T>>> {
        // A panic while the map is locked cannot leave it inconsistent
        // (inserts and removes are single calls), so poisoning is ignored.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `value` and returns its token as an opaque pointer.
    pub fn insert<P>(&self, value: T) -> *mut P {
        self.insert_with_token(self.next_token(), value)
    }

    /// A fresh token, for values that must know their own token.
    pub fn next_token(&self) -> usize {
        NEXT_TOKEN.fetch_add(16, Ordering::Relaxed)
    }

    /// Registers `value` under a token from `next_token`.
    pub fn insert_with_token<P>(&self, token: usize, value: T) -> *mut P {
        self.table().insert(token, Arc::new(value));
        token as *mut P
    }

    /// The live handle behind `ptr`.
    pub fn get<P>(&self, ptr: *const P) -> Result<Arc<T>> {
        if ptr.is_null() {
            return Err(Error::new(ErrorCode::NullParameter, format!("{} handle is NULL", self.kind)));
        }
        self.table().get(&(ptr as usize)).cloned().ok_or_else(|| self.not_live())
    }

    /// Unregisters `ptr`; later calls with it fail with InvalidHandle.
    pub fn remove<P>(&self, ptr: *const P) -> Option<Arc<T>> {
        self.table().remove(&(ptr as usize))
    }

    fn not_live(&self) -> Error {
        Error::new(ErrorCode::InvalidHandle, format!("{} handle is closed or was never returned by ringcap", self.kind))
    }
}
