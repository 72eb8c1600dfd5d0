//! Round trips through ringcap's writer and reader, byte-exact comparison of
//! the writer with libpcap's pcap_dump, and reading through awkward streams.

mod support;

use std::fs;
use std::io::BufWriter;
use std::io::{self, Cursor, Read};

use ringcap::savefile::{Format, PacketHeader, Precision, Reader, Resolution, Writer, WriterConfig};
use ringcap::ErrorCode;
use support::*;

fn sample(p: Precision, n: usize) -> Vec<(PacketHeader, Vec<u8>)> {
    let mut rng = Rng::new(42 + p.as_pcap_value() as u64);
    (0..n)
        .map(|i| {
            let len = rng.below(2000) as u32;
            let caplen = len.min(1500);
            let frac = if i == 0 { p.units_per_second() as i64 - 1 } else { rng.below(p.units_per_second()) as i64 };
            let h = PacketHeader { ts_sec: 1_000_000_000 + i as i64, ts_frac: frac, caplen, len };
            (h, rng.bytes(caplen as usize))
        })
        .collect()
}

fn write(p: Precision, pkts: &[(PacketHeader, Vec<u8>)]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), "memory", &WriterConfig::new(1, 1500, p)).unwrap();
    assert_eq!(w.position(), 24);
    for (h, d) in pkts {
        w.dump(h, d).unwrap();
    }
    let expected_len = 24 + pkts.iter().map(|(h, _)| 16 + h.caplen as u64).sum::<u64>();
    assert_eq!(w.position(), expected_len);
    let out = w.into_inner().unwrap();
    assert_eq!(out.len() as u64, expected_len);
    out
}

#[test]
fn round_trip_in_both_precisions() {
    for p in [Precision::Micro, Precision::Nano] {
        let pkts = sample(p, 200);
        let bytes = write(p, &pkts);
        let mut r = Reader::open_with_precision(Cursor::new(&bytes), p).unwrap();
        let info = *r.info();
        assert_eq!(info.format, Format::Pcap);
        assert_eq!((info.dlt, info.snaplen, info.version_major, info.version_minor), (1, 1500, 2, 4));
        assert!(!info.swapped);
        assert_eq!(info.resolution, Resolution::of(p));
        assert_eq!(r.precision(), p);
        for (h, d) in &pkts {
            let pkt = r.next_packet().unwrap().expect("packet");
            assert_eq!(&pkt.header, h);
            assert_eq!(pkt.data, &d[..]);
        }
        assert!(r.next_packet().unwrap().is_none());
        assert!(r.next_packet().unwrap().is_none(), "EOF is sticky");
    }
}

#[test]
fn reading_at_the_other_precision_scales_like_libpcap() {
    let micro = sample(Precision::Micro, 20);
    let bytes = write(Precision::Micro, &micro);
    let mut r = Reader::open_with_precision(&bytes[..], Precision::Nano).unwrap();
    for (h, _) in &micro {
        assert_eq!(r.next_packet().unwrap().unwrap().header.ts_frac, h.ts_frac * 1000);
    }
    let nano = sample(Precision::Nano, 20);
    let bytes = write(Precision::Nano, &nano);
    let mut r = Reader::open(&bytes[..]).unwrap();
    assert_eq!(r.info().resolution.as_precision(), Some(Precision::Nano));
    for (h, _) in &nano {
        // Truncated, not rounded.
        assert_eq!(r.next_packet().unwrap().unwrap().header.ts_frac, h.ts_frac / 1000);
    }
}

/// A stream that hands out one byte per read and is interrupted in between,
/// like a slow pipe.
struct Trickle<R> {
    inner: R,
    interrupt: bool,
}

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let n = buf.len().min(1);
        self.inner.read(&mut buf[..n])
    }
}

/// A stream that fails after `ok` bytes.
struct Failing {
    data: Vec<u8>,
    ok: usize,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        let n = buf.len().min(self.ok).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        self.ok -= n;
        Ok(n)
    }
}

#[test]
fn short_reads_and_interruptions_do_not_matter() {
    let pcap = write(Precision::Nano, &sample(Precision::Nano, 10));
    let ng = NgFile::new(Endian::Big).idb(1, 0, &[]).epb(0, 5, 10, 10, &[1; 10]).spb(20, &[2; 20]).bytes;
    for bytes in [pcap, ng] {
        for p in [Precision::Micro, Precision::Nano] {
            let direct = ringcap_report_from(&bytes[..], p);
            let trickled = ringcap_report_from(Trickle { inner: &bytes[..], interrupt: false }, p);
            assert_eq!(direct, trickled);
            assert!(direct.ends_with("EOF\n"), "{direct}");
        }
    }
}

#[test]
fn read_errors_are_io_errors_with_libpcaps_prefix() {
    let bytes = write(Precision::Micro, &sample(Precision::Micro, 3));
    for ok in [0, 2, 10, 30, 45] {
        let src = Failing { data: bytes.clone(), ok };
        let err = match Reader::open(src) {
            Err(e) => e,
            Ok(mut r) => loop {
                match r.next_packet() {
                    Err(e) => break e,
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("read past a failing stream"),
                }
            },
        };
        assert_eq!(err.code(), ErrorCode::Io, "{err}");
        assert!(err.message().starts_with("error reading dump file: "), "{err}");
    }
}

