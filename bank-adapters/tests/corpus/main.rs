//! Corpus expectations: every statement file under `../shared/corpora` is
//! listed in `tests/corpus.toml` with its outcome, read in place (the files
//! are third-party, some AGPL or LGPL, and never copied here), compared line
//! by line with the third party's own expected parse where there is one, and
//! with a hand-checked snapshot of our contract JSON where there is none.

// A test that cannot read its own fixtures should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod expected;
mod genkgo;
mod oca;
mod svenstaro;
mod wolph;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bank_adapters::{ParseOptions, ParsedFile, contract, parse, parse_reader};
use serde::Deserialize;

const CORPORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpora");
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots");
const FOLDERS: [&str; 3] = ["camt053", "camt054", "mt940"];

#[derive(Deserialize)]
struct Manifest {
    file: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    statements: Option<usize>,
    lines: Option<usize>,
    error: Option<String>,
    reason: Option<String>,
    /// `kind:path` of a third-party expectation: svenstaro, genkgo, wolph or oca.
    expectation: Option<String>,
    /// Our own contract JSON, checked by hand, for files no third party describes.
    snapshot: Option<String>,
    /// Differences from the third party that are its mistakes, exactly as reported...
    #[serde(default)]
    accept: Vec<String>,
    /// ...and why (required with `accept`).
    accept_reason: Option<String>,
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(CORPORA);
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the corpus at {CORPORA} is missing, and CI=true requires it");
    }
    eprintln!("note: no corpus at {CORPORA}; corpus expectations not checked");
    None
}

fn is_expectation_or_meta(name: &str) -> bool {
    name == "SOURCES.md"
        || name.starts_with("LICENSE")
        || [".json", ".yml", ".pydata"].iter().any(|e| name.ends_with(e))
}

fn statement_files(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if let Some(name) = p.file_name().and_then(|n| n.to_str())
                && !is_expectation_or_meta(name)
                && let Ok(rel) = p.strip_prefix(root)
            {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    for f in FOLDERS {
        walk(&root.join(f), root, &mut out);
    }
    out
}

fn manifest() -> Manifest {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus.toml")).expect("tests/corpus.toml");
    toml::from_str(&text).expect("corpus.toml is valid")
}

fn third_party(root: &Path, spec: &str, ours: &ParsedFile) -> Result<Vec<String>, String> {
    let (kind, rel) = spec.split_once(':').ok_or("expectation is kind:path")?;
    let text = std::fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    match kind {
        "svenstaro" => Ok(expected::compare(ours, &svenstaro::load(&text)?)),
        "wolph" => Ok(expected::compare(ours, &wolph::load(&text)?)),
        "oca" => Ok(expected::compare(ours, &oca::load(&text)?)),
        "genkgo" => {
            let (exp, id) = genkgo::load(&text)?;
            // genkgo prints its first statement only.
            let mut one = ours.clone();
            one.statements.retain(|s| id.is_none() || s.id == id);
            one.statements.truncate(1);
            Ok(expected::compare(&one, &exp))
        }
        other => Err(format!("unknown expectation kind {other}")),
    }
}

/// Lines a third party expects, for files we refuse: it must expect none, so
/// that refusing the file loses nothing.
fn third_party_line_count(root: &Path, spec: &str) -> Result<usize, String> {
    let (kind, rel) = spec.split_once(':').ok_or("expectation is kind:path")?;
    let text = std::fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    Ok(match kind {
        "svenstaro" => svenstaro::load(&text)?.lines.len(),
        "wolph" => wolph::load(&text)?.lines.len(),
        "oca" => oca::load(&text)?.lines.len(),
        "genkgo" => genkgo::load(&text)?.0.lines.len(),
        other => return Err(format!("unknown expectation kind {other}")),
    })
}

fn check_snapshot(name: &str, ours: &ParsedFile) -> Result<(), String> {
    let path = Path::new(SNAPSHOTS).join(name);
    let actual = serde_json::to_string_pretty(&contract::to_json(ours)).map_err(|e| e.to_string())? + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &actual).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let stored = std::fs::read_to_string(&path).map_err(|e| format!("snapshot {name}: {e}"))?;
    if stored != actual {
        return Err(format!("differs from snapshot {name} (UPDATE_SNAPSHOTS=1 rewrites it; check the diff by hand)"));
    }
    Ok(())
}

