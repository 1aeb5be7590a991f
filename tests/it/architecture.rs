//! The house's shape: no import cycle among ketch's modules. Reads every `src/**/*.rs` file's
//! `crate::...` and `super::...` paths (comments and `#[cfg(test)]` modules left out), resolves
//! each to the module (file) it names, and looks for cycles at every level of the tree: among
//! the top-level modules (`src/deps` ↔ `src/package` was one), and among the siblings of each
//! folder (`chart/loader` ↔ `chart/archive` was one). A module and its own descendants may
//! refer to each other: that is how a folder's `mod.rs` and its files share types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::REPO;

type ModulePath = Vec<String>;

/// Every module of `src/` (as `chart::loader`) with the text of its file, tests stripped.
fn modules() -> BTreeMap<ModulePath, String> {
    let mut found = BTreeMap::new();
    let root = Path::new(REPO).join("src");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: ModulePath = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                continue;
            }
            found.insert(module, code_of(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    found
}

/// The text without comments and without the unit tests at the end.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths after `prefix` in `code` (`crate::a::b::C` gives `[a, b, C]`).
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        let mut path = Vec::new();
        for part in rest.split("::") {
            let name: &str = part
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            if name.is_empty() {
                break;
            }
            path.push(name);
            if name.len() != part.len() {
                break;
            }
        }
        out.push(path);
    }
    out
}

/// Module → the modules its code refers to (the longest module prefix of each path).
fn references(
    modules: &BTreeMap<ModulePath, String>,
) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let resolve = |path: Vec<String>| -> Option<ModulePath> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains_key(p))
    };
    let mut edges = BTreeMap::new();
    for (module, code) in modules {
        let mut targets = BTreeSet::new();
        for path in paths_after(code, "crate::") {
            targets.extend(resolve(path.iter().map(|s| s.to_string()).collect()));
        }
        let parent = &module[..module.len().saturating_sub(1)];
        for path in paths_after(code, "super::") {
            let mut full: ModulePath = parent.to_vec();
            full.extend(path.iter().map(|s| s.to_string()));
            targets.extend(resolve(full));
        }
        targets.remove(module);
        edges.insert(module.clone(), targets);
    }
    edges
}

/// Strongly connected components of more than one node (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<ModulePath>> {
    struct Search<'g> {
        graph: &'g BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        index: BTreeMap<&'g ModulePath, usize>,
        low: BTreeMap<&'g ModulePath, usize>,
        stack: Vec<&'g ModulePath>,
        found: Vec<Vec<ModulePath>>,
    }
    impl<'g> Search<'g> {
        fn visit(&mut self, v: &'g ModulePath) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !search.index.contains_key(v) {
            search.visit(v);
        }
    }
    search.found
}

/// The graph among siblings: `a` → `b` when something in `a` (or below it) refers to
/// something in `b` (or below it), `a` and `b` children of the same folder.
fn sibling_graph(
    edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let mut graph: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (from, targets) in edges {
        for to in targets {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // a module and its own descendants
            }
            graph
                .entry(from[..=common].to_vec())
                .or_default()
                .insert(to[..=common].to_vec());
        }
    }
    graph
}

#[test]
fn no_module_imports_itself_through_others() {
    let modules = modules();
    assert!(modules.len() > 100, "read only {} modules", modules.len());
    let edges = references(&modules);
    // The reader finds what it should: a known edge.
    assert!(edges[&vec!["deps".to_string()]].contains(&vec!["digest".to_string()]));
    let found: Vec<String> = cycles(&sibling_graph(&edges))
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" <-> ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "modules that import each other (through `crate::` or `super::` paths):\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let module = |s: &str| -> ModulePath { s.split("::").map(String::from).collect() };
    let graph: BTreeMap<ModulePath, BTreeSet<ModulePath>> = [
        ("a", vec!["b::x"]),
        ("b::x", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
        ("b", vec!["b::x"]),
    ]
    .into_iter()
    .map(|(k, v)| (module(k), v.into_iter().map(module).collect()))
    .collect();
    let found = cycles(&sibling_graph(&graph));
    assert_eq!(found, [vec![module("a"), module("b"), module("c")]]);
    let code = "use crate::chart::{self, ChartFile};\n let x = super::loader::load(p);";
    assert_eq!(paths_after(code, "crate::"), [vec!["chart"]]);
    assert_eq!(paths_after(code, "super::"), [vec!["loader", "load"]]);
}