#[test]
fn writer_output_is_byte_identical_to_libpcap_dump() {
    let dir = workdir("roundtrip_copy");
    let d = payload(1, 200);
    let inputs = [
        ("micro.pcap", write(Precision::Micro, &sample(Precision::Micro, 30))),
        ("nano.pcap", write(Precision::Nano, &sample(Precision::Nano, 30))),
        (
            "be_fcs.pcap",
            PcapFile::new(Endian::Big, 0xa1b2_c3d4, (2, 4), 0, 0x1400_0065)
                .record(1, 2, 20, 20, &d[..20])
                .record(3, 999_999, 40, 90, &d[..40])
                .bytes,
        ),
        (
            "mod.pcap",
            PcapFile::new(Endian::Little, 0xa1b2_cd34, (2, 4), 100, 1).record(5, 6, 114, 114, &d[..114]).bytes,
        ),
        (
            "ng.pcapng",
            NgFile::new(Endian::Little)
                .idb(113, 128, &[opt(Endian::Little, 9, &[0x8a])])
                .epb(0, 123_456_789_012, 60, 70, &d[..60])
                .bytes,
        ),
    ];
    for (name, bytes) in inputs {
        let src = dir.join(name);
        fs::write(&src, &bytes).unwrap();
        for p in [Precision::Micro, Precision::Nano] {
            let theirs = dir.join(format!("{name}.{}.libpcap", prec_name(p)));
            let out = stdout(&run(
                oracle().to_str().unwrap(),
                &["copy", src.to_str().unwrap(), theirs.to_str().unwrap(), prec_name(p)],
            ));
            let mut r = Reader::open_with_precision(&bytes[..], p).unwrap();
            let i = *r.info();
            let cfg = WriterConfig { dlt: i.dlt, linktype_ext: i.linktype_ext, snaplen: i.snaplen, precision: p };
            let mut w = Writer::new(Vec::new(), "memory", &cfg).unwrap();
            while let Some(pkt) = r.next_packet().unwrap() {
                w.dump(&pkt.header, pkt.data).unwrap();
            }
            assert_eq!(out, format!("COPY_OK {}\n", w.position()), "{name} {p:?}: ftell");
            let ours = w.into_inner().unwrap();
            assert_eq!(ours, fs::read(&theirs).unwrap(), "{name} {p:?}: bytes differ from pcap_dump's");
        }
    }
}

#[test]
fn dump_refuses_data_shorter_than_caplen() {
    let mut w = Writer::new(Vec::new(), "memory", &WriterConfig::new(1, 100, Precision::Micro)).unwrap();
    let h = PacketHeader { ts_sec: 1, ts_frac: 2, caplen: 10, len: 10 };
    let err = w.dump(&h, &[0; 9]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert_eq!(w.position(), 24, "nothing written");
    // Longer data is cut at caplen, as pcap_dump writes caplen bytes.
    w.dump(&h, &[7; 50]).unwrap();
    assert_eq!(w.position(), 24 + 16 + 10);
}

#[test]
fn unsupported_link_type_is_refused() {
    for dlt in [13, 300, -1] {
        let err = Writer::new(Vec::new(), "out.pcap", &WriterConfig::new(dlt, 100, Precision::Micro)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        assert_eq!(err.message(), format!("out.pcap: link-layer type {dlt} isn't supported in savefiles"));
    }
}

#[test]
fn seekable_writer_counts_from_the_stream_position() {
    let mut sink = Cursor::new(vec![0u8; 100]);
    sink.set_position(100);
    let mut w = Writer::new_seekable(sink, "stream", &WriterConfig::new(1, 100, Precision::Micro)).unwrap();
    assert_eq!(w.position(), 124);
    w.flush().unwrap();
    assert_eq!(w.get_ref().get_ref().len(), 124);
}

/// A sink whose device is full.
struct Full;

impl io::Write for Full {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(libc::ENOSPC))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_surface_with_libpcaps_wording() {
    // Buffered (as stdio is): the error shows when the buffer is flushed.
    let mut w = Writer::new(BufWriter::new(Full), "full.pcap", &WriterConfig::new(1, 100, Precision::Micro)).unwrap();
    let h = PacketHeader { ts_sec: 1, ts_frac: 2, caplen: 3, len: 3 };
    w.dump(&h, b"abc").unwrap();
    let err = w.flush().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io);
    assert_eq!(err.message(), "Can't write to full.pcap: No space left on device");
    // Unbuffered: at once.
    let err = Writer::new(Full, "full.pcap", &WriterConfig::new(1, 100, Precision::Micro)).err().expect("write error");
    assert_eq!(err.message(), "Can't write to full.pcap: No space left on device");
}

#[test]
fn reads_from_a_pipe() {
    let dir = workdir("roundtrip_pipe");
    let d = payload(11, 3000);
    let files = [
        ("pipe.pcap", write(Precision::Nano, &sample(Precision::Nano, 300))),
        (
            "pipe.pcapng",
            NgFile::new(Endian::Big)
                .idb(1, 0, &[])
                .epb(0, 1, 3000, 3000, &d)
                .shb(Endian::Big, (1, 0))
                .idb(1, 0, &[opt(Endian::Big, 9, &[0x83])])
                .epb(0, 12345, 1000, 1000, &d[..1000])
                .bytes,
        ),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        fs::write(&path, &bytes).unwrap();
        for p in [Precision::Micro, Precision::Nano] {
            let mut child = std::process::Command::new("cat")
                .arg(&path)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("cat must be installed");
            let piped = ringcap_report_from(child.stdout.take().unwrap(), p);
            assert!(child.wait().unwrap().success());
            assert_eq!(piped, oracle_report(&path, p), "{name} through a pipe at {p:?}");
        }
    }
}
