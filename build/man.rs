//! Man pages from include/ringcap.h: the header's doc comments are the one
//! source, so the pages cannot drift from the API. ringcap(3) takes the
//! header's opening comment (overview and conventions) and the result
//! codes; each handle type gets a page with its declarations and their docs.

/// One documented declaration of the header.
pub struct Item {
    pub doc: String,
    pub decl: String,
}

impl Item {
    /// The declared identifier: a function's name, or a type's.
    pub fn name(&self) -> String {
        let d = &self.decl;
        if let Some(open) = d.find('(') {
            if !d.starts_with("typedef") {
                let before = d[..open].trim_end();
                let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
                return before[start..].to_string();
            }
            // typedef void (*name)(...)
            let rest = &d[open + 1..];
            return rest.trim_start_matches('*').split(')').next().unwrap_or("").to_string();
        }
        let last = d.trim_end_matches(';').trim_end();
        let start = last.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        last[start..].to_string()
    }

    pub fn is_function(&self) -> bool {
        self.decl.contains('(') && !self.decl.starts_with("typedef")
    }
}

/// A page: its name, NAME-line summary, and which identifiers it documents.
struct Page {
    name: &'static str,
    summary: &'static str,
    prefixes: &'static [&'static str],
    types: &'static [&'static str],
}

const PAGES: &[Page] = &[
    Page {
        name: "ringcap",
        summary: "packet capture and transmit on Linux PACKET_MMAP rings",
        prefixes: &["ringcap_strerror", "ringcap_last_error", "ringcap_version"],
        types: &["ringcap_result"],
    },
    Page {
        name: "ringcap_config",
        summary: "capture configuration: interface, ring, waiting and kernel features",
        prefixes: &["ringcap_config_"],
        types: &[
            "ringcap_config",
            "ringcap_socket_type",
            "ringcap_direction",
            "ringcap_timestamp_source",
            "ringcap_fanout_mode",
            "ringcap_fanout_flag",
            "ringcap_fanout",
        ],
    },
    Page {
        name: "ringcap_capture",
        summary: "capture handle: open, dispatch packets, statistics",
        prefixes: &["ringcap_capture_", "ringcap_packet_"],
        types: &[
            "ringcap_capture",
            "ringcap_packet_meta",
            "ringcap_packet_cb",
            "ringcap_stats",
            "ringcap_ring_info",
            "ringcap_packet_timestamp",
        ],
    },
    Page {
        name: "ringcap_tx",
        summary: "transmit handle: TX rings, and both rings on one socket",
        prefixes: &["ringcap_tx_", "ringcap_duplex_"],
        types: &[
            "ringcap_tx",
            "ringcap_tx_config",
            "ringcap_tx_counters",
            "ringcap_tx_rejection",
            "ringcap_tx_timestamp",
        ],
    },
    Page {
        name: "ringcap_filter",
        summary: "pcap-filter expressions compiled to classic BPF",
        prefixes: &["ringcap_filter_"],
        types: &["ringcap_filter", "ringcap_filter_options", "ringcap_bpf_insn"],
    },
    Page {
        name: "ringcap_interfaces",
        summary: "interface listing",
        prefixes: &["ringcap_interfaces_"],
        types: &["ringcap_interface", "ringcap_interface_address", "ringcap_interface_flag"],
    },
];

/// The text of a `/** ... */` or `/* ... */` comment, without the stars.
fn comment_text(c: &str) -> String {
    c.trim_start_matches("/**")
        .trim_start_matches("/*")
        .trim_end_matches("*/")
        .lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Removes comments inside a declaration (struct member docs).
fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

/// Every doc comment followed by a declaration, in header order.
pub fn items(header: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(start) = rest.find("/**") {
        let Some(len) = rest[start..].find("*/") else { break };
        let doc = comment_text(&rest[start..start + len + 2]);
        rest = &rest[start + len + 2..];
        // The declaration runs to the first ';' outside braces.
        let mut depth = 0i32;
        let mut end = None;
        let mut in_comment = false;
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if in_comment {
                if bytes[i..].starts_with(b"*/") {
                    in_comment = false;
                    i += 1;
                }
            } else if bytes[i..].starts_with(b"/*") {
                // A comment before any declaration text: this doc was loose.
                if depth == 0 && rest[..i].trim().is_empty() {
                    break;
                }
                in_comment = true;
            } else {
                match bytes[i] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    b';' if depth == 0 => {
                        end = Some(i + 1);
                        break;
                    }
                    b'#' if depth == 0 && rest[..i].trim().is_empty() => break,
                    _ => {}
                }
            }
            i += 1;
        }
        if let Some(end) = end {
            let decl = strip_comments(rest[..end].trim());
            out.push(Item { doc, decl });
        }
    }
    out
}

