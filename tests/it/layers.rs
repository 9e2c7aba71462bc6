//! The tree shows the layers: the domain (everything but `api` and `cli`) knows nothing of
//! HTTP or the command line, clap is used only in `cli`, axum only in `api` and `cli`
//! (which starts the server), and the top-level modules depend on each other without a
//! circle. Read from the source text, so a new `use` that breaks a rule fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its `#[cfg(test)]` module (tests may
/// reach across layers to check them).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Per source file (path below `src/`), its code.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code_of(&std::fs::read_to_string(&p).unwrap()))
        })
        .collect()
}

/// The top-level module a source file belongs to (`spatial/points.rs` → `spatial`).
fn module_of(rel: &str) -> &str {
    rel.split('/').next().unwrap().trim_end_matches(".rs")
}

/// The top-level modules a file's code names through `crate::`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

fn names(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && after == Some(':')
    })
}

#[test]
fn the_domain_knows_nothing_of_http_or_the_command_line() {
    let mut wrong = Vec::new();
    for (rel, code) in sources() {
        let module = module_of(&rel);
        if matches!(module, "lib" | "main") {
            continue;
        }
        if module != "cli" && names(&code, "clap") {
            wrong.push(format!("{rel} uses clap"));
        }
        if !matches!(module, "api" | "cli") && names(&code, "axum") {
            wrong.push(format!("{rel} uses axum"));
        }
        let paths = crate_paths(&code);
        if !matches!(module, "api" | "cli") && paths.contains("api") {
            wrong.push(format!("{rel} uses crate::api"));
        }
        if module != "cli" && paths.contains("cli") {
            wrong.push(format!("{rel} uses crate::cli"));
        }
    }
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn top_level_modules_depend_on_each_other_without_a_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in sources() {
        let module = module_of(&rel).to_string();
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let uses = crate_paths(&code)
            .into_iter()
            .filter(|m| *m != module)
            .collect::<BTreeSet<_>>();
        graph.entry(module).or_default().extend(uses);
    }
    assert!(graph.len() > 5, "the source tree was not found: {graph:?}");
    // Depth-first search for a back edge; the circle found is reported in full.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut circle = path[i..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import circle: {}", circle.join(" → "));
        }
    }
}

#[test]
fn the_rules_catch_what_they_look_for() {
    // The checks above must be able to fail: their parts find what they look for.
    let code = code_of(
        "use crate::api::AppState;\n// use crate::cli::x;\nfn f() { clap::Parser::parse(); }",
    );
    assert_eq!(crate_paths(&code), BTreeSet::from(["api".to_string()]));
    assert!(names(&code, "clap"));
    assert!(!names("let clapper = 1;", "clap"));
    assert_eq!(module_of("spatial/points.rs"), "spatial");
    assert_eq!(module_of("visibility.rs"), "visibility");
}
