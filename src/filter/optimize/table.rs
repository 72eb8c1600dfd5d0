//! The optimizer's hash table: from a 64-bit hash to the index of an entry
//! (a value, a block) that the caller stores and compares itself.
//!
//! The optimizer looks things up many times per compile in tables of a few
//! dozen entries, and clears them for every compile (or round): open
//! addressing with linear probing, the hash kept in the slot (growing
//! rehashes nothing), and slots stamped with a generation, so that clearing
//! is one increment instead of a write to every slot.

#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u64,
    index: u32,
    /// Empty unless it is the table's generation.
    generation: u32,
}

pub(super) struct Table {
    slots: Vec<Slot>,
    generation: u32,
    len: usize,
}

/// Slots to start with (and to go back to after a huge compile).
const INITIAL_SLOTS: usize = 64;
const MAX_KEPT_SLOTS: usize = 1 << 14;

impl Default for Table {
    fn default() -> Self {
        Table { slots: vec![Slot::default(); INITIAL_SLOTS], generation: 1, len: 0 }
    }
}

/// A 64-bit mix of two words (FxHash's multiply, with the high half folded
/// down since the slot is taken from the low bits).
pub(super) fn mix(a: u64, b: u64) -> u64 {
    let h = (a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b).wrapping_mul(0x517c_c1b7_2722_0a95);
    h ^ (h >> 29)
}

impl Table {
    pub(super) fn clear(&mut self) {
        self.len = 0;
        if self.slots.len() > MAX_KEPT_SLOTS {
            *self = Table::default();
            return;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.fill(Slot::default());
            self.generation = 1;
        }
    }

    /// The entry entered with `hash` that `same` accepts; else enters
    /// `fresh` and returns None.
    #[inline]
    pub(super) fn find_or_insert(&mut self, hash: u64, mut same: impl FnMut(u32) -> bool, fresh: u32) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let s = self.slots[i];
            if s.generation != self.generation {
                break;
            }
            if s.hash == hash && same(s.index) {
                return Some(s.index);
            }
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { hash, index: fresh, generation: self.generation };
        self.len += 1;
        // At most half full, so that probes stay short.
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        None
    }

    fn grow(&mut self) {
        let bigger = vec![Slot::default(); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.generation == self.generation) {
            let mut i = s.hash as usize & mask;
            while self.slots[i].generation == self.generation {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }
}
