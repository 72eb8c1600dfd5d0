//! The one handle table behind every opaque pointer of both C APIs
//! (`ringcap_*` and `pcap_*`).
//!
//! C never holds a Rust pointer. A handle is a token that encodes a slot
//! index, the slot's generation and the handle's kind, with a tag in the
//! top bits that no user-space address has on Linux, so a foreign pointer
//! can never be taken for a handle. A lookup is an index and a compare:
//! no lock, no allocation, safe in a signal handler (pcap_breakloop,
//! pcap_stats from SIGUSR1).
//!
//! Slots live in segments that are allocated as the table grows and are
//! never freed, so a slot (and the error text it carries) stays readable
//! after its handle closes: pcap_geterr() on a just-closed pcap_t gives
//! the last text, as libpcap happens to.
//!
//! Lifetime of the object in a slot: `users` counts the owner (the open
//! handle) plus every call in progress. Closing flips the slot from LIVE to
//! CLOSING, so no new call gets in, and drops the owner's count; whoever
//! brings the count to zero (the closer, or the last call still running,
//! such as a loop broken by the close) drops the object and frees the slot.

use std::any::{Any, TypeId};
use std::cell::UnsafeCell;
use std::ffi::c_char;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, ErrorCode, Result};

#[cfg(not(target_pointer_width = "64"))]
compile_error!("ringcap's handle encoding assumes 64-bit pointers");

/// Top 16 bits of every token: user-space addresses on Linux have them clear.
const TAG: u64 = 0x52c4 << 48;
const TAG_MASK: u64 = 0xffff << 48;
const KIND_BITS: u32 = 4;
const INDEX_BITS: u32 = 24;
const GEN_BITS: u32 = 20;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
/// Slots the table can grow to (16 M): far beyond what file descriptors allow.
const MAX_SLOTS: usize = 1 << INDEX_BITS;
/// Segment k holds FIRST_SEGMENT << k slots.
const FIRST_SEGMENT: usize = 64;
const SEGMENTS: usize = 19;

const FREE: u64 = 0;
const LIVE: u64 = 1;
const CLOSING: u64 = 2;

/// Bytes of error text a slot keeps (libpcap's PCAP_ERRBUF_SIZE is 256).
pub const ERRBUF_SIZE: usize = 512;

/// The kinds of handle; a token of one kind is foreign to every other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HandleKind {
    Config = 1,
    Capture = 2,
    TxConfig = 3,
    Tx = 4,
    Filter = 5,
    Pcap = 6,
    PcapDumper = 7,
    Dumper = 8,
}

/// A handle's last error text, in the slot so that the pointer handed to
/// C stays valid for as long as the process lives. Bytes are atomics:
/// two threads failing on one handle at once garble the text, never memory.
pub struct LastError([AtomicU8; ERRBUF_SIZE]);

impl LastError {
    const fn new() -> LastError {
        LastError([const { AtomicU8::new(0) }; ERRBUF_SIZE])
    }

    /// Stores `text`, truncated to fit with its NUL (at a character boundary).
    pub fn set_text(&self, text: &str) {
        let mut n = text.len().min(ERRBUF_SIZE - 1);
        while !text.is_char_boundary(n) {
            n -= 1;
        }
        for (cell, b) in self.0.iter().zip(text.as_bytes()[..n].iter()) {
            cell.store(if *b == 0 { b' ' } else { *b }, Ordering::Relaxed);
        }
        self.0[n].store(0, Ordering::Release);
    }

    pub fn set(&self, e: &Error) {
        self.set_text(e.message());
    }

    pub fn clear(&self) {
        self.0[0].store(0, Ordering::Release);
    }

