//! Prints a filter program like `tcpdump -d` (or -dd / -ddd).
//!
//! Usage: cargo run --example filter_dump -- [-d|-dd|-ddd] [-O] [-y DLT] 'expression'

use ringcap::filter::{self, DumpFormat, LinkType, Options};

fn main() {
    let mut format = DumpFormat::Image;
    let mut dlt = 1;
    let mut optimize = true;
    let mut expr = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-d" => format = DumpFormat::Image,
            "-dd" => format = DumpFormat::C,
            "-ddd" => format = DumpFormat::Decimal,
            "-O" => optimize = false,
            "-y" => dlt = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            _ => expr.push(a),
        }
    }
    let Some(lt) = LinkType::from_dlt(dlt) else {
        eprintln!("unsupported link type {dlt}");
        std::process::exit(2);
    };
    let mut opts = Options::new(lt, 262144, 0);
    opts.optimize = optimize;
    match filter::compile_with(&expr.join(" "), &opts) {
        Ok(p) => print!("{}", p.dump(format)),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
