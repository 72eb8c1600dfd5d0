//! libpcap's manual, as libpcap-dev installs it, from ringcap's own sources:
//! one page per libpcap page (man3/*.3pcap, with libpcap's grouping of
//! functions and its alias pages), whose synopsis and text are the
//! prototypes and doc comments of the generated include/pcap/pcap.h, and
//! the section 5 and 7 pages, whose tables are src/pcap_compat/names.rs.
//!
//! A function's doc comment reads "name(): text". Sentences of the text
//! that state a value ("0, or PCAP_ERROR ...", "NULL if unknown", "Returns
//! ...", "...; returns ...") make the RETURN VALUE section; the rest is the
//! DESCRIPTION. A page whose docs leave its DESCRIPTION empty, or a page
//! naming a function the header lacks, stops the build.

use crate::man::{declaration, items, roff, Item, RELEASE_DATE};

/// One generated file: a page, or an alias of one (a symlink, as
/// Debian's libpcap-dev installs them).
pub enum Entry {
    Page(String),
    Alias(String),
}

/// A libpcap man3 page: its file name, NAME-line summary, the functions it
/// documents (in libpcap's order), those of them that get an alias page,
/// the types its synopsis shows and pages it refers to beyond the ones its
/// docs name.
struct Page {
    name: &'static str,
    summary: &'static str,
    functions: &'static [&'static str],
    aliases: &'static [&'static str],
    types: &'static [&'static str],
    see: &'static [&'static str],
}

const fn page(name: &'static str, summary: &'static str) -> Page {
    Page { name, summary, functions: &[], aliases: &[], types: &[], see: &[] }
}

impl Page {
    fn functions(&self) -> Vec<&'static str> {
        if self.functions.is_empty() {
            vec![self.name]
        } else {
            self.functions.to_vec()
        }
    }
}

/// The setters of a handle not yet activated all refer to these.
const SETUP: &[&str] = &["pcap_create", "pcap_activate"];