    pub fn text(&self) -> String {
        let bytes: Vec<u8> = self.0.iter().map(|c| c.load(Ordering::Acquire)).take_while(|b| *b != 0).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

/// The fields every lookup reads come first, in one cache line.
#[repr(C)]
struct Slot {
    /// generation << 8 | kind << 2 | state.
    word: AtomicU64,
    users: AtomicUsize,
    /// Written only while the slot is FREE and claimed by `insert`, read
    /// only by holders of a `users` count on a LIVE slot, taken only by
    /// whoever frees the slot.
    /// The object's type is kept beside it: checking it is then a compare
    /// with a constant, not a virtual call per lookup.
    object: UnsafeCell<Option<(TypeId, Box<dyn Any + Send + Sync>)>>,
    last_error: LastError,
}

// SAFETY: `object` is accessed under the protocol described on the field;
// everything else is atomic.
unsafe impl Sync for Slot {}

impl Slot {
    const fn new() -> Slot {
        Slot {
            word: AtomicU64::new(FREE),
            users: AtomicUsize::new(0),
            object: UnsafeCell::new(None),
            last_error: LastError::new(),
        }
    }
}

fn word(generation: u64, kind: HandleKind, state: u64) -> u64 {
    (generation & GEN_MASK) << 8 | (kind as u64) << 2 | state
}

fn generation_of(word: u64) -> u64 {
    word >> 8
}

static SEGMENT_TABLE: [AtomicPtr<Slot>; SEGMENTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; SEGMENTS];

/// Indices ready for reuse, oldest first, and the next never-used index.
/// Only opening and freeing take this lock, never a lookup.
struct Allocator {
    free: std::collections::VecDeque<usize>,
    next: usize,
}

static ALLOCATOR: Mutex<Allocator> = Mutex::new(Allocator { free: std::collections::VecDeque::new(), next: 0 });

fn allocator() -> std::sync::MutexGuard<'static, Allocator> {
    // Pushes and pops are single calls: a panic cannot leave it inconsistent.
    ALLOCATOR.lock().unwrap_or_else(|p| p.into_inner())
}

/// Segment and offset of slot `index`.
fn locate(index: usize) -> (usize, usize) {
    let k = (usize::BITS - 1 - (index / FIRST_SEGMENT + 1).leading_zeros()) as usize;
    (k, index - FIRST_SEGMENT * ((1 << k) - 1))
}

fn slot(index: usize) -> Option<&'static Slot> {
    if index >= MAX_SLOTS {
        return None;
    }
    let (k, offset) = locate(index);
    let base = SEGMENT_TABLE.get(k)?.load(Ordering::Acquire);
    if base.is_null() {
        return None;
    }
    // SAFETY: segment k holds FIRST_SEGMENT << k slots, is never freed, and
    // offset < FIRST_SEGMENT << k by construction of `locate`.
    Some(unsafe { &*base.add(offset) })
}

/// The slot for a fresh index, allocating its segment on first use.
/// Called with the allocator lock held, so segments are created once.
fn slot_for_new(index: usize) -> &'static Slot {
    let (k, _) = locate(index);
    if SEGMENT_TABLE[k].load(Ordering::Acquire).is_null() {
        let segment: Box<[Slot]> = (0..FIRST_SEGMENT << k).map(|_| Slot::new()).collect();
        SEGMENT_TABLE[k].store(Box::leak(segment).as_mut_ptr(), Ordering::Release);
    }
    slot(index).expect("segment was just created")
}

fn decode(token: usize, kind: HandleKind) -> Option<(usize, u64)> {
    let t = token as u64;
    if t & TAG_MASK != TAG || (t & ((1 << KIND_BITS) - 1)) != kind as u64 {
        return None;
    }
    let index = ((t >> KIND_BITS) & ((1 << INDEX_BITS) - 1)) as usize;
    let generation = (t >> (KIND_BITS + INDEX_BITS)) & GEN_MASK;
    Some((index, generation))
}

fn encode(index: usize, generation: u64, kind: HandleKind) -> usize {
    (TAG | (generation & GEN_MASK) << (KIND_BITS + INDEX_BITS) | (index as u64) << KIND_BITS | kind as u64) as usize
}

