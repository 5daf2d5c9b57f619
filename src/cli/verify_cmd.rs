//! `tameio verify`: check a clearance certificate offline, from a PDF, a
//! token or the QR's URL, against a published keys file.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Args;

use super::CliError;
use crate::clock::{Clock, SystemClock};

#[derive(Debug, Args)]
pub struct Verify {
    /// A certificate PDF, or the token (or the QR's URL) as text.
    pub token_or_pdf: String,
    /// The municipality's published keys (JSON).
    #[arg(long)]
    pub keys: PathBuf,
    /// A published revocation list (JSON); without it revocation is not checked.
    #[arg(long)]
    pub revocations: Option<PathBuf>,
    /// The date to judge validity on (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub now: Option<NaiveDate>,
}

fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))
}

pub fn run(v: Verify) -> Result<ExitCode, CliError> {
    let path = PathBuf::from(&v.token_or_pdf);
    let input = if path.is_file() { read(&path)? } else { v.token_or_pdf.clone().into_bytes() };
    let keys = read(&v.keys)?;
    let revocations = v.revocations.as_ref().map(read).transpose()?;
    let now = v.now.unwrap_or_else(|| SystemClock.now().date_naive());
    match certificates::offline::verify_input(&input, &keys, revocations.as_deref(), now) {
        Ok(report) => {
            print!("{}", report.render());
            Ok(ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(1)))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1)))
        }
    }
}