const PAGES: &[Page] = &[
    Page { see: &["pcap_activate", "pcap_close"], ..page("pcap_create", "make a capture handle for a device") },
    Page { see: SETUP, ..page("pcap_activate", "start capturing on a configured handle") },
    Page {
        see: &["pcap_create", "pcap_activate", "pcap_close"],
        ..page("pcap_open_live", "make, configure and activate a capture handle in one call")
    },
    Page {
        functions: &["pcap_open_dead", "pcap_open_dead_with_tstamp_precision"],
        aliases: &["pcap_open_dead_with_tstamp_precision"],
        see: &["pcap_compile", "pcap_dump_open"],
        ..page("pcap_open_dead", "a handle without a device, for compiling filters and writing savefiles")
    },
    Page {
        functions: &[
            "pcap_open_offline",
            "pcap_open_offline_with_tstamp_precision",
            "pcap_fopen_offline",
            "pcap_fopen_offline_with_tstamp_precision",
        ],
        aliases: &[
            "pcap_open_offline_with_tstamp_precision",
            "pcap_fopen_offline",
            "pcap_fopen_offline_with_tstamp_precision",
        ],
        see: &["pcap_close", "pcap_loop", "pcap-savefile"],
        ..page("pcap_open_offline", "open a savefile for reading")
    },
    Page { see: &["pcap_create", "pcap_open_offline"], ..page("pcap_close", "close a capture handle or savefile") },
    Page { see: SETUP, ..page("pcap_set_snaplen", "set the snapshot length of a handle not yet activated") },
    Page { see: SETUP, ..page("pcap_set_promisc", "set promiscuous mode on a handle not yet activated") },
    Page { see: SETUP, ..page("pcap_set_rfmon", "ask for monitor mode on a handle not yet activated") },
    Page { see: SETUP, ..page("pcap_can_set_rfmon", "whether monitor mode could be set on a handle") },
    Page { see: SETUP, ..page("pcap_set_timeout", "set the read timeout of a handle not yet activated") },
    Page { see: SETUP, ..page("pcap_set_buffer_size", "set the ring size of a handle not yet activated") },
    Page {
        see: &["pcap_create", "pcap_activate", "pcap_set_timeout"],
        ..page("pcap_set_immediate_mode", "deliver packets as they arrive, on a handle not yet activated")
    },
    Page {
        see: &["pcap_create", "pcap_activate", "pcap-tstamp"],
        ..page("pcap_set_tstamp_type", "choose the time stamp source of a handle not yet activated")
    },
    Page {
        see: &["pcap_create", "pcap_activate", "pcap-tstamp"],
        ..page("pcap_set_tstamp_precision", "choose microsecond or nanosecond time stamps")
    },
    Page {
        see: &["pcap_set_tstamp_precision", "pcap-tstamp"],
        ..page("pcap_get_tstamp_precision", "the precision of a handle's time stamps")
    },
    Page { see: SETUP, ..page("pcap_set_protocol_linux", "capture one protocol only, on a handle not yet activated") },
    Page {
        functions: &["pcap_loop", "pcap_dispatch"],
        aliases: &["pcap_dispatch"],
        types: &["pcap_pkthdr", "pcap_handler"],
        see: &["pcap_next_ex", "pcap_setnonblock"],
        ..page("pcap_loop", "process packets of a capture or savefile")
    },
    Page {
        functions: &["pcap_next_ex", "pcap_next"],
        aliases: &["pcap_next"],
        types: &["pcap_pkthdr"],
        see: &["pcap_loop"],
        ..page("pcap_next_ex", "read the next packet")
    },
    Page { see: &["pcap_loop"], ..page("pcap_breakloop", "make pcap_loop() or pcap_dispatch() return") },
    Page { types: &["pcap_stat"], ..page("pcap_stats", "capture statistics") },
    Page {
        functions: &["pcap_setnonblock", "pcap_getnonblock"],
        aliases: &["pcap_getnonblock"],
        see: &["pcap_loop", "pcap_get_selectable_fd"],
        ..page("pcap_setnonblock", "set or get non-blocking mode")
    },
    Page {
        see: &["pcap_setnonblock", "pcap_get_required_select_timeout"],
        ..page("pcap_get_selectable_fd", "a descriptor to wait on with select() or poll()")
    },
    Page { see: &["pcap_get_selectable_fd"], ..page("pcap_fileno", "the descriptor a handle reads") },
    Page {
        see: &["pcap_get_selectable_fd"],
        ..page("pcap_get_required_select_timeout", "the longest wait on the selectable descriptor, if any")
    },
    Page { see: &["pcap_set_snaplen"], ..page("pcap_snapshot", "the snapshot length of a handle") },
    Page { see: &["pcap_list_datalinks", "pcap-linktype"], ..page("pcap_datalink", "the link type of a handle") },
    Page {
        functions: &["pcap_list_datalinks", "pcap_free_datalinks"],
        aliases: &["pcap_free_datalinks"],
        see: &["pcap_set_datalink", "pcap-linktype"],
        ..page("pcap_list_datalinks", "the link types a handle offers, and freeing that list")
    },
    Page {
        see: &["pcap_list_datalinks", "pcap_datalink", "pcap-linktype"],
        ..page("pcap_set_datalink", "choose one of a handle's link types")
    },
    Page {
        functions: &["pcap_list_tstamp_types", "pcap_free_tstamp_types"],
        aliases: &["pcap_free_tstamp_types"],
        see: &["pcap_set_tstamp_type", "pcap-tstamp"],
        ..page("pcap_list_tstamp_types", "the time stamp types a device offers, and freeing that list")
    },
    Page { see: &["pcap_stats"], ..page("pcap_setdirection", "capture received packets, sent ones, or both") },
    Page { see: &["pcap_open_offline"], ..page("pcap_is_swapped", "whether a savefile is in the other byte order") },
    Page {
        functions: &["pcap_major_version", "pcap_minor_version"],
        aliases: &["pcap_minor_version"],
        see: &["pcap_open_offline", "pcap-savefile"],
        ..page("pcap_major_version", "the format version of a savefile")
    },
    Page { see: &["pcap_open_offline"], ..page("pcap_file", "the stdio stream of a savefile being read") },
    Page {
        functions: &["pcap_geterr", "pcap_perror"],
        aliases: &["pcap_perror"],
        see: &["pcap_statustostr"],
        ..page("pcap_geterr", "the text of a handle's last error, or print it")
    },
    Page {
        functions: &["pcap_inject", "pcap_sendpacket"],
        aliases: &["pcap_sendpacket"],
        ..page("pcap_inject", "send a packet")
    },
    Page { see: &["ringcap"], ..page("pcap_lib_version", "the library's version text") },
    Page { see: &["pcap_geterr"], ..page("pcap_statustostr", "the text of a PCAP_ERROR_ or PCAP_WARNING_ code") },
    Page { ..page("pcap_strerror", "the text of an errno value") },
    Page {
        see: &["pcap_datalink_val_to_name", "pcap-linktype"],
        ..page("pcap_datalink_name_to_val", "the link type value of a name")
    },
    Page {
        functions: &[
            "pcap_datalink_val_to_name",
            "pcap_datalink_val_to_description",
            "pcap_datalink_val_to_description_or_dlt",
        ],
        aliases: &["pcap_datalink_val_to_description", "pcap_datalink_val_to_description_or_dlt"],
        see: &["pcap_datalink_name_to_val", "pcap-linktype"],
        ..page("pcap_datalink_val_to_name", "the name or description of a link type value")
    },
    Page {
        see: &["pcap_tstamp_type_val_to_name", "pcap-tstamp"],
        ..page("pcap_tstamp_type_name_to_val", "the time stamp type value of a name")
    },
    Page {
        functions: &["pcap_tstamp_type_val_to_name", "pcap_tstamp_type_val_to_description"],
        aliases: &["pcap_tstamp_type_val_to_description"],
        see: &["pcap_tstamp_type_name_to_val", "pcap-tstamp"],
        ..page("pcap_tstamp_type_val_to_name", "the name or description of a time stamp type value")
    },
    Page { ..page("pcap_init", "initialize the library") },
    Page {
        functions: &["pcap_dump_open", "pcap_dump_open_append", "pcap_dump_fopen"],
        aliases: &["pcap_dump_fopen"],
        see: &["pcap_dump", "pcap_dump_close", "pcap-savefile"],
        ..page("pcap_dump_open", "open a savefile for writing")
    },
    Page { types: &["pcap_pkthdr"], see: &["pcap_dump_open", "pcap_loop"], ..page("pcap_dump", "write a packet") },
    Page { see: &["pcap_dump"], ..page("pcap_dump_flush", "write out what pcap_dump() buffered") },
    Page {
        functions: &["pcap_dump_ftell", "pcap_dump_ftell64"],
        see: &["pcap_dump"],
        ..page("pcap_dump_ftell", "the size written so far to a savefile")
    },
    Page { see: &["pcap_dump_open"], ..page("pcap_dump_file", "the stdio stream of a savefile being written") },
    Page { see: &["pcap_dump_open"], ..page("pcap_dump_close", "close a savefile being written") },
    Page {
        types: &["bpf_program"],
        see: &["pcap_setfilter", "pcap_freecode", "pcap_offline_filter", "ringcap_filter"],
        ..page("pcap_compile", "compile a filter expression")
    },
    Page { see: &["pcap_compile"], ..page("pcap_freecode", "free a compiled filter") },
    Page { see: &["pcap_compile"], ..page("pcap_setfilter", "install a filter on a handle") },
    Page { see: &["pcap_compile"], ..page("pcap_offline_filter", "run a filter on one packet") },
    Page {
        functions: &["pcap_findalldevs", "pcap_freealldevs"],
        aliases: &["pcap_freealldevs"],
        types: &["pcap_if", "pcap_addr"],
        see: &["pcap_create", "ringcap_interfaces"],
        ..page("pcap_findalldevs", "list the capture devices, and free that list")
    },
    Page { see: &["pcap_findalldevs"], ..page("pcap_lookupnet", "the IPv4 network and netmask of a device") },
    Page { see: &["pcap_findalldevs"], ..page("pcap_lookupdev", "a default device to capture on") },
];

