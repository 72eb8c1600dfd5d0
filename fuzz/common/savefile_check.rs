//! What the savefile fuzz target checks on one input, shared with the test
//! that replays the seed corpus (tests/savefile_corpus.rs): the input is a
//! selector byte (bit 0: nanosecond precision) and a pcap or pcapng file.
//! Reading must never panic or hang, every packet must be as long as its
//! caplen and within the snapshot length, and the record-by-record reader,
//! the read-ahead reader and a reader fed a few bytes at a time (a pipe)
//! must give the same packets and the same error.

use std::io::Read;

use ringcap::savefile::{FileInfo, PacketHeader, Precision, Reader};

/// Packets read from one input, then how reading ended.
pub type Outcome = (Option<FileInfo>, Vec<(PacketHeader, Vec<u8>)>, Option<String>);

/// Stops a damaged file from feeding the check forever.
const MAX_PACKETS: usize = 100_000;

/// Hands out at most `step` bytes per read, like a pipe.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every packet `reader` gives, and the error that ended it, if any.
pub fn read_all<R: Read>(reader: ringcap::Result<Reader<R>>) -> Outcome {
    let mut r = match reader {
        Ok(r) => r,
        Err(e) => return (None, Vec::new(), Some(e.message().to_string())),
    };
    let info = *r.info();
    let mut packets = Vec::new();
    let end = loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                assert_eq!(p.data.len(), p.header.caplen as usize, "data length is caplen");
                assert!(
                    p.header.caplen <= info.snaplen.max(14),
                    "caplen {} over snaplen {}",
                    p.header.caplen,
                    info.snaplen
                );
                packets.push((p.header, p.data.to_vec()));
                if packets.len() == MAX_PACKETS {
                    break None;
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e.message().to_string()),
        }
    };
    (Some(info), packets, end)
}

/// The selector's precision and the file.
pub fn split(input: &[u8]) -> Option<(Precision, &[u8])> {
    let (&sel, file) = input.split_first()?;
    Some((if sel & 1 == 0 { Precision::Micro } else { Precision::Nano }, file))
}

/// Runs every in-memory way of reading `input` and compares them; returns
/// the outcome for further checks.
pub fn check(input: &[u8]) -> Option<Outcome> {
    let (precision, file) = split(input)?;
    let exact = read_all(Reader::open_with_precision(file, precision));
    let ahead = read_all(Reader::open_read_ahead(file, precision));
    assert_eq!(exact, ahead, "read-ahead differs from record-by-record reading");
    let step = 1 + usize::from(input[0] >> 1) % 13;
    let trickle = read_all(Reader::open_with_precision(Trickle { data: file, step }, precision));
    assert_eq!(exact, trickle, "reading {step} bytes at a time differs");
    Some(exact)
}
