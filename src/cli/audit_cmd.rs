//! `tameio audit verify`: recompute every chain and name what differs.

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, DbArgs};
use crate::domain::audit::verify_chain;
use crate::store::{audit, tenants};

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Verify the audit chain of one tenant or of all.
    Verify {
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: AuditCmd) -> Result<ExitCode, CliError> {
    let AuditCmd::Verify { tenant, db } = cmd;
    let db = db.open().await?;
    let all = match &tenant {
        Some(slug) => {
            vec![tenants::by_slug(&db, slug).await?.ok_or_else(|| CliError::Usage(format!("no tenant {slug:?}")))?]
        }
        None => tenants::list_all(&db).await?,
    };
    let mut bad = 0usize;
    for t in all {
        let chain = audit::chain(&db, t.id).await?;
        let head = audit::head(&db, t.id).await?;
        let findings = verify_chain(&chain, head.as_ref().map(|(s, h)| (*s, h.as_str())));
        if findings.is_empty() {
            println!("{}: ok, {} entries", t.slug.as_str(), chain.len());
        } else {
            bad += findings.len();
            for f in findings {
                println!("{}: {f}", t.slug.as_str());
            }
        }
    }
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
