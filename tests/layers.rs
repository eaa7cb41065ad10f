//! The module graph under src/ has layers, and every import points down them.
//!
//! Reads every `use` tree and every `crate::…`/`super::…` path in src/ (test modules
//! aside), resolves each to the file that defines the module it names, and fails on an
//! import cycle between files or on a file that names one in a higher layer. It prints the
//! layer of each file, so `cargo test --test layers -- --nocapture` draws the map.
//!
//! A module's `mod.rs` is a facade: it declares its children and re-exports them, so the
//! children import each other directly, never through their own facade.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom to top. A file belongs to the first layer whose prefix its path starts with.
const LAYERS: &[(&str, &[&str])] = &[
    ("base: leaves anyone may use", &["base/"]),
    (
        "building blocks: signatures, payloads, policies, sessions (pure)",
        &["sigv4/", "payload/", "policy/", "session/"],
    ),
    ("configuration: the typed model and its loader", &["config/"]),
    ("decision: classify, authenticate, authorize (pure)", &["decision/"]),
    ("operations: access log, reload, request accounting", &["ops/"]),
    ("store side: forwarding, pool, bodies, embedded store", &["store/"]),
    ("edge: listeners, the request handler, STS, admin, CLI", &["edge/"]),
    ("crate root", &["lib.rs", "main.rs"]),
];

fn layer_of(file: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, prefixes)| prefixes.iter().any(|p| file.starts_with(p)))
}