/// A type's name: cbindgen's tag style declares `struct name { ... };`.
fn type_name(item: &Item) -> String {
    match item.decl.strip_prefix("struct ") {
        Some(rest) => rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_string(),
        None => item.name(),
    }
}

/// The section of a page that is not a function's.
fn section(name: &str) -> &'static str {
    match name {
        "pcap-savefile" => "5",
        "pcap-linktype" | "pcap-tstamp" => "7",
        "pcap-config" => "1",
        "ringcap" | "ringcap_filter" | "ringcap_interfaces" => "3",
        _ => "3PCAP",
    }
}

/// Splits text into sentences (". " before a capital or a value).
fn sentences(text: &str) -> Vec<String> {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    let mut start = 0;
    let b = flat.as_bytes();
    for i in 0..b.len() {
        let next = b.get(i + 2).copied().unwrap_or(b' ');
        let starts = next.is_ascii_uppercase() || next.is_ascii_digit() || next == b'-' || next == b'"';
        if b[i] == b'.' && b.get(i + 1) == Some(&b' ') && starts {
            out.push(flat[start..=i].to_string());
            start = i + 2;
        }
    }
    if start < flat.len() {
        out.push(flat[start..].to_string());
    }
    out
}

/// Whether a sentence states a value rather than what the function does:
/// it starts with one, or gives the one for an unknown argument.
fn states_value(s: &str) -> bool {
    let first = s.split([' ', ',', ';']).next().unwrap_or("");
    first.parse::<i64>().is_ok()
        || first == "NULL"
        || first.starts_with("PCAP_ERROR")
        || first.starts_with("PCAP_WARNING")
        || s.ends_with(" if unknown.")
}

