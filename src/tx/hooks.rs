//! Test-only control of what TX writes into frame headers, so that the
//! kernel's rejection path can be driven from a test. Built only with the
//! `test-hooks` cargo feature; without it the hooks are empty and commit
//! writes the headers the kernel expects.

/// The next commit's tp_next_offset, and the frame it went into.
#[cfg(feature = "test-hooks")]
#[derive(Debug, Default)]
pub(super) struct Hooks {
    next_offset: u32,
    frame: Option<u32>,
}

#[cfg(feature = "test-hooks")]
impl Hooks {
    pub fn new() -> Hooks {
        Hooks::default()
    }

    pub fn set_next_offset(&mut self, value: u32) {
        self.next_offset = value;
    }

    /// tp_next_offset for frame `i` being committed (0 unless a hook set one).
    pub fn take_next_offset(&mut self, i: u32) -> u32 {
        let value = std::mem::take(&mut self.next_offset);
        if value != 0 {
            self.frame = Some(i);
        } else if self.frame == Some(i) {
            self.frame = None;
        }
        value
    }

    /// Whether frame `i` went out with a hooked tp_next_offset.
    pub fn marked(&self, i: u32) -> bool {
        self.frame == Some(i)
    }

    /// The ring was rebuilt: no frame carries a hooked header any more.
    pub fn forget_frames(&mut self) {
        self.frame = None;
    }
}

/// Without the feature: no state, every header as the kernel expects.
#[cfg(not(feature = "test-hooks"))]
#[derive(Debug)]
pub(super) struct Hooks;

#[cfg(not(feature = "test-hooks"))]
impl Hooks {
    pub fn new() -> Hooks {
        Hooks
    }

    pub fn take_next_offset(&mut self, _i: u32) -> u32 {
        0
    }

    pub fn marked(&self, _i: u32) -> bool {
        false
    }

    pub fn forget_frames(&mut self) {}
}
