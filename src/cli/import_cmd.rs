//! `tameio import-debts`: a debt roll from a file, all or nothing.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{CliError, DbArgs};
use crate::clock::{Clock, SystemClock};
use crate::domain::actor::Actor;
use crate::imports::debt_roll::{DateFormat, ParseOptions};
use crate::imports::debt_roll_store::{self, ImportOutcome};
use crate::store::tenants;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateArg {
    /// YYYY-MM-DD
    Iso,
    /// DD/MM/YYYY
    Dmy,
}

#[derive(Debug, Args)]
pub struct ImportDebts {
    /// The tenant's slug.
    #[arg(long)]
    pub tenant: String,
    /// The CSV file (UTF-8, with or without BOM; `,` or `;` separated).
    pub file: std::path::PathBuf,
    /// Amounts are written `1234,56`.
    #[arg(long)]
    pub decimal_comma: bool,
    #[arg(long, value_enum, default_value = "iso")]
    pub date_format: DateArg,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(a: ImportDebts) -> Result<ExitCode, CliError> {
    let bytes =
        std::fs::read(&a.file).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", a.file.display())))?;
    let db = a.db.open().await?;
    let tenant =
        tenants::by_slug(&db, &a.tenant).await?.ok_or_else(|| CliError::Usage(format!("no tenant {:?}", a.tenant)))?;
    let opts = ParseOptions {
        decimal_comma: a.decimal_comma,
        date_format: match a.date_format {
            DateArg::Iso => DateFormat::Iso,
            DateArg::Dmy => DateFormat::Dmy,
        },
    };
    let name = a.file.file_name().map_or_else(|| "roll.csv".into(), |n| n.to_string_lossy().into_owned());
    match debt_roll_store::import(&db, &tenant, SystemClock.now(), &Actor::Cli, &name, &bytes, opts).await? {
        ImportOutcome::Imported(s) => {
            println!(
                "imported {}: {} rows, {} new debts, {} unchanged, {} new parties",
                name, s.rows, s.debts_new, s.debts_unchanged, s.parties_new
            );
            for w in &s.warnings {
                println!("  warning: {w}");
            }
            if s.warnings_total > s.warnings.len() {
                println!("  ... and {} more warnings", s.warnings_total - s.warnings.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        ImportOutcome::Refused { problems, total } => {
            eprintln!("{name} was refused: {total} problems, nothing was written");
            for p in &problems {
                eprintln!("  {p}");
            }
            if total > problems.len() {
                eprintln!("  ... and {} more", total - problems.len());
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
