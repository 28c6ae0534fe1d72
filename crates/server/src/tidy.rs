//! Tidy checks in the spirit of rust-analyzer's: the layout and the
//! invariants docs/ARCHITECTURE.md states, checked against the source tree.
//! Each failure says which file breaks which rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, as paths relative to the workspace.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let skip = ["target", "node_modules", ".venv-test", ".venv-bench"];
            if path.is_dir() && !skip.iter().any(|s| name == *s) {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    let root = workspace().canonicalize().unwrap();
    let full = path.canonicalize().unwrap();
    full.strip_prefix(&root).unwrap().display().to_string()
}

#[test]
fn every_file_says_what_it_is_for() {
    let root = workspace();
    let mut missing = Vec::new();
    for dir in [
        "crates",
        "src",
        "tests",
        "benches",
        "fuzz/src",
        "fuzz/tests",
    ] {
        for file in rust_files(&root.join(dir)) {
            let text = read(&file);
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                missing.push(relative(&file));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a `//!` header: {missing:#?}"
    );
}

/// The server's module files (tests aside), as paths under `crates/server/src`.
fn server_modules() -> Vec<String> {
    let src = workspace().join("crates/server/src");
    rust_files(&src)
        .into_iter()
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .filter(|f| !f.ends_with("tests.rs") && !f.contains("/tests/") && f != "tidy.rs")
        .collect()
}

#[test]
fn the_code_map_names_every_server_module_and_only_those() {
    let doc = read(&workspace().join("docs/ARCHITECTURE.md"));
    let modules = server_modules();
    let unnamed: Vec<&String> = modules
        .iter()
        .filter(|m| !doc.contains(&format!("`{m}`")) && !doc.contains(&format!("server/src/{m}")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "docs/ARCHITECTURE.md's code map does not name: {unnamed:#?}"
    );
    // Every `server/src/…​.rs` the doc names exists.
    let src = workspace().join("crates/server/src");
    let mut stale = Vec::new();
    for (i, _) in doc.match_indices("server/src/") {
        let rest = &doc[i + "server/src/".len()..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || "/_.".contains(c)));
        let named = rest[..end.unwrap_or(rest.len())].trim_end_matches('.');
        if named.ends_with(".rs") && !src.join(named).exists() {
            stale.push(named.to_owned());
        }
    }
    assert!(
        stale.is_empty(),
        "docs/ARCHITECTURE.md names missing files: {stale:#?}"
    );
}

/// `crate::a::b::C` → the file that defines module `a::b` (or `a::b::C`).
fn module_file(src: &Path, path: &[&str]) -> Option<String> {
    for n in (1..=path.len()).rev() {
        let segs = &path[..n];
        for candidate in [
            format!("{}.rs", segs.join("/")),
            format!("{}/mod.rs", segs.join("/")),
        ] {
            if src.join(&candidate).exists() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The `use crate::…` edges between the server's module files.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = workspace().join("crates/server/src");
    let mut graph = BTreeMap::new();
    for module in server_modules() {
        if module == "lib.rs" {
            continue;
        }
        let text = read(&src.join(&module));
        // Imports up to the first test module: tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut edges = BTreeSet::new();
        for statement in code.split(';') {
            let s = statement.trim();
            let Some(rest) = s
                .strip_prefix("use crate::")
                .or_else(|| s.strip_prefix("pub(crate) use crate::"))
            else {
                continue;
            };
            let head: Vec<&str> = rest
                .split(['{', ' '])
                .next()
                .unwrap_or("")
                .split("::")
                .filter(|p| !p.is_empty())
                .collect();
            if let Some(target) = module_file(&src, &head) {
                if target != module && target != "lib.rs" {
                    edges.insert(target);
                }
            }
        }
        graph.insert(module, edges);
    }
    graph
}

#[test]
fn the_server_has_no_import_cycles() {
    let graph = import_graph();
    // Depth-first search with the path kept, so a cycle is shown whole.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
    // The layering the folders promise: the HTTP layer and the URL signer
    // import nothing of the request flows.
    for (module, edges) in &graph {
        let low = module.starts_with("http/") || module.starts_with("links/");
        for target in edges {
            let high = ["media/", "admin/", "cli/", "core.rs"]
                .iter()
                .any(|h| target.starts_with(h));
            assert!(!(low && high), "{module} imports {target}");
        }
    }
}

/// Crates a library must not name: the HTTP stack stays in the server.
const HTTP_CRATES: [&str; 6] = [
    "http",
    "http-body",
    "http-body-util",
    "hyper",
    "hyper-util",
    "headers",
];

fn dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once('=') {
                out.push(name.trim().trim_end_matches(".workspace").to_owned());
            }
        }
    }
    out
}

#[test]
fn only_the_server_knows_http() {
    for krate in ["auth", "transform", "storage", "hls"] {
        let manifest = read(&workspace().join(format!("crates/{krate}/Cargo.toml")));
        let deps = dependencies(&manifest);
        assert!(
            krate == "hls" || !deps.is_empty(),
            "{krate}: no dependencies read"
        );
        for dep in &deps {
            assert!(
                !HTTP_CRATES.contains(&dep.as_str()),
                "signet-{krate} depends on {dep}"
            );
        }
        for file in rust_files(&workspace().join(format!("crates/{krate}/src"))) {
            let text = read(&file);
            for word in ["StatusCode", "hyper::"] {
                assert!(!text.contains(word), "{} names {word}", relative(&file));
            }
            // The `http` crate itself; the S3 SDK's own `…::http::` types
            // (how storage talks to a bucket) are the SDK's business.
            let direct = text
                .match_indices("http::")
                .any(|(i, _)| !text[..i].ends_with("::"));
            assert!(!direct, "{} uses the http crate", relative(&file));
        }
    }
}

#[test]
fn auth_transform_and_hls_do_no_io() {
    for krate in ["auth", "transform", "hls"] {
        for file in rust_files(&workspace().join(format!("crates/{krate}/src"))) {
            let text = read(&file);
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for word in [
                "std::fs",
                "std::net",
                "tokio",
                "SystemTime::now",
                "std::env",
            ] {
                assert!(!code.contains(word), "{} uses {word}", relative(&file));
            }
        }
    }
}

#[test]
fn the_pipeline_reads_a_typed_plan_not_option_names() {
    let dir = workspace().join("crates/transform/src/pipeline");
    for file in rust_files(&dir) {
        let text = read(&file);
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        if file.ends_with("tests.rs") {
            continue;
        }
        for word in ["options.get(", ".get(\""] {
            assert!(
                !code.contains(word),
                "{} looks options up by name ({word})",
                relative(&file)
            );
        }
    }
}

#[test]
fn library_crates_deny_unwrap_on_data() {
    for krate in ["auth", "transform", "storage", "server", "hls"] {
        let lib = read(&workspace().join(format!("crates/{krate}/src/lib.rs")));
        assert!(
            lib.contains("deny(clippy::unwrap_used, clippy::expect_used)"),
            "signet-{krate} does not deny unwrap/expect outside tests"
        );
    }
}

#[test]
fn only_the_error_map_sets_error_statuses() {
    let src = workspace().join("crates/server/src");
    for module in server_modules() {
        if module == "http/error.rs" {
            continue;
        }
        let text = read(&src.join(&module));
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, _) in code.match_indices("StatusCode::") {
            let name: String = code[i + "StatusCode::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            let success =
                ["OK", "NO_CONTENT", "PARTIAL_CONTENT", "NOT_MODIFIED"].contains(&name.as_str());
            assert!(
                success,
                "{module} sets StatusCode::{name}: return an Error instead"
            );
        }
    }
}