#[test]
fn every_corpus_file_meets_its_expectation() {
    let Some(root) = corpus_dir() else { return };
    let m = manifest();
    let listed: BTreeSet<String> = m.file.iter().map(|e| e.path.clone()).collect();
    let present = statement_files(&root);
    let unlisted: Vec<_> = present.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&present).collect();
    assert!(unlisted.is_empty(), "statement files missing from corpus.toml: {unlisted:#?}");
    assert!(missing.is_empty(), "corpus.toml lists files that are not there: {missing:#?}");

    let opts = ParseOptions::default();
    let mut failures = Vec::new();
    let mut compared = 0;
    for e in &m.file {
        let bytes = std::fs::read(root.join(&e.path)).expect("readable corpus file");
        let in_place = parse(&bytes, &opts);
        let streamed = parse_reader(&bytes[..], &opts);
        let mut fail = |msg: String| failures.push(format!("{}: {msg}", e.path));
        match (&in_place, &streamed) {
            (Ok(a), Ok(b)) if a != b => fail("in-place and streamed reads differ".into()),
            (Err(a), Err(b)) if a.kind != b.kind => fail("in-place and streamed errors differ".into()),
            (Ok(_), Err(_)) | (Err(_), Ok(_)) => fail("in-place and streamed outcomes differ".into()),
            _ => {}
        }
        match (&in_place, &e.error) {
            (Ok(p), None) => {
                let lines: usize = p.statements.iter().map(|s| s.lines().len()).sum();
                if Some(p.statements.len()) != e.statements || Some(lines) != e.lines {
                    fail(format!(
                        "{} statements / {lines} lines, expected {:?} / {:?}",
                        p.statements.len(),
                        e.statements,
                        e.lines
                    ));
                }
                if let Some(spec) = &e.expectation {
                    compared += 1;
                    match third_party(&root, spec, p) {
                        Ok(problems) => {
                            let unexplained: Vec<_> = problems.iter().filter(|p| !e.accept.contains(p)).collect();
                            let unused: Vec<_> = e.accept.iter().filter(|a| !problems.contains(a)).collect();
                            if !unexplained.is_empty() {
                                fail(format!("against {spec}: {unexplained:?}"));
                            }
                            if !unused.is_empty() {
                                fail(format!("accepted differences no longer occur: {unused:?}"));
                            }
                            if !e.accept.is_empty() && e.accept_reason.is_none() {
                                fail("accepted differences need an accept_reason".into());
                            }
                        }
                        Err(err) => fail(format!("cannot read {spec}: {err}")),
                    }
                }
                if let Some(name) = &e.snapshot
                    && let Err(err) = check_snapshot(name, p)
                {
                    fail(err);
                }
                if e.expectation.is_none() && e.snapshot.is_none() {
                    fail("neither a third-party expectation nor a snapshot".into());
                }
            }
            (Err(err), Some(kind)) => {
                if err.kind.as_str() != kind {
                    fail(format!("error {err}, expected kind {kind}"));
                }
                if e.reason.as_deref().is_none_or(str::is_empty) {
                    fail("an expected error needs a reason".into());
                }
                if let Some(spec) = &e.expectation {
                    compared += 1;
                    match third_party_line_count(&root, spec) {
                        Ok(0) => {}
                        Ok(n) => fail(format!("refused, but {spec} expects {n} lines")),
                        Err(err) => fail(format!("cannot read {spec}: {err}")),
                    }
                }
            }
            (Ok(_), Some(kind)) => fail(format!("parsed, but an error of kind {kind} was expected")),
            (Err(err), None) => fail(format!("unexpected error: {err}")),
        }
    }
    assert!(failures.is_empty(), "{} corpus failures:\n{}", failures.len(), failures.join("\n"));
    eprintln!("corpus: {} files, {compared} third-party expectations compared", m.file.len());
}
