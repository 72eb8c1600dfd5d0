//! PFLOG header fields: the interface (`on`/`ifname`) and ruleset
//! (`rset`/`ruleset`) names, rule and subrule numbers (`rnr`, `srnr`),
//! `reason` and `action` (by pf's names or number), at the offsets of
//! libpcap's struct pfloghdr. As in libpcap, a name is compared over its
//! own length only (no terminating NUL), so `on eth` also matches eth0;
//! a reason number is not range-checked.

use super::super::ast::PfField;
use super::super::codegen::*;
use super::super::insn::*;
use super::super::ir::Cond;
use crate::error::Result;

const PF_ACTION: u32 = 2;
const PF_REASON: u32 = 3;
const PF_IFNAME: u32 = 4;
const PF_RULESET: u32 = 20;
const PF_RULENR: u32 = 36;
const PF_SUBRULENR: u32 = 40;
/// IFNAMSIZ and PF_RULESET_NAME_SIZE, terminating NUL included.
const PF_NAME_SIZE: usize = 16;

impl Gen {
    pub(in crate::filter) fn pf_field(&self, f: &PfField) -> Result<Cond> {
        let what = match f {
            PfField::Ifname(_) => "ifname",
            PfField::Ruleset(_) => "ruleset",
            PfField::Rnr(_) => "rnr",
            PfField::Srnr(_) => "srnr",
            PfField::Reason(_) => "reason",
            PfField::Action(_) => "action",
        };
        if self.dlt != DLT_PFLOG {
            return Err(err(format!("{what} supported only on PF linktype")));
        }
        match f {
            PfField::Ifname(name) if name.len() >= PF_NAME_SIZE => {
                Err(err(format!("ifname interface names can only be {} characters", PF_NAME_SIZE - 1)))
            }
            PfField::Ruleset(name) if name.len() >= PF_NAME_SIZE => {
                Err(err(format!("ruleset names can only be {} characters", PF_NAME_SIZE - 1)))
            }
            PfField::Ifname(name) => self.bcmp(Rel::LinkHdr, PF_IFNAME, name.as_bytes()),
            PfField::Ruleset(name) => self.bcmp(Rel::LinkHdr, PF_RULESET, name.as_bytes()),
            PfField::Rnr(n) => self.cmp(Rel::LinkHdr, PF_RULENR, W, *n),
            PfField::Srnr(n) => self.cmp(Rel::LinkHdr, PF_SUBRULENR, W, *n),
            PfField::Reason(n) => self.cmp(Rel::LinkHdr, PF_REASON, B, *n),
            PfField::Action(n) => self.cmp(Rel::LinkHdr, PF_ACTION, B, *n),
        }
    }
}
