//! Network- and transport-layer primitives, one file per family, all
//! written against the offsets the link layer (`link`) leaves.

mod ip;
mod transport;
mod tunnel;
