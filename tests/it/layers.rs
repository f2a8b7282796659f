//! The layer rule of docs/ARCHITECTURE.md, checked on the source: calls go
//! one way, proto ← model ← net ← diagnose ← report ← command. A file may
//! name (`crate::…`) only modules of its own layer or a lower one.

use std::path::{Path, PathBuf};

/// The rank of a top-level module: lower layers have lower ranks.
fn rank(top: &str) -> Option<u8> {
    Some(match top {
        "proto" => 0,
        "model" | "clock" => 1,
        "net" => 2,
        "diagnose" => 3,
        "report" | "exit" | "cli" => 4,
        "command" | "manpage" => 5,
        _ => return None,
    })
}

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

/// Every `crate::name` in the code (comments left out) of one file.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push((n + 1, name));
            rest = after;
        }
    }
    found
}

#[test]
fn calls_go_one_way_from_command_down_to_proto() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs");
        let Some(own) = rank(top) else { continue };
        checked += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (line, name) in crate_paths(&text) {
            if let Some(theirs) = rank(&name) {
                if theirs > own {
                    wrong.push(format!(
                        "src/{}:{line}: {top} uses crate::{name}",
                        rel.display()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 40,
        "the walk found only {checked} files under {}",
        src.display()
    );
    assert!(
        wrong.is_empty(),
        "calls that go up a layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_call() {
    let paths = crate_paths("use crate::report::text;\n// crate::command in a comment\n");
    assert_eq!(paths, vec![(1, "report".to_owned())]);
    assert!(rank("report") > rank("proto"));
}

#[test]
fn proto_model_and_diagnose_do_no_io_and_read_no_clock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let io = [
        "tokio::",
        "std::fs",
        "std::net::TcpStream",
        "SystemTime::now",
        "Instant::now",
        "OffsetDateTime::now",
        "println!",
        "eprintln!",
    ];
    let mut wrong = Vec::new();
    for layer in ["proto", "model", "diagnose"] {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        for file in files {
            // Tests may time themselves and read fixtures; the code above
            // them may not. Unit tests live after `#[cfg(test)]` or in a
            // sibling `tests.rs` (declared `#[cfg(test)] mod tests;`).
            if is_unit_test_module(&file) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let line = line.split("//").next().unwrap_or("");
                if let Some(word) = io.iter().find(|w| line.contains(*w)) {
                    wrong.push(format!("{}:{}: {word}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "I/O or clocks in a pure layer:\n{}",
        wrong.join("\n")
    );
}

/// True for `dir/tests.rs` when `dir.rs` or `dir/mod.rs` declares it as
/// `#[cfg(test)] mod tests;`: test code, compiled only for tests.
fn is_unit_test_module(file: &Path) -> bool {
    if file.file_name().is_none_or(|n| n != "tests.rs") {
        return false;
    }
    let Some(dir) = file.parent() else {
        return false;
    };
    [dir.with_extension("rs"), dir.join("mod.rs")]
        .iter()
        .filter_map(|parent| std::fs::read_to_string(parent).ok())
        .any(|text| text.contains("#[cfg(test)]\nmod tests;"))
}

/// The `[lints.*]` tables of a manifest: section headers and settings,
/// comments and blank lines left out.
fn lint_tables(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line.starts_with("[lints");
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            out.push(line.to_owned());
        }
    }
    out
}

#[test]
fn fuzz_targets_share_the_crate_lints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let crate_lints = lint_tables(&read("Cargo.toml"));
    assert!(
        crate_lints.iter().any(|l| l.starts_with("too_many_lines")),
        "Cargo.toml has no [lints] table: {crate_lints:?}"
    );
    assert_eq!(crate_lints, lint_tables(&read("fuzz/Cargo.toml")));
}
