//! PACKET_FANOUT: spreading one interface's packets over a group of sockets.
//!
//! The kernel only lets a *running* (bound, with a protocol) socket join,
//! and answers most mistakes with a bare EINVAL; `join` checks what it can
//! first and turns the rest into messages that say what to change.

use crate::error::{Error, ErrorCode, Result};
use crate::socket::PacketSocket;
use crate::sockfilter::{self, Insn};
use crate::sys;

/// How the kernel picks a group member for each packet (PACKET_FANOUT_*).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanoutMode {
    /// By flow hash: every packet of a flow goes to the same socket.
    Hash = 0,
    /// Round robin.
    Lb = 1,
    /// By the CPU the packet arrived on.
    Cpu = 2,
    /// To the first socket with room, starting from the last one used.
    Rollover = 3,
    /// Randomly.
    Rnd = 4,
    /// By the packet's recorded receive queue.
    Qm = 5,
    /// By a classic BPF program that returns the member index. Its packet
    /// offsets count from the network header (the kernel runs it before the
    /// link-layer header is pushed back), for SOCK_RAW and SOCK_DGRAM alike.
    Cbpf = 6,
    /// By an eBPF program (given as a file descriptor) that returns the
    /// member index; like CBPF it sees the packet from the network header.
    Ebpf = 7,
}

impl FanoutMode {
    pub fn from_u32(v: u32) -> Result<FanoutMode> {
        use FanoutMode::*;
        [Hash, Lb, Cpu, Rollover, Rnd, Qm, Cbpf, Ebpf].into_iter().find(|m| *m as u32 == v).ok_or_else(|| {
            Error::invalid(format!(
                "fanout mode {v} is unknown; valid: HASH 0, LB 1, CPU 2, ROLLOVER 3, RND 4, QM 5, CBPF 6, EBPF 7"
            ))
        })
    }
}

/// Flags ORed with the mode (PACKET_FANOUT_FLAG_*).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanoutFlag {
    /// When the chosen socket is full, try the others.
    Rollover = 0x1000,
    /// Let the kernel pick an unused group id (the id given must be 0);
    /// read it back with ringcap_capture_fanout_group().
    UniqueId = 0x2000,
    /// Do not fan out outgoing packets (kernel 4.20+).
    IgnoreOutgoing = 0x4000,
    /// Reassemble IP fragments before choosing, so fragments of one datagram stay together.
    Defrag = 0x8000,
}

const ALL_FLAGS: u32 = 0x1000 | 0x2000 | 0x4000 | 0x8000;

/// A fanout group to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fanout {
    /// Group id, unique per network namespace (0 with `UniqueId`).
    pub id: u16,
    pub mode: FanoutMode,
    /// FanoutFlag bits.
    pub flags: u32,
    /// Cbpf mode: the program choosing the member.
    pub program: Vec<Insn>,
    /// Ebpf mode: a BPF_PROG_TYPE_SOCKET_FILTER program fd (the kernel takes its own reference).
    pub ebpf_fd: i32,
    /// Maximum members (0: the kernel default, 256).
    pub max_members: u32,
}

/// A group a socket belongs to, as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub id: u16,
    pub mode: u32,
    pub flags: u32,
}

impl Fanout {
    /// Parses "MODE:ID[,FLAG…]" (RINGCAP_FANOUT's syntax): MODE is hash,
    /// lb, cpu, rollover, rnd or qm; ID 0 to 65535; FLAGs defrag,
    /// rollover, ignore_outgoing. Case-insensitive.
    pub fn parse(spec: &str) -> Result<Fanout> {
        let usage = || {
            Error::invalid(format!(
                "fanout '{spec}' is not MODE:ID[,FLAG...] with MODE hash, lb, cpu, rollover, rnd or qm, ID 0 to 65535, FLAG defrag, rollover or ignore_outgoing"
            ))
        };
        let mut parts = spec.trim().split(',');
        let (mode, id) = parts.next().and_then(|p| p.split_once(':')).ok_or_else(usage)?;
        let mode = match mode.trim().to_ascii_lowercase().as_str() {
            "hash" => FanoutMode::Hash,
            "lb" => FanoutMode::Lb,
            "cpu" => FanoutMode::Cpu,
            "rollover" => FanoutMode::Rollover,
            "rnd" | "random" => FanoutMode::Rnd,
            "qm" => FanoutMode::Qm,
            _ => return Err(usage()),
        };
        let id: u16 = id.trim().parse().map_err(|_| usage())?;
        let mut flags = 0;
        for flag in parts {
            flags |= match flag.trim().to_ascii_lowercase().as_str() {
                "defrag" => FanoutFlag::Defrag as u32,
                "rollover" => FanoutFlag::Rollover as u32,
                "ignore_outgoing" => FanoutFlag::IgnoreOutgoing as u32,
                _ => return Err(usage()),
            };
        }
        Ok(Fanout { id, mode, flags, program: Vec::new(), ebpf_fd: -1, max_members: 0 })
    }

