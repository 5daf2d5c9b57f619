//! Reads one statement file as a stream and prints its counts (or, with
//! `--json`, the contract JSON): the memory check of the crate's README runs this.

use std::io::BufReader;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: parse_file [--json] FILE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = bank_adapters::ParseOptions::default();
    match bank_adapters::parse_reader(BufReader::with_capacity(1 << 16, file), &opts) {
        Ok(parsed) if json => {
            let doc = bank_adapters::contract::to_json(&parsed);
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Ok(parsed) => {
            let lines: usize = parsed.statements.iter().map(|s| s.lines().len()).sum();
            let warnings: usize = parsed.statements.iter().map(|s| s.warnings.len()).sum();
            println!(
                "format={} statements={} lines={lines} warnings={warnings}",
                parsed.format,
                parsed.statements.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::from(1)
        }
    }
}