/// `policy/parse.rs` → `["policy", "parse"]`; `policy/mod.rs` → `["policy"]`.
fn module_path(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

fn strip_comments_and_tests(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.lines() {
        let code = line.split("//").next().unwrap_or("");
        if code.trim_start().starts_with("#[cfg(test)]") {
            // Everything after the first test gate is test code in this codebase's style
            // (`#[cfg(test)] mod tests;` comes last).
            break;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand_use(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let mut path = prefix.to_vec();
        path.extend(tree.split("::").map(|s| s.split_whitespace().next().unwrap_or("").to_owned()));
        path.retain(|s| !s.is_empty());
        out.push(path);
        return;
    };
    let mut base = prefix.to_vec();
    base.extend(tree[..open].split("::").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand_use(&base, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        expand_use(&base, &inner[start..], out);
    }
}

struct Graph {
    files: BTreeMap<String, Vec<String>>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn read_tree(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_tree(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            if rel.ends_with("tests.rs") || rel.contains("/tests/") {
                continue;
            }
            out.insert(rel, std::fs::read_to_string(&path).unwrap());
        }
    }
}

fn build() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    read_tree(&root, &root, &mut sources);
    let files: BTreeMap<String, Vec<String>> = sources.keys().map(|f| (f.clone(), module_path(f))).collect();
    let by_module: BTreeMap<Vec<String>, String> = files.iter().map(|(f, m)| (m.clone(), f.clone())).collect();
    let resolve = |segments: &[String]| -> Option<String> {
        (1..=segments.len()).rev().find_map(|n| by_module.get(&segments[..n]).cloned())
    };

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, src) in &sources {
        let me = &files[file];
        let code = strip_comments_and_tests(src);
        let mut paths = Vec::new();
        for stmt in code.split(';') {
            if let Some(at) = stmt.find("use ") {
                let before = &stmt[..at];
                if before.trim().is_empty() || before.trim_end().ends_with("pub") || before.trim_end().ends_with(')') {
                    expand_use(&[], &stmt[at + 4..], &mut paths);
                }
            }
        }
        for (i, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
            let word: String =
                code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            paths.push(word.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
        }
        for path in paths {
            let Some(first) = path.first() else { continue };
            let target: Vec<String> = match first.as_str() {
                "crate" => path[1..].to_vec(),
                "super" => {
                    let mut at = me.clone();
                    let mut rest = &path[..];
                    while rest.first().is_some_and(|s| s == "super") {
                        at.pop();
                        rest = &rest[1..];
                    }
                    at.extend(rest.iter().cloned());
                    at
                }
                "self" => me.iter().chain(&path[1..]).cloned().collect(),
                // A child module named relatively (`pub use parse::PolicyError` in a facade).
                name if by_module.contains_key(&[me.clone(), vec![name.to_owned()]].concat()) => {
                    me.iter().chain(&path).cloned().collect()
                }
                _ => continue,
            };
            if let Some(to) = resolve(&target)
                && &to != file
                && to != "lib.rs"
            {
                edges.entry(file.clone()).or_default().insert(to);
            }
        }
    }
    Graph { files, edges }
}

/// Files on a cycle, one list per strongly connected component (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct Walk<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, file: &'a str) {
        let order = walk.index.len();
        walk.index.insert(file, order);
        walk.low.insert(file, order);
        walk.stack.push(file);
        walk.on_stack.insert(file);
        let graph = walk.g;
        for to in graph.edges.get(file).into_iter().flatten() {
            if !walk.index.contains_key(to.as_str()) {
                visit(walk, to);
                let low = walk.low[to.as_str()].min(walk.low[file]);
                walk.low.insert(file, low);
            } else if walk.on_stack.contains(to.as_str()) {
                let low = walk.index[to.as_str()].min(walk.low[file]);
                walk.low.insert(file, low);
            }
        }
        if walk.low[file] == walk.index[file] {
            let mut component = Vec::new();
            while let Some(x) = walk.stack.pop() {
                walk.on_stack.remove(x);
                component.push(x.to_owned());
                if x == file {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                walk.found.push(component);
            }
        }
    }
    let mut w = Walk {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for f in g.files.keys() {
        if !w.index.contains_key(f.as_str()) {
            visit(&mut w, f);
        }
    }
    w.found
}

#[test]
fn every_import_points_down_and_no_file_imports_itself_back() {
    let g = build();
    let mut problems = Vec::new();
    for (i, (name, _)) in LAYERS.iter().enumerate() {
        println!("layer {i}: {name}");
        for f in g.files.keys().filter(|f| layer_of(f) == Some(i)) {
            let deps: Vec<&str> = g.edges.get(f).into_iter().flatten().map(String::as_str).collect();
            println!("    {f:<28} -> {}", deps.join(", "));
        }
    }
    for f in g.files.keys() {
        let Some(mine) = layer_of(f) else {
            problems.push(format!("{f} is in no layer (add its folder to LAYERS)"));
            continue;
        };
        for to in g.edges.get(f).into_iter().flatten() {
            if layer_of(to).is_some_and(|theirs| theirs > mine) {
                problems.push(format!("{f} (layer {mine}) names {to}, a higher layer"));
            }
        }
    }
    for c in cycles(&g) {
        problems.push(format!("import cycle between {}", c.join(", ")));
    }
    assert!(problems.is_empty(), "layering broken:\n  {}", problems.join("\n  "));
    // The check itself must see the graph: a parser that found no edges would pass anything.
    assert!(g.edges.values().map(BTreeSet::len).sum::<usize>() > 50, "the import parser found almost nothing");
}

#[test]
fn no_source_file_is_over_400_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let n = std::fs::read_to_string(&path).unwrap().lines().count();
                if n > 400 {
                    long.push(format!("{} ({n} lines)", path.strip_prefix(&root).unwrap().display()));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these files: {long:?}");
}

#[test]
fn the_parser_sees_cycles_and_upward_imports() {
    // Self-test on a made-up tree, so a broken parser cannot pass the real one silently.
    let mut out = Vec::new();
    expand_use(&[], "crate::a::{b, c::{d, e as f}}", &mut out);
    let got: Vec<String> = out.iter().map(|p| p.join("::")).collect();
    assert_eq!(got, ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]);
    let g = Graph {
        files: [("x.rs", vec!["x"]), ("y.rs", vec!["y"])]
            .into_iter()
            .map(|(f, m)| (f.to_owned(), m.into_iter().map(str::to_owned).collect()))
            .collect(),
        edges: [("x.rs", "y.rs"), ("y.rs", "x.rs")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), BTreeSet::from([b.to_owned()])))
            .collect(),
    };
    assert_eq!(cycles(&g), vec![vec!["x.rs".to_owned(), "y.rs".to_owned()]]);
    assert_eq!(layer_of("edge/gate.rs"), Some(6));
    assert!(layer_of("decision/decide.rs") < layer_of("store/upstream.rs"));
}