/// Escapes text for roff: backslashes, and control characters at line start.
pub fn roff(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.trim_end().replace('\\', "\\e");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Doc text as filled paragraphs (blank lines separate them).
pub fn paragraphs(doc: &str) -> String {
    let mut out = Vec::new();
    for para in doc.split("\n\n") {
        let p = para.trim();
        if !p.is_empty() {
            out.push(roff(p));
        }
    }
    out.join("\n.PP\n")
}

/// A declaration in bold, unfilled; `first` after a heading, which
/// already starts a paragraph.
pub fn declaration(decl: &str, first: bool) -> String {
    let mut s = String::from(if first { ".nf\n" } else { ".PP\n.nf\n" });
    for line in decl.lines() {
        s.push_str(&format!("\\fB{}\\fR\n", roff(line).replace("\\&", "")));
    }
    s.push_str(".fi\n");
    s
}

/// All pages: (file name, contents).
pub fn pages(header: &str, version: &str) -> Vec<(String, String)> {
    let all = items(header);
    let overview = header.find("/*").and_then(|s| header[s..].find("*/").map(|e| comment_text(&header[s..s + e + 2])));
    let overview = overview.unwrap_or_default();
    // The overview paragraphs after the first (the title) and without the
    // "Generated by" note, which is about the header file itself.
    let overview: Vec<&str> = overview.split("\n\n").skip(1).filter(|p| !p.starts_with("Generated by")).collect();
    let mut out = Vec::new();
    for page in PAGES {
        let mine: Vec<&Item> = all
            .iter()
            .filter(|it| {
                let n = it.name();
                if it.is_function() {
                    page.prefixes.iter().any(|p| n.starts_with(p))
                } else {
                    page.types.contains(&n.as_str())
                }
            })
            .collect();
        let mut s = String::new();
        s.push_str(&format!(
            ".\\\" Generated from include/ringcap.h by build.rs; do not edit.\n.TH {} 3 {} \"ringcap {}\" \"ringcap manual\"\n",
            page.name.to_uppercase(),
            RELEASE_DATE,
            version
        ));
        s.push_str(&format!(".SH NAME\n{} \\- {}\n", page.name, page.summary));
        s.push_str(".SH SYNOPSIS\n.nf\n\\fB#include <ringcap.h>\\fR\n.fi\n");
        for it in mine.iter().filter(|i| i.is_function()) {
            s.push_str(&declaration(&it.decl, false));
        }
        s.push_str(".PP\nLink with \\fB\\-lringcap\\fR (\\fBpkg\\-config \\-\\-libs ringcap\\fR).\n");
        s.push_str(".SH DESCRIPTION\n");
        if page.name == "ringcap" {
            s.push_str(&paragraphs(&overview.join("\n\n")));
            s.push('\n');
        }
        let types: Vec<&&Item> = mine.iter().filter(|i| !i.is_function()).collect();
        if !types.is_empty() {
            s.push_str(".SS Types\n");
            for (n, it) in types.iter().enumerate() {
                s.push_str(&declaration(&it.decl, n == 0));
                s.push_str(".RS\n");
                s.push_str(&paragraphs(&it.doc));
                s.push_str("\n.RE\n");
            }
        }
        s.push_str(".SS Functions\n");
        for it in mine.iter().filter(|i| i.is_function()) {
            s.push_str(&format!(".TP\n.BR {} ()\n", it.name()));
            s.push_str(&paragraphs(&it.doc).replace("\n.PP\n", "\n.IP\n"));
            s.push('\n');
        }
        s.push_str(".SH SEE ALSO\n");
        let others: Vec<String> =
            PAGES.iter().filter(|p| p.name != page.name).map(|p| format!(".BR {} (3)", p.name)).collect();
        s.push_str(&others.join(" ,\n"));
        s.push_str(" ,\n.BR pcap (3PCAP)\n");
        out.push((format!("{}.3", page.name), s));
    }
    out
}

/// The date on every page: that of the manual's layout, not of the build,
/// so that regenerating the same header gives the same pages.
pub const RELEASE_DATE: &str = "2026-12-01";
