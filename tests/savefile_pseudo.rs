//! Pseudo-headers written in the capturing host's byte order (pflog, Linux
//! cooked CAN, Linux USB, NFLOG) and the Linux USB length repair: packets
//! generated to hit every branch, in both file byte orders and both
//! formats, must come out exactly as libpcap hands them out.

mod support;

use std::fs;

use ringcap::savefile::Precision;
use support::*;

/// One packet: (captured bytes, on-the-wire length).
fn packet(rng: &mut Rng, dlt: u32, e: Endian) -> (Vec<u8>, u32) {
    let pick = |rng: &mut Rng, choices: &[u32]| choices[rng.below(choices.len() as u64) as usize];
    let mut d = rng.bytes(200);
    let random = rng.next() as u32;
    let full_len;
    match dlt {
        117 => {
            d[0] = pick(rng, &[0, 40, 47, 48, 51, 52, 56, 60, 61, 255, random & 0xff]) as u8;
            full_len = 64;
        }
        113 | 276 => {
            let (hdr, at) = if dlt == 113 { (16, 14) } else { (20, 0) };
            let proto = pick(rng, &[0x000C, 0x000D, 0x000E, 0x0800, 0x000C, random & 0xffff]) as u16;
            d[at..at + 2].copy_from_slice(&proto.to_be_bytes());
            full_len = hdr + 12;
        }
        189 | 220 => {
            d[8] = pick(rng, &[b'C' as u32, b'C' as u32, b'C' as u32, b'S' as u32]) as u8;
            d[9] = pick(rng, &[0, 0, 0, 0, 1, 2]) as u8;
            d[10] = (rng.next() as u8 & 0x7f) | pick(rng, &[0, 0x80, 0x80, 0x80]) as u8;
            d[15] = pick(rng, &[0, 0, 0, 0, b'<' as u32]) as u8;
            let ndesc = pick(rng, &[0, 1, 2, 3, 8, 0xffff_ffff, 0x1000_0001]);
            d[60..64].copy_from_slice(&e.u32(ndesc));
            let urb_len = pick(rng, &[0, 8, 100, random & 0xffff]);
            d[32..36].copy_from_slice(&e.u32(urb_len));
            for i in 0..8 {
                let at = 64 + 16 * i;
                if at + 12 <= d.len() {
                    d[at + 4..at + 8].copy_from_slice(&e.u32(pick(rng, &[0, 16, 1000, 0xffff_fff0])));
                    d[at + 8..at + 12].copy_from_slice(&e.u32(pick(rng, &[0, 0, 8, 64, 0x20])));
                }
            }
            // The lengths libpcap repairs are exactly the old-style ones.
            full_len =
                if rng.below(2) == 0 { 64u32.wrapping_add(ndesc.wrapping_mul(16)).wrapping_add(urb_len) } else { 200 };
        }
        239 => {
            d[1] = pick(rng, &[0, 0, 0, 1]) as u8;
            let mut at = 4;
            while at + 4 <= d.len() {
                let len = pick(rng, &[0, 1, 3, 4, 5, 8, 12, 20, 255, 0xffff]) as u16;
                d[at..at + 2].copy_from_slice(&e.u16(len));
                at += (usize::from(len).div_ceil(4) * 4).max(4);
            }
            full_len = 200;
        }
        _ => unreachable!(),
    }
    let caplen = match rng.below(4) {
        0 => full_len.min(200) as usize,
        1 => rng.below(201) as usize,
        _ => 200,
    };
    d.truncate(caplen);
    let len = match rng.below(6) {
        0 => rng.below(300) as u32,
        1 => caplen as u32,
        _ => full_len.max(caplen as u32),
    };
    (d, len)
}

#[test]
fn pseudo_headers_match_libpcap() {
    let dir = workdir("pseudo");
    let mut rng = Rng::new(77);
    let mut files = Vec::new();
    // What was written, to count how often libpcap changed something.
    let mut written = Vec::new();
    for dlt in [117u32, 113, 276, 189, 220, 239] {
        for e in [Endian::Little, Endian::Big] {
            let pkts: Vec<_> = (0..400).map(|_| packet(&mut rng, dlt, e)).collect();
            let mut pcap = PcapFile::new(e, 0xa1b2_c3d4, (2, 4), 0, dlt);
            let mut ng = NgFile::new(e).idb(dlt as u16, 0, &[]);
            for (i, (d, len)) in pkts.iter().enumerate() {
                pcap = pcap.record(i as u32, 0, d.len() as u32, *len, d);
                ng = ng.epb(0, i as u64, d.len() as u32, *len, d);
            }
            for (ext, bytes) in [("pcap", pcap.bytes), ("pcapng", ng.bytes)] {
                let path = dir.join(format!("dlt{dlt}_{e:?}.{ext}"));
                fs::write(&path, bytes).unwrap();
                files.push(path);
                written.push(pkts.clone());
            }
        }
    }
    let want = oracle_reports(&files, Precision::Micro);
    for ((path, want), pkts) in files.iter().zip(want).zip(&written) {
        assert!(want.ends_with("EOF\n"), "{path:?}: {want}");
        let changed = want
            .lines()
            .filter_map(|l| l.strip_prefix("P "))
            .zip(pkts)
            .filter(|(line, (d, len))| {
                let f: Vec<&str> = line.split(' ').collect();
                let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
                f[3] != len.to_string() || f.get(4).copied().unwrap_or("") != hex
            })
            .count();
        let name = path.file_name().unwrap().to_str().unwrap();
        // Swapped files must exercise the conversions, and the USB length
        // repair must fire in memory-mapped files of either order.
        let swapped = name.contains("Big");
        if swapped || name.starts_with("dlt220") {
            let at_least = if swapped { 20 } else { 5 };
            assert!(changed >= at_least, "{name}: libpcap changed only {changed} packets");
        } else {
            assert_eq!(changed, 0, "{name}");
        }
        let got = ringcap_report(path, Precision::Micro);
        if got != want {
            let first = got.lines().zip(want.lines()).position(|(a, b)| a != b);
            let line = |s: &str| first.and_then(|i| s.lines().nth(i)).unwrap_or("").to_string();
            panic!("{path:?}: first difference at line {first:?}:\n ringcap {}\n libpcap {}", line(&got), line(&want));
        }
    }
}