/// A function's doc, split into a note after its name ("name() (note):
/// text"), what it does and what it returns (a void function returns
/// nothing, whatever its sentences start with).
fn split_doc(item: &Item) -> (String, Vec<String>, Vec<String>) {
    let name = item.name();
    let doc = item.doc.trim();
    let body = doc.strip_prefix(&format!("{name}()")).unwrap_or(doc).trim_start();
    let (note, body) = match body.strip_prefix('(').and_then(|b| b.split_once("):")) {
        Some((note, rest)) => (format!(" ({note})"), rest),
        None => (String::new(), body),
    };
    let body = body.trim_start_matches(':').trim();
    let body = if body == "." { "" } else { body };
    let (mut what, mut returns) = (Vec::new(), Vec::new());
    let void = item.decl.starts_with("void ");
    for s in sentences(body) {
        if void {
            what.push(s);
        } else if let Some(r) = s.strip_prefix("Returns ") {
            returns.push(r.to_string());
        } else if let Some((does, r)) = s.split_once("; returns ") {
            what.push(format!("{does}."));
            returns.push(r.to_string());
        } else if states_value(&s) {
            returns.push(s);
        } else {
            what.push(s);
        }
    }
    (note, what, returns)
}

/// Roff for doc text: `code` in italics, function names in bold.
fn inline(text: &str) -> String {
    let text = roff(text);
    let mut out = String::new();
    let mut code = false;
    for part in text.split('`') {
        if code {
            out.push_str(&format!("\\fI{part}\\fR"));
        } else {
            out.push_str(&bold_calls(part));
        }
        code = !code;
    }
    out
}