/// How a call holds its count on a slot.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Count {
    /// An atomic add and subtract: any thread may close the handle meanwhile.
    Atomic,
    /// A plain load and store, for a call that runs no user code while the
    /// process has one thread: then only a signal handler on this thread can
    /// interleave, and it runs to completion in between. Each step is
    /// followed by a re-check of the slot word, so a close by such a handler
    /// at any point still frees the object exactly once and never under the
    /// call (see `acquire` and `release`).
    Plain,
}

/// Takes one count on `slot`; the caller then checks the slot is still live.
fn acquire(slot: &Slot, count: Count) {
    match count {
        Count::Atomic => {
            slot.users.fetch_add(1, Ordering::AcqRel);
        }
        Count::Plain => {
            // A handler that closes the handle between the load and the
            // store frees it (the count was 0 to it); the caller's live
            // check after the store then fails, and its release is harmless.
            let n = slot.users.load(Ordering::Relaxed);
            slot.users.store(n + 1, Ordering::Relaxed);
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
        }
    }
}

/// Drops one count on `slot`; the last one out of a closing slot frees it.
fn release(slot: &'static Slot, index: usize) {
    release_as(slot, index, Count::Atomic)
}

#[inline(always)]
fn release_as(slot: &'static Slot, index: usize, count: Count) {
    let last = match count {
        Count::Atomic => slot.users.fetch_sub(1, Ordering::AcqRel) == 1,
        Count::Plain => {
            // A handler closing it between the load and the store sees our
            // count and leaves the free to the check below; one closing it
            // after the store frees it itself, and the exchange below fails.
            let n = slot.users.load(Ordering::Relaxed);
            slot.users.store(n - 1, Ordering::Relaxed);
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
            n == 1
        }
    };
    if last {
        free_if_closing(slot, index);
    }
}

/// The end of `release_as` for the last count out: frees a closing slot.
/// Apart, so that the per-call part stays inline in its callers.
#[cold]
#[inline(never)]
fn free_if_closing(slot: &'static Slot, index: usize) {
    let w = slot.word.load(Ordering::Acquire);
    if w & 3 != CLOSING {
        return;
    }
    let freed = (generation_of(w) + 1) << 8 | FREE;
    if slot.word.compare_exchange(w, freed, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        // SAFETY: the slot is FREE and no count is held: nobody else may
        // touch the object now (see `Slot::object`).
        let object = unsafe { (*slot.object.get()).take() };
        drop(object);
        allocator().free.push_back(index);
    }
}

/// A typed view of the table for one handle kind.
pub struct Handles<T> {
    kind: HandleKind,
    name: &'static str,
    _t: PhantomData<fn() -> T>,
}

/// A live handle's object, held for the duration of one call.
pub struct Guard<T: 'static> {
    slot: &'static Slot,
    index: usize,
    object: &'static T,
    count: Count,
}

impl<T> Deref for Guard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.object
    }
}

impl<T> Guard<T> {
    /// The handle's error text.
    pub fn last_error(&self) -> &'static LastError {
        &self.slot.last_error
    }
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        release_as(self.slot, self.index, self.count);
    }
}

