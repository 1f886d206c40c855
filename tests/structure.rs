//! The project's shape, checked: the layers of `src/` point down and never round in a circle,
//! and every text key the code uses is in the catalogs. `docs/ARCHITECTURE.md` explains both.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer. A new module must be added here, to the layer
/// `docs/ARCHITECTURE.md` says it belongs to.
const LAYERS: &[(&str, Layer)] = &[
    ("cli", Layer::Entry),
    ("server", Layer::Entry),
    ("admin", Layer::Feature),
    ("contacts", Layer::Feature),
    ("customers", Layer::Feature),
    ("documents", Layer::Feature),
    ("exchange", Layer::Feature),
    ("home", Layer::Feature),
    ("privacy", Layer::Feature),
    ("inbox", Layer::Feature),
    ("tasks", Layer::Feature),
    ("users", Layer::Feature),
    ("ytj", Layer::Feature),
    ("assets", Layer::Core),
    ("auth", Layer::Core),
    ("config", Layer::Core),
    ("db", Layer::Core),
    ("error", Layer::Core),
    ("http", Layer::Core),
    ("i18n", Layer::Core),
    ("jobs", Layer::Core),
    ("log", Layer::Core),
    ("mail", Layer::Core),
    ("register", Layer::Core),
    ("settings", Layer::Core),
    ("views", Layer::Core),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Core,
    Feature,
    Entry,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules of `src/` (files and folders; `lib.rs` and `main.rs` are the root).
fn top_level_modules() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(src_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let is_module = path.is_dir() || path.extension().is_some_and(|e| e == "rs");
        if is_module && name != "lib" && name != "main" {
            out.push((name, path));
        }
    }
    out.sort();
    out
}

/// The top-level modules a piece of source names: `crate::x` and each name of `crate::{x, y}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                names.insert(ident(item.trim()));
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Arrows `from → to` between the top-level modules, for every `crate::to` in `from`'s files.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = top_level_modules();
    let names: HashSet<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
    let mut graph = BTreeMap::new();
    for (name, path) in &modules {
        let files = if path.is_dir() {
            rust_sources(path.clone())
        } else {
            vec![path.clone()]
        };
        let mut arrows = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for to in named_modules(&text) {
                if to != *name && names.contains(to.as_str()) {
                    arrows.insert(to);
                }
            }
        }
        graph.insert(name.clone(), arrows);
    }
    graph
}

fn layer_of(module: &str) -> Layer {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
        .unwrap_or_else(|| panic!("src/{module} is in no layer: add it to LAYERS in tests/structure.rs and to docs/ARCHITECTURE.md"))
}

#[test]
fn every_arrow_between_modules_points_down_or_within_the_layer() {
    let graph = module_graph();
    assert!(graph.len() > 10, "the scan found only {graph:?}");
    let mut upward = Vec::new();
    for (from, arrows) in &graph {
        for to in arrows {
            if layer_of(to) > layer_of(from) {
                upward.push(format!(
                    "{from} ({:?}) uses {to} ({:?})",
                    layer_of(from),
                    layer_of(to)
                ));
            }
        }
    }
    assert!(upward.is_empty(), "arrows pointing up: {upward:#?}");
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = module_graph();
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut HashSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            cycles.push(cycle.join(" → "));
            return;
        }
        if !done.insert(node.to_string()) {
            return;
        }
        path.push(node.to_string());
        for next in &graph[node] {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = HashSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(
        cycles.is_empty(),
        "cycles among the modules of src/: {cycles:#?}"
    );
}

#[test]
fn the_scan_sees_grouped_and_nested_uses() {
    let names = named_modules("use crate::{db, http::Ctx};\nlet x = crate::log::append(tx);");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["db", "http", "log"]);
}

fn catalog(file: &str) -> HashMap<String, String> {
    std::fs::read_to_string(src_dir().join("i18n").join(file))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn every_key_the_code_uses_exists() {
    let fi = catalog("fi.txt");
    let mut missing = Vec::new();
    let mut used = 0;
    for file in rust_sources(src_dir()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for key in used_keys(&text) {
            used += 1;
            if !fi.contains_key(key.as_str()) {
                missing.push(format!("{}: {key}", file.display()));
            }
        }
    }
    assert!(
        used > 50,
        "the scan found only {used} keys; is the pattern still right?"
    );
    assert!(
        missing.is_empty(),
        "keys used in code but in no catalog: {missing:#?}"
    );
}

fn rust_sources(dir: PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_sources(path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// String literals shaped like a catalog key (`section.name`) whose section is one the
/// catalogs have; event kinds (`user.created`) and file names (`style.css`) are not keys.
fn used_keys(text: &str) -> Vec<String> {
    let en = catalog("en.txt");
    let sections: HashSet<&str> = en.keys().filter_map(|k| k.split('.').next()).collect();
    let not_keys = [
        ".db", ".txt", ".css", ".js", ".json", ".svg", ".csv", ".vcf",
    ];
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|lit| {
            let shaped = lit.contains('.')
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
            shaped
                && !lit.ends_with('.')
                && sections.contains(lit.split('.').next().unwrap_or(""))
                && minicrm::log::EventKind::parse(lit).is_none()
                && !not_keys.iter().any(|ext| lit.ends_with(ext))
        })
        .map(str::to_string)
        .collect()
}
