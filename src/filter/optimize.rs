//! Block-graph optimizer (placeholder: filled in below).

use super::ir::{Graph, Next};
use crate::error::Result;

pub fn optimize(_g: &mut Graph, root: Next) -> Result<Next> {
    Ok(root)
}
