//! The crate's top-level modules depend on each other in one direction
//! only (the order src/lib.rs documents): a `crate::` path that closes a
//! cycle fails here, naming the cycle. So do files within a module: a
//! path (`use` or inline, `crate::`, `super::`, a child's or an imported
//! module's name) that leads back to the file it starts from.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

fn words_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String =
                rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit()).collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn collect(root: &Path, graph: &mut BTreeMap<String, BTreeSet<String>>) {
    let mut files = BTreeMap::new();
    module_files(root, root, &mut files);
    for (module, path) in files {
        // lib.rs declares the modules; its paths are the crate's face.
        let Some(module) = module.first().cloned() else { continue };
        let code: String = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = graph.entry(module.clone()).or_default();
        for dep in words_after(&code, "crate::") {
            if dep != module {
                deps.insert(dep);
            }
        }
    }
}

/// A path from `from` back to `target`, if there is one.
fn path_back(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    target: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in graph.get(from).into_iter().flatten() {
        if next == target {
            return Some(vec![next.clone()]);
        }
        if seen.insert(next.clone()) {
            if let Some(mut p) = path_back(graph, next, target, seen) {
                p.insert(0, next.clone());
                return Some(p);
            }
        }
    }
    None
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    collect(&root, &mut graph);
    assert!(graph.contains_key("rx") && graph["rx"].contains("ring"), "the scan found no rx -> ring edge: {graph:?}");
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles between top-level modules:\n{}", found.join("\n"));
}

// ---- file level ---------------------------------------------------------

/// A module's path from the crate root (`["filter", "link"]`), and the file
/// that holds it, for every source file under `root`.
fn module_files(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            module_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let mut module: Vec<String> =
                rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            out.insert(module, path);
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let b = code.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' {
            // A string's text names nothing.
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Token::Ident(code[start..i].to_string()));
        } else {
            out.push(match c {
                b':' if b.get(i + 1) == Some(&b':') => {
                    i += 1;
                    Token::Colons
                }
                b'{' => Token::Open,
                b'}' => Token::Close,
                b',' => Token::Comma,
                _ => Token::Other,
            });
            i += 1;
        }
    }
    out
}