    /// Checks what the kernel would refuse with a bare EINVAL.
    pub fn check(&self) -> Result<()> {
        if self.flags & !ALL_FLAGS != 0 {
            return Err(Error::invalid(format!(
                "fanout flags {:#x} include unknown bits {:#x}; valid: ROLLOVER 0x1000, UNIQUEID 0x2000, IGNORE_OUTGOING 0x4000, DEFRAG 0x8000",
                self.flags,
                self.flags & !ALL_FLAGS
            )));
        }
        if self.flags & FanoutFlag::UniqueId as u32 != 0 && self.id != 0 {
            return Err(Error::invalid(format!(
                "fanout group id {} given with the UNIQUEID flag; with UNIQUEID the id must be 0 (the kernel picks one)",
                self.id
            )));
        }
        if self.mode == FanoutMode::Rollover && self.flags & FanoutFlag::Rollover as u32 != 0 {
            return Err(Error::invalid(
                "fanout mode ROLLOVER already rolls over; the ROLLOVER flag is for the other modes",
            ));
        }
        match self.mode {
            FanoutMode::Cbpf => {
                if self.program.is_empty() {
                    return Err(Error::invalid(
                        "fanout mode CBPF needs a classic BPF program returning the member index",
                    ));
                }
                sockfilter::validate(&self.program)?;
            }
            FanoutMode::Ebpf => {
                if self.ebpf_fd < 0 {
                    return Err(Error::invalid(format!(
                        "fanout mode EBPF needs an eBPF program file descriptor (got {})",
                        self.ebpf_fd
                    )));
                }
                if !self.program.is_empty() {
                    return Err(Error::invalid("fanout mode EBPF takes a program fd, not a classic program"));
                }
            }
            _ if !self.program.is_empty() || self.ebpf_fd >= 0 => {
                return Err(Error::invalid(format!(
                    "a fanout program is only used by modes CBPF and EBPF, not {:?}",
                    self.mode
                )));
            }
            _ => {}
        }
        if self.max_members > u16::MAX as u32 {
            return Err(Error::invalid(format!(
                "fanout max members {} is out of range; valid: 0 to 65535",
                self.max_members
            )));
        }
        Ok(())
    }
}

/// The protocol a socket is bound to: 0 means not bound, so not running.
fn bound_protocol(socket: &PacketSocket) -> Result<u16> {
    Ok(u16::from_be(socket.bound_address()?.sll_protocol))
}

/// Joins `socket` to the group and returns the group id (the kernel's
/// choice with `UniqueId`). The socket must be bound.
pub fn join(socket: &PacketSocket, f: &Fanout) -> Result<u16> {
    f.check()?;
    if bound_protocol(socket)? == 0 {
        return Err(Error::new(
            ErrorCode::WrongState,
            "cannot join a fanout group before the socket is bound to an interface and protocol; join after bind (a ringcap capture handle is bound once open)",
        ));
    }
    if let Some(m) = group(socket)? {
        return Err(Error::new(
            ErrorCode::WrongState,
            format!(
                "the socket is already in fanout group {} (mode {}); a socket joins one group, once",
                m.id,
                FanoutMode::from_u32(m.mode).map(|x| format!("{x:?}")).unwrap_or_else(|_| m.mode.to_string())
            ),
        ));
    }
    let type_flags = (f.mode as u32 | f.flags) as u16;
    let r = if f.max_members == 0 {
        // The plain int form works on every kernel with fanout.
        let arg: u32 = u32::from(f.id) | (u32::from(type_flags) << 16);
        set_fanout(socket, &arg)
    } else {
        let arg = sys::fanout_args { id: f.id, type_flags, max_num_members: f.max_members };
        set_fanout(socket, &arg)
    };
    r.map_err(|e| join_error(e, f))?;
    let id = group(socket)?.map(|m| m.id).unwrap_or(f.id);
    match f.mode {
        FanoutMode::Cbpf => {
            let fprog = sys::sock_fprog {
                len: f.program.len() as u16,
                // The kernel copies the program; the pointer is only read.
                filter: f.program.as_ptr() as *mut sys::sock_filter,
            };
            socket.set_packet_option(sys::PACKET_FANOUT_DATA, &fprog, "setsockopt(PACKET_FANOUT_DATA, cBPF)").map_err(
                |e| Error::new(ErrorCode::FilterInvalid, format!("the kernel refused the fanout program: {e}")),
            )?;
        }
        FanoutMode::Ebpf => {
            socket.set_packet_option(sys::PACKET_FANOUT_DATA, &f.ebpf_fd, "setsockopt(PACKET_FANOUT_DATA, eBPF)").map_err(
                |e| {
                    Error::new(
                        ErrorCode::FilterInvalid,
                        format!("the kernel refused eBPF program fd {} for fanout (it must be a socket filter program): {e}", f.ebpf_fd),
                    )
                },
            )?;
        }
        _ => {}
    }
    Ok(id)
}

