//! Throughput of the camt.053 and MT940 readers on generated 100 MB
//! statements, beside a baseline measured in the same run: a bare quick-xml
//! event scan (camt) and a memchr line scan (MT940) of the same bytes.
//!
//! Inputs come from `../shared/gen/` and are cached under `target/bench-inputs/`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

const GEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/gen");
const SIZE_MB: &str = "100";

fn input(generator: &str, name: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-inputs"));
    let path = dir.join(name);
    if !path.exists() {
        let script = Path::new(GEN).join(generator);
        if !script.exists() {
            eprintln!("note: {} is missing; benchmark skipped", script.display());
            return None;
        }
        std::fs::create_dir_all(&dir).ok()?;
        let status = Command::new("python3").arg(&script).arg(SIZE_MB).arg(&path).status().ok()?;
        if !status.success() {
            eprintln!("note: {generator} failed; benchmark skipped");
            return None;
        }
    }
    std::fs::read(&path).ok()
}

fn xml_scan(bytes: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => return events,
            Ok(_) => events += 1,
        }
    }
}

/// Visits every line as a reader must: find its end with memchr, check it is
/// text (UTF-8), look at its first byte. A bare `memchr_iter().count()` would
/// count newlines in bulk without ever visiting a line, which no reader can do.
fn line_scan(bytes: &[u8]) -> usize {
    let mut tags = 0;
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |p| start + p);
        let line = &bytes[start..end];
        if std::str::from_utf8(line).is_ok() && line.first() == Some(&b':') {
            tags += 1;
        }
        start = end + 1;
    }
    tags
}

fn parse_lines(bytes: &[u8]) -> usize {
    match bank_adapters::parse(bytes, &bank_adapters::ParseOptions::default()) {
        Ok(f) => f.statements.iter().map(|s| s.lines().len()).sum(),
        Err(e) => panic!("generated statement does not parse: {e}"),
    }
}

/// One timed run of `f` over `bytes`, and what it counted.
fn timed(bytes: &[u8], f: fn(&[u8]) -> usize) -> (Duration, usize) {
    let t = Instant::now();
    let count = black_box(f(black_box(bytes)));
    (t.elapsed(), count)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// MB/s and units/s of the parser and of its baseline, from runs that
/// alternate between the two (the median of each), with the median of the
/// rounds' ratios: on a shared machine the speed drifts from second to
/// second, and two runs side by side see the same drift where two criterion
/// groups, seconds apart, need not. Printed beside criterion's byte
/// throughput, which cannot carry two units at once.
fn report(fmt: &str, bytes: &[u8], parse: (&str, fn(&[u8]) -> usize), scan: (&str, fn(&[u8]) -> usize)) {
    const ROUNDS: usize = 11;
    let (mut parse_s, mut scan_s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut parse_n, mut scan_n) = (0, 0);
    for _ in 0..ROUNDS {
        let (p, n) = timed(bytes, parse.1);
        let (s, m) = timed(bytes, scan.1);
        (parse_n, scan_n) = (n, m);
        parse_s.push(p.as_secs_f64());
        scan_s.push(s.as_secs_f64());
        ratios.push(s.as_secs_f64() / p.as_secs_f64());
    }
    let mb = bytes.len() as f64 / 1e6;
    for (label, unit, secs, count) in
        [("parse", parse.0, median(parse_s), parse_n), ("baseline scan", scan.0, median(scan_s), scan_n)]
    {
        eprintln!(
            "{fmt} {label}: {mb:.1} MB in {secs:.3} s = {:.1} MB/s, {count} {unit} = {:.0} {unit}/s",
            mb / secs,
            count as f64 / secs
        );
    }
    eprintln!("{fmt} parse / baseline: {:.1}% (median of {ROUNDS} alternating rounds)", 100.0 * median(ratios));
}

/// A format measured: its generator, the cached input, and its baseline scan.
struct Measured {
    name: &'static str,
    generator: &'static str,
    file: &'static str,
    scan_unit: &'static str,
    scan: fn(&[u8]) -> usize,
}

const FORMATS: [Measured; 2] = [
    Measured {
        name: "camt053",
        generator: "gen_camt053.py",
        file: "camt053-100mb.xml",
        scan_unit: "xml events",
        scan: xml_scan,
    },
    Measured {
        name: "mt940",
        generator: "gen_mt940.py",
        file: "mt940-100mb.sta",
        scan_unit: "text lines",
        scan: line_scan,
    },
];

/// Names the format a child process measures.
const FORMAT_VAR: &str = "BANK_ADAPTERS_BENCH_FORMAT";

fn bench(c: &mut Criterion, fmt: &str) {
    let Some(m) = FORMATS.iter().find(|m| m.name == fmt) else { return };
    let Some(bytes) = input(m.generator, m.file) else { return };
    let scan = m.scan;
    report(fmt, &bytes, ("lines", parse_lines), (m.scan_unit, scan));
    let mut group = c.benchmark_group(fmt);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("parse", |b| b.iter(|| parse_lines(black_box(&bytes))));
    group.bench_function("baseline_scan", |b| b.iter(|| scan(black_box(&bytes))));
    group.finish();
}

/// Each format is measured in a process of its own, as `tameio statement
/// parse` reads one file per process: in one process, the pages that the
/// allocator kept or gave back after 100 MB of camt output would be billed
/// to the MT940 reader that follows (about 20,000 more page faults per parse
/// here), and its timing would depend on the order of the formats.
fn main() {
    if let Ok(fmt) = std::env::var(FORMAT_VAR) {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, &fmt);
        c.final_summary();
        return;
    }
    let Ok(me) = std::env::current_exe() else { return };
    for Measured { name: fmt, .. } in FORMATS {
        let status = Command::new(&me).args(std::env::args_os().skip(1)).env(FORMAT_VAR, fmt).status();
        if !status.as_ref().is_ok_and(|s| s.success()) {
            eprintln!("the {fmt} benchmark failed: {status:?}");
            std::process::exit(1);
        }
    }
}