impl<T: Send + Sync + 'static> Handles<T> {
    pub const fn new(kind: HandleKind, name: &'static str) -> Self {
        Handles { kind, name, _t: PhantomData }
    }

    /// Stores `value` and returns its handle.
    pub fn insert<P>(&self, value: T) -> Result<*mut P> {
        let (index, slot) = {
            let mut a = allocator();
            let index = match a.free.pop_front() {
                Some(i) => i,
                None if a.next < MAX_SLOTS => {
                    a.next += 1;
                    a.next - 1
                }
                None => {
                    return Err(Error::new(
                        ErrorCode::TooManyHandles,
                        format!("{} handles are open; close some first", MAX_SLOTS),
                    ))
                }
            };
            (index, slot_for_new(index))
        };
        let generation = generation_of(slot.word.load(Ordering::Acquire));
        slot.users.fetch_add(1, Ordering::AcqRel);
        slot.last_error.clear();
        // SAFETY: the slot is FREE and was just taken off the free list:
        // nobody reads or writes the object until it is published as LIVE.
        unsafe { *slot.object.get() = Some((TypeId::of::<T>(), Box::new(value))) };
        slot.word.store(word(generation, self.kind, LIVE), Ordering::Release);
        Ok(encode(index, generation, self.kind) as *mut P)
    }

    fn slot_of<P>(&self, ptr: *const P) -> Option<(usize, u64, &'static Slot)> {
        let (index, generation) = decode(ptr as usize, self.kind)?;
        Some((index, generation, slot(index)?))
    }

    /// The live object behind `ptr`.
    pub fn get<P>(&self, ptr: *const P) -> Result<Guard<T>> {
        self.lookup(ptr, Count::Atomic)
    }

    /// The same, for a call that runs no user code (no callback, nothing
    /// that may start a thread) while it holds the guard: while the process
    /// has one thread, the count is taken without atomic operations, which
    /// are most of a per-packet call's cost (pcap_dump).
    #[inline]
    pub fn get_brief<P>(&self, ptr: *const P) -> Result<Guard<T>> {
        self.lookup(ptr, if crate::sys::single_threaded() { Count::Plain } else { Count::Atomic })
    }

    #[inline]
    fn lookup<P>(&self, ptr: *const P, count: Count) -> Result<Guard<T>> {
        if ptr.is_null() {
            return Err(Error::new(ErrorCode::NullParameter, format!("{} handle is NULL", self.name)));
        }
        let (index, generation, slot) = self.slot_of(ptr).ok_or_else(|| self.not_live())?;
        acquire(slot, count);
        if slot.word.load(Ordering::Acquire) != word(generation, self.kind, LIVE) {
            release_as(slot, index, count);
            return Err(self.not_live());
        }
        // SAFETY: the slot is LIVE with our generation and we hold a count,
        // so the object exists and is not freed until the count is dropped.
        let object = match unsafe { &*slot.object.get() } {
            // SAFETY: the stored type is T, so the box holds a T.
            Some((id, boxed)) if *id == TypeId::of::<T>() => {
                Some(unsafe { &*(&**boxed as *const dyn Any).cast::<T>() })
            }
            _ => None,
        };
        match object {
            Some(object) => Ok(Guard { slot, index, object, count }),
            None => {
                release_as(slot, index, count);
                Err(self.not_live())
            }
        }
    }

    /// Closes `ptr`: later lookups fail; the object is dropped once the
    /// calls still running on it return. False if it was not open.
    pub fn remove<P>(&self, ptr: *const P) -> bool {
        let Some((index, generation, slot)) = self.slot_of(ptr) else { return false };
        let live = word(generation, self.kind, LIVE);
        if slot
            .word
            .compare_exchange(live, word(generation, self.kind, CLOSING), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        release(slot, index);
        true
    }

    /// The error text of `ptr`'s slot, also after the handle was closed, as
    /// long as no newer handle took the slot.
    pub fn last_error_of<P>(&self, ptr: *const P) -> Option<&'static LastError> {
        let (_, generation, slot) = self.slot_of(ptr)?;
        let w = slot.word.load(Ordering::Acquire);
        let current = generation_of(w) & GEN_MASK == generation && (w >> 2) & 0x3f == self.kind as u64;
        let just_freed = w & 3 == FREE && generation_of(w) & GEN_MASK == (generation + 1) & GEN_MASK;
        (current || just_freed).then_some(&slot.last_error)
    }

    fn not_live(&self) -> Error {
        Error::new(ErrorCode::InvalidHandle, format!("{} handle is closed or was never returned by ringcap", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    struct Probe(Arc<AtomicBool>);
    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    static PROBES: Handles<Probe> = Handles::new(HandleKind::Filter, "probe");
    /// The table is global: tests that churn it run one at a time, so a
    /// closed slot is not reused behind another test's back.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|p| p.into_inner())
    }
    static OTHERS: Handles<u32> = Handles::new(HandleKind::Config, "other");

    #[test]
    fn locate_covers_every_segment_contiguously() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        let (k, off) = locate(MAX_SLOTS - 1);
        assert!(k < SEGMENTS && off < FIRST_SEGMENT << k);
    }

    #[test]
    fn stale_foreign_and_other_kind_handles_fail() {
        let _serial = serial();
        let dropped = Arc::new(AtomicBool::new(false));
        let h: *mut u8 = PROBES.insert(Probe(dropped.clone())).unwrap();
        assert!(PROBES.get(h).is_ok());
        assert_eq!(OTHERS.get(h).err().unwrap().code(), ErrorCode::InvalidHandle);
        let foreign = Box::into_raw(Box::new(0u64));
        assert_eq!(PROBES.get(foreign).err().unwrap().code(), ErrorCode::InvalidHandle);
        // SAFETY: made by Box::into_raw just above.
        drop(unsafe { Box::from_raw(foreign) });
        assert_eq!(PROBES.get(std::ptr::null::<u8>()).err().unwrap().code(), ErrorCode::NullParameter);
        PROBES.get(h).unwrap().last_error().set_text("kept after close");
        assert!(PROBES.remove(h));
        assert!(dropped.load(Ordering::SeqCst));
        assert!(!PROBES.remove(h));
        assert_eq!(PROBES.get(h).err().unwrap().code(), ErrorCode::InvalidHandle);
        assert_eq!(PROBES.last_error_of(h).unwrap().text(), "kept after close");
    }

    #[test]
    fn object_outlives_close_until_the_last_call_returns() {
        let _serial = serial();
        let dropped = Arc::new(AtomicBool::new(false));
        let h: *mut u8 = PROBES.insert(Probe(dropped.clone())).unwrap();
        let running = PROBES.get(h).unwrap();
        assert!(PROBES.remove(h));
        assert!(!dropped.load(Ordering::SeqCst));
        assert!(PROBES.get(h).is_err());
        drop(running);
        assert!(dropped.load(Ordering::SeqCst));
    }

    /// The plain count, as a signal handler on the same thread would meet
    /// it: a close while the brief call runs leaves the object to the call;
    /// a closed handle is refused without a second free.
    #[test]
    fn plain_counts_defer_a_close_to_the_running_call() {
        let _serial = serial();
        let dropped = Arc::new(AtomicBool::new(false));
        let h: *mut u8 = PROBES.insert(Probe(dropped.clone())).unwrap();
        let running = PROBES.lookup(h, Count::Plain).unwrap();
        let nested = PROBES.lookup(h, Count::Plain).unwrap();
        drop(nested);
        assert!(PROBES.remove(h));
        assert!(!dropped.load(Ordering::SeqCst));
        assert!(PROBES.lookup(h, Count::Plain).is_err());
        drop(running);
        assert!(dropped.load(Ordering::SeqCst));
        assert!(PROBES.lookup(h, Count::Plain).is_err());
        assert!(!PROBES.remove(h));
        // The slot is whole again: a new handle there works and closes.
        let again: *mut u8 = PROBES.insert(Probe(Arc::new(AtomicBool::new(false)))).unwrap();
        assert!(PROBES.get_brief(again).is_ok());
        assert!(PROBES.remove(again));
    }

    #[test]
    fn many_handles_and_reuse_change_the_token() {
        let _serial = serial();
        let hs: Vec<*mut u8> = (0..3000).map(|i| OTHERS.insert(i).unwrap()).collect();
        for (i, h) in hs.iter().enumerate() {
            assert_eq!(*OTHERS.get(*h).unwrap(), i as u32);
        }
        for h in &hs {
            assert!(OTHERS.remove(*h));
        }
        let again: *mut u8 = OTHERS.insert(7).unwrap();
        assert!(!hs.contains(&again));
        assert!(OTHERS.remove(again));
    }

    #[test]
    fn concurrent_lookups_and_closes_are_safe() {
        let _serial = serial();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for i in 0..2000u32 {
                        let h: *mut u8 = OTHERS.insert(i).unwrap();
                        let g = OTHERS.get(h).unwrap();
                        assert_eq!(*g, i);
                        assert!(OTHERS.remove(h));
                        assert_eq!(*g, i);
                        drop(g);
                        assert!(OTHERS.get(h).is_err());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
