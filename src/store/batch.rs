//! Multi-row inserts: one statement per chunk of rows, so that a 100 000-row
//! debt roll is a few hundred round trips, not 100 000.

/// Bound parameters per statement. PostgreSQL takes up to 65 535; SQLite up
/// to 32 766, but sqlx looks each parameter's name up with a linear scan, so a
/// statement with `n` parameters costs `n²` there: keep SQLite's small.
const POSTGRES_PARAMS: usize = 16_000;
const SQLITE_PARAMS: usize = 8_000;

/// Rows per statement for a table of `cols` columns on this database.
pub fn chunk_rows(dialect: Dialect, cols: usize) -> usize {
    let params = match dialect {
        Dialect::Sqlite => SQLITE_PARAMS,
        Dialect::Postgres => POSTGRES_PARAMS,
    };
    (params / cols.max(1)).max(1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl super::Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            super::Tx::Sqlite(_) => Dialect::Sqlite,
            super::Tx::Postgres(_) => Dialect::Postgres,
        }
    }
}

impl super::Conn<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            super::Conn::Db(super::Db::Sqlite(_)) | super::Conn::Tx(super::Tx::Sqlite(_)) => Dialect::Sqlite,
            _ => Dialect::Postgres,
        }
    }
}

/// The `i`-th placeholder (from 1) of a generated statement. SQLite gets
/// anonymous `?`: for a numbered one sqlx asks SQLite its name, a linear scan
/// per parameter, which makes a statement of `n` parameters cost `n²`.
fn placeholder(dialect: Dialect, i: usize) -> String {
    match dialect {
        Dialect::Sqlite => "?".to_string(),
        Dialect::Postgres => format!("${i}"),
    }
}

/// `p_from, .., p_{from+count-1}` joined by commas, for `in (...)` lists.
pub fn placeholder_list(dialect: Dialect, from: usize, count: usize) -> String {
    (from..from + count).map(|i| placeholder(dialect, i)).collect::<Vec<_>>().join(", ")
}

/// `insert into TABLE (COLS) values ($1, ..), (..)` for `rows` rows.
pub fn insert_sql(dialect: Dialect, table: &str, cols: &[&str], rows: usize) -> String {
    let mut sql = format!("insert into {table} ({}) values ", cols.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&placeholder_list(dialect, r * cols.len() + 1, cols.len()));
        sql.push(')');
    }
    sql
}

/// Inserts `$rows` into `$table` with one multi-row statement per chunk;
/// `$bind` binds one row's columns (in `$cols` order) onto the query `$q`.
/// Evaluates to the rows inserted. `$tx` is a `&mut Tx` binding.
macro_rules! insert_rows {
    ($tx:ident, $table:expr, $cols:expr, $rows:expr, |$q:ident, $r:ident| $bind:expr) => {{
        let dialect = $tx.dialect();
        let mut inserted: u64 = 0;
        for chunk in $rows.chunks($crate::store::batch::chunk_rows(dialect, $cols.len())) {
            let sql = $crate::store::batch::insert_sql(dialect, $table, &$cols, chunk.len());
            inserted += $crate::store::on_tx!($tx, |c| {
                let mut $q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for $r in chunk {
                    $q = $bind;
                }
                $q.execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        inserted
    }};
}
pub(crate) use insert_rows;

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_across_rows() {
        use super::Dialect::{Postgres, Sqlite};
        assert_eq!(super::insert_sql(Postgres, "t", &["a", "b"], 2), "insert into t (a, b) values ($1, $2), ($3, $4)");
        assert_eq!(super::insert_sql(Sqlite, "t", &["a", "b"], 2), "insert into t (a, b) values (?, ?), (?, ?)");
    }
}
