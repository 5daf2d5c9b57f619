//! Multi-row inserts: one statement per chunk of rows, so that a 100 000-row
//! debt roll is a few hundred round trips, not 100 000.

/// Rows per statement: under SQLite's 32 766 and PostgreSQL's 65 535 bound
/// parameters for tables of up to 32 columns.
pub const CHUNK_ROWS: usize = 1000;

/// `insert into TABLE (COLS) values ($1, ..), (..)` for `rows` rows.
pub fn insert_sql(table: &str, cols: &[&str], rows: usize) -> String {
    let mut sql = format!("insert into {table} ({}) values ", cols.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(super::insert_sql("t", &["a", "b"], 2), "insert into t (a, b) values ($1, $2), ($3, $4)");
    }
}
