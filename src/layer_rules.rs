//! The layer rule, checked: every `crate::<module>` path in `src/` is read,
//! and an edge from a lower layer to a higher one, or a cycle between
//! top-level modules, fails the test. Run it alone with
//! `cargo test --lib layer_rules`. The layers are drawn in
//! `docs/architecture.md` and at the top of `src/lib.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, lowest first. A module may name modules of
/// its own layer or below, never above.
const LAYERS: &[(&str, u8)] = &[
    ("clock", 0),
    ("domain", 0),
    ("store", 1),
    ("fixture", 1),
    ("journal", 2),
    ("engine", 2),
    ("outbound", 2),
    ("world", 3),
    ("context", 4),
    ("carriers", 5),
    ("sms", 5),
    ("devices", 5),
    ("control", 5),
    ("web", 5),
    ("conform", 5),
    ("server", 6),
];

/// Edges against the order that are known and being removed, with why.
/// Keep this list short; delete an entry as soon as its edge is gone.
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn rank(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The Rust files of a top-level module (`src/x.rs` or `src/x/**.rs`).
fn files_of(src: &Path, module: &str) -> Vec<PathBuf> {
    let single = src.join(format!("{module}.rs"));
    if single.is_file() {
        return vec![single];
    }
    let mut out = Vec::new();
    let mut dirs = vec![src.join(module)];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).expect("read src dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// Top-level modules named by `crate::x` paths in code (comments skipped),
/// including each item of a `crate::{a, b::c}` group.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            // `$crate::` and `other_crate::` are not this crate.
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    out.insert(ident(item.trim()));
                }
            } else {
                out.insert(ident(rest));
            }
        }
    }
    out.remove("");
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// `module → modules it names`, for every top-level module.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for (module, _) in LAYERS {
        let mut named = BTreeSet::new();
        for f in files_of(&src, module) {
            let text = std::fs::read_to_string(&f).expect("read source");
            named.extend(named_modules(&text));
        }
        named.remove(*module);
        named.retain(|m| rank(m).is_some());
        graph.insert(module.to_string(), named);
    }
    graph
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).expect("read src").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let module = name.strip_suffix(".rs").unwrap_or(&name).to_string();
        if matches!(module.as_str(), "lib" | "main" | "layer_rules") {
            continue;
        }
        assert!(
            rank(&module).is_some(),
            "src/{name} is a top-level module without a layer: add it to LAYERS and to docs/architecture.md"
        );
    }
}

#[test]
fn layers_point_one_way() {
    let mut wrong = Vec::new();
    for (from, named) in edges() {
        for to in named {
            let (a, b) = (rank(&from).unwrap(), rank(&to).unwrap());
            let known = KNOWN_EXCEPTIONS
                .iter()
                .any(|(f, t, _)| *f == from && *t == to);
            if b > a && !known {
                wrong.push(format!("{from} (layer {a}) names {to} (layer {b})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order (domain/clock ← store/fixture ← journal/engine ← world ← context ← surfaces ← server):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_cycle_between_top_level_modules() {
    let mut graph = edges();
    for (from, to, _) in KNOWN_EXCEPTIONS {
        if let Some(named) = graph.get_mut(*from) {
            named.remove(*to);
        }
    }
    // A module on a cycle reaches itself; report each such pair once.
    let mut cycles = BTreeSet::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = graph[start].iter().collect();
        while let Some(m) = stack.pop() {
            if !seen.insert(m.clone()) {
                continue;
            }
            if graph[m].contains(start) {
                let pair = if start < m {
                    (start.clone(), m.clone())
                } else {
                    (m.clone(), start.clone())
                };
                cycles.insert(pair);
            }
            stack.extend(graph[m].iter());
        }
    }
    assert!(
        cycles.is_empty(),
        "module cycles (each pair reaches the other): {cycles:?}"
    );
}

#[test]
fn the_scanner_reads_paths_and_groups() {
    let text = "use crate::world::World;\nuse crate::{clock, domain::Card};\n// crate::server in a comment\nlet x = $crate::y; other_crate::z;";
    let found: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(found, ["clock", "domain", "world"]);
}