/// Every path a `use` tree starting at `toks[*i]` names, with `prefix` in
/// front (`a::{b, c::d}` gives `a::b` and `a::c::d`); `*i` ends past it.
fn use_tree(toks: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        match toks.get(*i) {
            Some(Token::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
                if toks.get(*i) != Some(&Token::Colons) {
                    out.push(path);
                    return;
                }
                *i += 1;
            }
            Some(Token::Open) => {
                *i += 1;
                while !matches!(toks.get(*i), None | Some(Token::Close)) {
                    use_tree(toks, i, &path, out);
                    // Past the comma (or anything a tree cannot hold).
                    if !matches!(toks.get(*i), None | Some(Token::Close)) {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            _ => {
                if path.len() > prefix.len() {
                    out.push(path);
                }
                return;
            }
        }
    }
}

/// The file-level graph: file -> files it names a path into. A module's
/// own ancestors are left out (a child using its parent's items is the
/// parent's business: `super::Options`), and so is the file itself; a
/// parent naming its child, a re-export included, is an edge.
fn file_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = BTreeMap::new();
    module_files(root, root, &mut files);
    let name = |m: &[String]| if m.is_empty() { "crate".to_string() } else { m.join("::") };
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let toks = tokens(&fs::read_to_string(path).unwrap());
        // Paths, each with the number of inline `mod x { … }` around it.
        let mut paths: Vec<(Vec<String>, usize, bool)> = Vec::new();
        let (mut depth, mut inline) = (0usize, Vec::new());
        let mut i = 0;
        while i < toks.len() {
            match &toks[i] {
                Token::Open => depth += 1,
                Token::Close => {
                    depth = depth.saturating_sub(1);
                    if inline.last() == Some(&depth) {
                        inline.pop();
                    }
                }
                Token::Ident(k) if k == "mod" && toks.get(i + 2) == Some(&Token::Open) => inline.push(depth),
                Token::Ident(_) if i == 0 || toks[i - 1] != Token::Colons => {
                    let is_use = matches!(&toks[i], Token::Ident(k) if k == "use");
                    let start = if is_use { i + 1 } else { i };
                    if is_use || toks.get(i + 1) == Some(&Token::Colons) {
                        let mut found = Vec::new();
                        let mut j = start;
                        use_tree(&toks, &mut j, &[], &mut found);
                        paths.extend(found.into_iter().map(|p| (p, inline.len(), is_use)));
                        i = j.max(i + 1);
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        // Resolves a path to the deepest module file it reaches, if any.
        let resolve = |p: &[String], nested: usize, aliases: &BTreeMap<String, Vec<String>>| {
            let (mut cur, mut rest) = (module.clone(), p);
            let mut supers = 0;
            match p.first().map(String::as_str) {
                Some("crate") => (cur, rest) = (Vec::new(), &p[1..]),
                Some("super") => {
                    while rest.first().map(String::as_str) == Some("super") {
                        supers += 1;
                        rest = &rest[1..];
                    }
                    if supers <= nested {
                        return None;
                    }
                    for _ in nested..supers {
                        cur.pop()?;
                    }
                }
                Some("self") => rest = &p[1..],
                Some(first) => {
                    let mut child = module.clone();
                    child.push(first.to_string());
                    // A child module's name, else an imported module's.
                    if nested > 0 || !files.contains_key(&child) {
                        let a = aliases.get(first)?;
                        (cur, rest) = (a.clone(), &p[1..]);
                    }
                }
                None => return None,
            }
            let mut consumed = true;
            for seg in rest {
                if seg == "self" {
                    continue;
                }
                let mut next = cur.clone();
                next.push(seg.clone());
                if files.contains_key(&next) {
                    cur = next;
                } else {
                    consumed = false;
                    break;
                }
            }
            Some((cur, consumed))
        };
        let mut aliases = BTreeMap::new();
        for (p, nested, is_use) in &paths {
            if let (true, Some((m, true))) = (*is_use, resolve(p, *nested, &aliases)) {
                let last = p.iter().rev().find(|s| *s != "self").cloned().unwrap_or_default();
                aliases.insert(last, m);
            }
        }
        let deps: &mut BTreeSet<String> = graph.entry(name(module)).or_default();
        for (p, nested, _) in &paths {
            if let Some((target, _)) = resolve(p, *nested, &aliases) {
                if !module.starts_with(&target) {
                    deps.insert(name(&target));
                }
            }
        }
    }
    graph
}

fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for module in graph.keys() {
        if let Some(p) = path_back(graph, module, module, &mut BTreeSet::new()) {
            out.push(format!("{module} -> {}", p.join(" -> ")));
        }
    }
    out
}

/// No file names a path into a file that names a path back into it, by
/// any way round (within a top-level module too: filter's code generator
/// and the link modules that extend it).
#[test]
fn files_have_no_import_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = file_graph(&root);
    let seen = |from: &str, to: &str| graph.get(from).is_some_and(|d| d.contains(to));
    assert!(
        seen("filter::link::ieee80211", "filter::codegen"),
        "the scan found no ieee80211 -> codegen edge: {graph:?}"
    );
    assert!(seen("filter::codegen", "filter::link"), "the scan found no codegen -> link edge: {graph:?}");
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles between files:\n{}", found.join("\n"));
}

/// The scan catches a generator that names a link module's type while
/// that module extends the generator: directly, and through the parent's
/// re-export.
#[test]
fn file_scan_finds_a_cycle_through_a_child_module() {
    let cases = [
        ("use super::link::{self, ieee80211, Kind};\nfn f(_: ieee80211::Regs) {}", ""),
        ("use super::link;\nfn f(_: link::Radio) {}", "pub(super) use ieee80211::Radio;\n"),
    ];
    for (n, (codegen, reexport)) in cases.iter().enumerate() {
        let root = std::env::temp_dir().join(format!("ringcap-module-graph-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("filter/link")).unwrap();
        fs::write(root.join("lib.rs"), "pub mod filter;\n").unwrap();
        fs::write(root.join("filter/mod.rs"), "mod codegen;\nmod link;\npub struct Options;\n").unwrap();
        fs::write(root.join("filter/codegen.rs"), format!("use super::Options;\n{codegen}\n")).unwrap();
        fs::write(root.join("filter/link/mod.rs"), format!("mod ieee80211;\n{reexport}pub enum Kind {{}}\n")).unwrap();
        fs::write(
            root.join("filter/link/ieee80211.rs"),
            "use super::super::codegen::*;\nuse super::Kind;\n// crate::filter::codegen in a comment\n",
        )
        .unwrap();
        let found = cycles(&file_graph(&root));
        fs::remove_dir_all(&root).unwrap();
        assert!(found.iter().any(|c| c.starts_with("filter::codegen -> ")), "case {n}: no cycle found: {found:?}");
    }
}