/// setsockopt(PACKET_FANOUT) keeping the raw errno: the kernel's codes
/// are what tells the mistakes apart.
fn set_fanout<T: Copy>(socket: &PacketSocket, arg: &T) -> std::result::Result<(), std::io::Error> {
    socket.set_option_os(sys::SOL_PACKET as i32, sys::PACKET_FANOUT, arg)
}

fn join_error(e: std::io::Error, f: &Fanout) -> Error {
    match e.raw_os_error() {
        Some(libc::EINVAL) => Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "fanout group {} already exists in this network namespace with a different mode, flags or max members, or on another interface or protocol; every member must join with the same (setsockopt(PACKET_FANOUT): {e})",
                f.id
            ),
        ),
        Some(libc::ENOSPC) => Error::new(
            ErrorCode::InvalidArgument,
            format!("fanout group {} is full: it has its maximum number of members ({e})", f.id),
        ),
        Some(libc::EALREADY) => {
            Error::new(ErrorCode::WrongState, format!("the socket is already in a fanout group ({e})"))
        }
        Some(libc::ENOMEM) if f.flags & FanoutFlag::UniqueId as u32 != 0 => {
            Error::new(ErrorCode::NoMemory, format!("the kernel has no unused fanout group id left ({e})"))
        }
        _ => Error::os("setsockopt(PACKET_FANOUT)", e),
    }
}

/// The group the socket is in, if any (getsockopt PACKET_FANOUT).
pub fn group(socket: &PacketSocket) -> Result<Option<Membership>> {
    let mut v: u32 = 0;
    socket.get_packet_option(sys::PACKET_FANOUT, &mut v, "getsockopt(PACKET_FANOUT)")?;
    // 0 means no group; id 0 with mode HASH and no flags is also 0, which
    // the kernel cannot tell apart either.
    Ok((v != 0).then_some(Membership { id: v as u16, mode: (v >> 16) & 0xff, flags: (v >> 16) & 0xff00 }))
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn specs() {
        let f = Fanout::parse("hash:42").unwrap();
        assert_eq!((f.mode, f.id, f.flags), (FanoutMode::Hash, 42, 0));
        let f = Fanout::parse("LB:7,defrag,rollover").unwrap();
        assert_eq!((f.mode, f.id, f.flags), (FanoutMode::Lb, 7, 0x8000 | 0x1000));
        for bad in ["", "hash", "hash:", "hash:70000", "foo:1", "lb:1,bogus"] {
            let e = Fanout::parse(bad).unwrap_err();
            assert!(e.message().contains("MODE:ID"), "{bad}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::SocketKind;

    fn fanout(mode: FanoutMode) -> Fanout {
        Fanout { id: 7, mode, flags: 0, program: vec![], ebpf_fd: -1, max_members: 0 }
    }

    #[test]
    fn checks_arguments() {
        assert!(fanout(FanoutMode::Hash).check().is_ok());
        let mut f = fanout(FanoutMode::Lb);
        f.flags = FanoutFlag::UniqueId as u32;
        assert!(f.check().unwrap_err().message().contains("must be 0"));
        f.flags = 0x1;
        assert!(f.check().unwrap_err().message().contains("unknown bits"));
        assert!(fanout(FanoutMode::Cbpf).check().unwrap_err().message().contains("program"));
        assert!(fanout(FanoutMode::Ebpf).check().unwrap_err().message().contains("file descriptor"));
        assert!(FanoutMode::from_u32(8).is_err());
    }

    #[test]
    fn join_before_bind_is_refused() {
        // Needs CAP_NET_RAW; skip quietly where the test runs unprivileged.
        let Ok(s) = PacketSocket::new(SocketKind::Raw) else { return };
        let e = join(&s, &fanout(FanoutMode::Lb)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::WrongState);
        assert!(e.message().contains("before the socket is bound"), "{}", e.message());
    }
}
