//! Network- and transport-layer primitives, one file per family, all
//! written against the offsets the link layer (`link`) leaves.

mod decnet;
mod ip;
mod iso;
mod transport;
mod tunnel;
