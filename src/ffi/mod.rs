//! The C boundary: a thin shell over the safe core.
//!
//! Every export runs inside [`boundary`], which catches panics and records the
//! error text; handles are looked up in a [`registry`] so that NULL, closed
//! and foreign pointers are answered with an error instead of undefined
//! behaviour.

pub mod boundary;
pub mod filter;
pub mod registry;
pub mod result;
