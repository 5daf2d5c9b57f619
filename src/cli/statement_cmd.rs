//! `tameio statement parse`: read a bank statement (camt.053, camt.054, MT940)
//! and print the normalized contract JSON; an unreadable file exits 1.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::CliError;

#[derive(Debug, Subcommand)]
pub enum StatementCmd {
    /// Parse a statement file and print it as JSON.
    Parse {
        file: PathBuf,
        /// The encoding of a non-UTF-8 MT940 file (default windows-1253).
        #[arg(long)]
        legacy_encoding: Option<String>,
    },
}

pub fn run(cmd: StatementCmd) -> Result<ExitCode, CliError> {
    let StatementCmd::Parse { file, legacy_encoding } = cmd;
    let bytes = std::fs::read(&file).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let mut opts = bank_adapters::ParseOptions::default();
    if let Some(label) = legacy_encoding {
        opts.legacy_encoding = encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| CliError::Usage(format!("unknown encoding {label:?}")))?;
    }
    match bank_adapters::parse(&bytes, &opts) {
        Ok(parsed) => {
            let json = bank_adapters::contract::to_json(&parsed);
            println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
