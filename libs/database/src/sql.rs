//! Builders for statements whose parameter count is only known at run time (multi-row
//! inserts, `IN (…)` lists). Every value is still bound, never spliced into the text.

use sqlx::AnyConnection;

use crate::Backend;

/// `$first, $first+1, …` for `count` parameters.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $w), ($w+1, …)` for `rows` rows of `width` parameters each, for a statement
/// whose only parameters these are. On SQLite the same as nameless `?`s, bound in order:
/// sqlx binds a `$n` on SQLite by asking its name, which SQLite finds by walking a list,
/// so a 500-row insert with `$n`s spent more time binding than inserting (profiled:
/// `sqlite3_bind_parameter_name` 29 % of an embedded evacuation).
pub fn row_placeholders(conn: &AnyConnection, rows: usize, width: usize) -> String {
    if Backend::of(conn) == Backend::Sqlite {
        let row = format!("({})", vec!["?"; width].join(", "));
        return vec![row; rows].join(", ");
    }
    (0..rows)
        .map(|r| format!("({})", placeholders(1 + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_from_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