/// "pcap_foo()" and "bpf_foo()" in bold, as man pages set function names.
fn bold_calls(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("()") {
        let before = &rest[..i];
        let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |j| j + 1);
        let word = &before[start..];
        if word.starts_with("pcap_") || word.starts_with("bpf_") {
            out.push_str(&format!("{}\\fB{word}\\fR()", &before[..start]));
        } else {
            out.push_str(&rest[..i + 2]);
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// `name (section)` references for SEE ALSO.
fn see_also(names: &[String]) -> String {
    let refs: Vec<String> =
        names.iter().map(|n| format!(".BR {} ({})", roff(n).replace('-', "\\-"), section(n))).collect();
    format!(".SH SEE ALSO\n{}\n", refs.join(" ,\n"))
}

fn heading(name: &str, section: &str, version: &str) -> String {
    format!(
        ".\\\" Generated from include/pcap/pcap.h and src/pcap_compat/names.rs by build.rs; do not edit.\n\
         .TH {} {section} {RELEASE_DATE} \"ringcap {version}\" \"ringcap manual\"\n",
        name.to_uppercase().replace('-', "\\-")
    )
}

const SYNOPSIS: &str = ".SH SYNOPSIS\n.nf\n\\fB#include <pcap/pcap.h>\\fR\n.fi\n";

/// One man3 page.
fn function_page(page: &Page, all: &[Item], version: &str) -> String {
    let find = |n: &str| {
        all.iter()
            .find(|it| if it.is_function() { it.name() == n } else { page.types.contains(&n) && type_name(it) == n })
            .unwrap_or_else(|| panic!("{}.3pcap: include/pcap/pcap.h declares no {n}", page.name))
    };
    let functions = page.functions();
    let mut s = heading(page.name, "3PCAP", version);
    s.push_str(&format!(".SH NAME\n{} \\- {}\n", functions.join(", "), roff(page.summary)));
    s.push_str(SYNOPSIS);
    for t in page.types {
        s.push_str(&declaration(&find(t).decl, false));
    }
    for f in &functions {
        s.push_str(&declaration(&find(f).decl, false));
    }
    let (mut description, mut returns) = (Vec::new(), Vec::new());
    for f in &functions {
        let (note, what, ret) = split_doc(find(f));
        if !what.is_empty() {
            description.push(format!("\\fB{f}\\fR(){}: {}", roff(&note), inline(&what.join(" "))));
        }
        if !ret.is_empty() {
            returns.push(format!("\\fB{f}\\fR() returns {}", inline(&ret.join(" "))));
        }
    }
    assert!(
        !description.is_empty(),
        "{}.3pcap: the doc comments of {functions:?} say only what they return",
        page.name
    );
    s.push_str(&format!(".SH DESCRIPTION\n{}\n", description.join("\n.PP\n")));
    if !returns.is_empty() {
        s.push_str(&format!(".SH RETURN VALUE\n{}\n", returns.join("\n.PP\n")));
    }
    // The pages this one's docs name, then the table's, then the overview.
    let mut see: Vec<String> = Vec::new();
    let text: String = functions.iter().map(|f| find(f).doc.clone()).collect::<Vec<_>>().join(" ");
    for p in PAGES {
        let named = p.functions().iter().any(|f| text.contains(&format!("{f}()")) || text.contains(&format!("{f} ")));
        if named && !functions.contains(&p.name) {
            see.push(p.name.to_string());
        }
    }
    for extra in page.see {
        if !see.iter().any(|s| s == extra) && !functions.contains(extra) {
            see.push(extra.to_string());
        }
    }
    see.push("pcap".to_string());
    s.push_str(&see_also(&see));
    s
}

/// pcap(3PCAP): how the pieces fit, and every routine's page.
fn overview(version: &str) -> String {
    let mut s = heading("pcap", "3PCAP", version);
    s.push_str(".SH NAME\npcap \\- packet capture library (libpcap 1.10's API, implemented by ringcap)\n");
    s.push_str(SYNOPSIS);
    s.push_str(".PP\nLink with \\fB\\-lpcap\\fR (\\fBpcap\\-config \\-\\-libs\\fR,\nor \\fBpkg\\-config \\-\\-libs libpcap\\fR).\n");
    s.push_str(OVERVIEW);
    s.push_str(".SS Routines\n");
    for p in PAGES {
        s.push_str(&format!(".TP\n.BR {} (3PCAP)\n{}\n", p.name, roff(p.summary)));
    }
    let see: Vec<String> = [
        "ringcap",
        "ringcap_filter",
        "ringcap_interfaces",
        "pcap-config",
        "pcap-savefile",
        "pcap-linktype",
        "pcap-tstamp",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    s.push_str(&see_also(&see));
    s
}

const OVERVIEW: &str = r#".SH DESCRIPTION
This is libpcap 1.10's programming interface, implemented by ringcap on
Linux packet sockets with memory-mapped rings (PACKET_MMAP).
Programs written for libpcap compile against these headers unchanged,
link with \fB\-lpcap\fR, and behave as they do with libpcap;
programs already linked with libpcap run on ringcap through the
\fIlibpcap.so.0.8\fR name or with \fBLD_PRELOAD\fR.
.PP
A live capture starts with \fBpcap_create\fR(), is configured with the
\fBpcap_set_*\fR() calls and starts with \fBpcap_activate\fR();
\fBpcap_open_live\fR() does all three.
\fBpcap_open_offline\fR() reads a savefile (pcap or pcapng), and
\fBpcap_open_dead\fR() gives a handle for compiling filters and writing
savefiles.
Packets are read with \fBpcap_loop\fR(), \fBpcap_dispatch\fR() or
\fBpcap_next_ex\fR(); filters are compiled with \fBpcap_compile\fR() and
installed with \fBpcap_setfilter\fR() (on a live handle, in the kernel
when the program can run there);
savefiles are written with \fBpcap_dump_open\fR() and \fBpcap_dump\fR().
.PP
Besides network interfaces, ringcap captures on \fBany\fR (every
interface, with a cooked header) and on the netfilter pseudo-devices
\fBnflog:\fR\fIgroup\fR and \fBnfqueue:\fR\fIqueue\fR, as libpcap does.
.PP
Functions return 0 or a count on success and \fBPCAP_ERROR\fR (or
another negative \fBPCAP_ERROR_*\fR code) on failure, with the reason in
\fBpcap_geterr\fR(); functions that take an \fIerrbuf\fR write the
reason there, in at most \fBPCAP_ERRBUF_SIZE\fR bytes.
Where ringcap's behaviour differs from libpcap's, the function's page
says so.
"#;

/// (name, value, description) of the rows of a names.rs table.
pub fn table_rows(names_rs: &str, table: &str) -> Vec<(String, String, String)> {
    let start = names_rs.find(&format!("pub const {table}")).unwrap_or_else(|| panic!("names.rs has no {table}"));
    let body = &names_rs[start..];
    let body = &body[..body.find("];").expect("table end")];
    // rustfmt spreads a long row over lines: join each row's lines first.
    let mut rows = Vec::new();
    let mut row = String::new();
    for l in body.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        if row.is_empty() && !l.starts_with('(') {
            continue;
        }
        row = format!("{row} {l}");
        if l.ends_with("),") {
            rows.push(row.trim().replace("( ", "(").replace(", )", ")"));
            row.clear();
        }
    }
    rows.iter()
        .filter_map(|l| {
            let l = l.strip_prefix('(')?.strip_suffix("),")?;
            let mut parts = l.splitn(2, ", c\"");
            let value = parts.next()?.to_string();
            let (name, desc) = parts.next()?.split_once("\", c\"")?;
            Some((name.to_string(), value, desc.strip_suffix('"')?.to_string()))
        })
        .collect()
}

/// A DLT_ constant's value, from the header's #define.
pub fn define(header: &str, name: &str) -> String {
    let key = format!("#define {name} ");
    let at = header.find(&key).unwrap_or_else(|| panic!("include/pcap/pcap.h does not define {name}"));
    header[at + key.len()..].lines().next().unwrap_or("").trim().to_string()
}

fn linktype_page(header: &str, names_rs: &str, version: &str) -> String {
    let mut s = heading("pcap-linktype", "7", version);
    s.push_str(".SH NAME\npcap\\-linktype \\- link-layer header types of captures and savefiles\n");
    s.push_str(LINKTYPE_TEXT);
    s.push_str(".SS Link types\n");
    let rows = table_rows(names_rs, "DLTS");
    assert!(rows.len() > 100, "names.rs DLTS: only {} rows read", rows.len());
    for (name, constant, desc) in rows {
        // The name the functions give, the value the header defines.
        let value = define(header, &constant);
        s.push_str(&format!(".TP\n\\fBDLT_{}\\fR ({value})\n{}\n", roff(&name), roff(&desc)));
    }
    s.push_str(&see_also(
        &["pcap_datalink", "pcap_list_datalinks", "pcap_set_datalink", "pcap_datalink_val_to_name", "pcap-savefile"]
            .map(String::from),
    ));
    s
}

const LINKTYPE_TEXT: &str = r#".SH DESCRIPTION
Every packet of a capture or savefile starts with the link-layer header
of the handle's link type, the value \fBpcap_datalink\fR() returns and the
savefile header stores.
The API names the values \fBDLT_*\fR (the macros of
\fI<pcap/pcap.h>\fR); \fBpcap_datalink_val_to_name\fR() gives the name
without the prefix, as tcpdump's \fB\-y\fR and \fB\-L\fR use it.
.PP
On a live capture ringcap chooses the type as libpcap does on Linux:
Ethernet and loopback devices give \fBDLT_EN10MB\fR (with
\fBDLT_DOCSIS\fR also offered on Ethernet), devices without a link-layer
header give \fBDLT_RAW\fR, and \fBany\fR and other hardware types give the
Linux cooked header \fBDLT_LINUX_SLL\fR, or \fBDLT_LINUX_SLL2\fR when
chosen with \fBpcap_set_datalink\fR().
\fBnflog:\fR devices give \fBDLT_NFLOG\fR (or \fBDLT_IPV4\fR), and
\fBnfqueue:\fR devices \fBDLT_IPV4\fR.
Savefiles may carry any of the values below; the headers of the common
ones are laid out in \fI<pcap/sll.h>\fR, \fI<pcap/vlan.h>\fR,
\fI<pcap/usb.h>\fR, \fI<pcap/nflog.h>\fR, \fI<pcap/ipnet.h>\fR,
\fI<pcap/bluetooth.h>\fR and \fI<pcap/can_socketcan.h>\fR.
.PP
The names and descriptions below are those the name functions return,
in their order; where two names share a value the first is the one
\fBpcap_datalink_val_to_name\fR() returns.
"#;

fn tstamp_page(names_rs: &str, version: &str) -> String {
    let mut s = heading("pcap-tstamp", "7", version);
    s.push_str(".SH NAME\npcap\\-tstamp \\- time stamp types and precisions of packet captures\n");
    s.push_str(TSTAMP_TEXT);
    s.push_str(".SS Time stamp types\n");
    let rows = table_rows(names_rs, "TSTAMP_TYPES");
    assert_eq!(rows.len(), 6, "names.rs TSTAMP_TYPES");
    for (name, value, desc) in rows {
        s.push_str(&format!(
            ".TP\n\\fBPCAP_TSTAMP_{}\\fR ({value}, \\fB{}\\fR)\n{}\n",
            roff(&name.to_uppercase()),
            roff(&name),
            roff(&desc)
        ));
    }
    s.push_str(TSTAMP_PRECISION);
    s.push_str(&see_also(
        &[
            "pcap_list_tstamp_types",
            "pcap_set_tstamp_type",
            "pcap_set_tstamp_precision",
            "pcap_tstamp_type_val_to_name",
            "pcap-savefile",
        ]
        .map(String::from),
    ));
    s
}

const TSTAMP_TEXT: &str = r#".SH DESCRIPTION
Each packet's time stamp comes from a clock chosen, before the handle is
activated, with \fBpcap_set_tstamp_type\fR() (tcpdump's \fB\-j\fR) among
the types \fBpcap_list_tstamp_types\fR() returns (tcpdump's \fB\-J\fR).
ringcap decides that list from what the device's driver reports through
\fBETHTOOL_GET_TS_INFO\fR, by libpcap's rules:
\fBhost\fR when the driver stamps received packets in software,
\fBadapter\fR when its hardware clock is synchronised with the system
clock, and \fBadapter_unsynced\fR when it reports raw hardware time
stamps, each only if the device can stamp every received packet.
A driver that does not answer gets all three; \fBany\fR offers
\fBhost\fR alone, as does a device whose list would be empty.
An adapter type asks the driver to stamp received packets
(\fBSIOCSHWTSTAMP\fR) and the ring to report the hardware stamps
(\fBPACKET_TIMESTAMP\fR); a type the device does not offer
gives \fBPCAP_WARNING_TSTAMP_TYPE_NOTSUP\fR and leaves the type as it
was.
The host clock is the kernel's: the time stamp the ring's frame header
carries.
"#;

const TSTAMP_PRECISION: &str = r#".SS Precision
\fBPCAP_TSTAMP_PRECISION_MICRO\fR (0), the default, gives time stamps in
microseconds (\fIts.tv_usec\fR of \fBstruct pcap_pkthdr\fR);
\fBPCAP_TSTAMP_PRECISION_NANO\fR (1), chosen with
\fBpcap_set_tstamp_precision\fR() or when opening a savefile or a dead
handle, gives nanoseconds in the same field.
A savefile read at another precision than it was written in is
converted; \fBpcap_dump_open\fR() writes the precision of its handle.
"#;

fn savefile_page(version: &str) -> String {
    let mut s = heading("pcap-savefile", "5", version);
    s.push_str(".SH NAME\npcap\\-savefile \\- the pcap savefile format\n");
    s.push_str(SAVEFILE_TEXT);
    s.push_str(&see_also(
        &["pcap_open_offline", "pcap_dump_open", "pcap_dump", "pcap-linktype", "pcap-tstamp"].map(String::from),
    ));
    s
}

const SAVEFILE_TEXT: &str = r#".SH DESCRIPTION
A pcap savefile is a 24-byte file header followed by one record per
packet.
All fields are in the byte order of the host that wrote the file; a
reader recognises the other order by the magic number, and
\fBpcap_is_swapped\fR() says which was found.
.SS File header
.TP
magic (32 bits)
0xa1b2c3d4 for microsecond time stamps, 0xa1b23c4d for nanosecond ones.
.TP
major and minor version (16 bits each)
2 and 4.
.TP
two reserved 32-bit fields
Written as 0 (once the time zone offset and the time stamp accuracy).
.TP
snapshot length (32 bits)
No record's captured length exceeds it.
.TP
link type (32 bits)
The link-layer header type of every packet (see
.BR pcap\-linktype (7))
in the low 26 bits; when bit 26 is set, the top 4 bits give the length
in 16-bit words of the frame check sequence each packet ends with.
.SS Records
Each record is a 16-byte header: the time stamp in seconds and in
microseconds or nanoseconds (32 bits each), the captured length and the
length on the wire (32 bits each), followed by the captured bytes.
.SS ringcap
\fBpcap_open_offline\fR() reads pcap files in either byte order, with
microsecond, nanosecond or the older "modified" magic number, and pcapng
files (several sections and interfaces, their time stamp resolutions and
offsets); a malformed file is refused with libpcap's message.
\fBpcap_dump_open\fR() writes pcap files at the handle's precision, and
\fBpcap_dump_open_append\fR() continues one written with the same link
type, snapshot length, precision and byte order.
After a write fails, the dumper writes nothing more and
\fBpcap_dump_flush\fR() reports the failure.
ringcap's native API also writes pcapng (\fBringcap_dumper_open\fR()).
"#;

/// Every file: (path under man/, entry).
pub fn pages(header: &str, names_rs: &str, version: &str) -> Vec<(String, Entry)> {
    let all = items(header);
    let mut out = vec![("man3/pcap.3pcap".to_string(), Entry::Page(overview(version)))];
    for p in PAGES {
        out.push((format!("man3/{}.3pcap", p.name), Entry::Page(function_page(p, &all, version))));
        for a in p.aliases {
            assert!(p.functions().contains(a), "{}.3pcap: alias {a} is not one of its functions", p.name);
            out.push((format!("man3/{a}.3pcap"), Entry::Alias(format!("{}.3pcap", p.name))));
        }
    }
    out.push(("man5/pcap-savefile.5".to_string(), Entry::Page(savefile_page(version))));
    out.push(("man7/pcap-linktype.7".to_string(), Entry::Page(linktype_page(header, names_rs, version))));
    out.push(("man7/pcap-tstamp.7".to_string(), Entry::Page(tstamp_page(names_rs, version))));
    out
}
