//! Migration SQL as the library carries it: the files keep their comments for people, the
//! binary keeps only the statements (about 12 KB of the library's text otherwise). Done at
//! compile time by a `const fn`, so no build script and no run-time cost.

/// Writes `sql` without `--` comments and with each run of whitespace outside quotes made
/// one space into `out` (as far as it reaches), and returns the full length. Quoted text
/// (`'…'`, `"…"`, a doubled quote inside included) is copied as it is.
pub const fn minify(sql: &[u8], out: &mut [u8]) -> usize {
    let mut i = 0;
    let mut n = 0;
    let mut quote = 0u8; // the open quote character; 0 outside quotes
    let mut space = false; // whitespace or a comment seen since the last byte written
    while i < sql.len() {
        let c = sql[i];
        i += 1;
        if quote != 0 {
            n = emit(out, n, c);
            if c == quote {
                quote = 0;
            }
        } else if c == b'-' && i < sql.len() && sql[i] == b'-' {
            while i < sql.len() && sql[i] != b'\n' {
                i += 1;
            }
            space = true;
        } else if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
            space = true;
        } else {
            if space && n > 0 {
                n = emit(out, n, b' ');
            }
            space = false;
            if c == b'\'' || c == b'"' {
                quote = c;
            }
            n = emit(out, n, c);
        }
    }
    n
}

const fn emit(out: &mut [u8], n: usize, c: u8) -> usize {
    if n < out.len() {
        out[n] = c;
    }
    n + 1
}

/// The SQL file at `$path` (relative to the calling file, as `include_str!`), minified at
/// compile time by [`minify`].
macro_rules! migration_sql {
    ($path:literal) => {{
        const SOURCE: &[u8] = include_str!($path).as_bytes();
        const LEN: usize = $crate::db::sql_text::minify(SOURCE, &mut []);
        const TEXT: [u8; LEN] = {
            let mut out = [0u8; LEN];
            $crate::db::sql_text::minify(SOURCE, &mut out);
            out
        };
        const SQL: &str = match ::std::str::from_utf8(&TEXT) {
            Ok(sql) => sql,
            Err(_) => panic!("minified SQL is not UTF-8"),
        };
        SQL
    }};
}
pub(crate) use migration_sql;

#[cfg(test)]
mod tests {
    use super::*;

    fn minified(sql: &str) -> String {
        let mut out = vec![0; minify(sql.as_bytes(), &mut [])];
        minify(sql.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn comments_and_layout_go_quoted_text_stays() {
        let sql = "-- head\nCREATE TABLE t (\n    a TEXT DEFAULT 'x -- y  z', -- why\n\t\"b  c\" INT\n);\nINSERT INTO t (a) VALUES ('it''s --');  \n";
        assert_eq!(
            minified(sql),
            "CREATE TABLE t ( a TEXT DEFAULT 'x -- y  z', \"b  c\" INT ); INSERT INTO t (a) VALUES ('it''s --');"
        );
        assert_eq!(minified("-- only a comment\n"), "");
        assert_eq!(minified("SELECT 1 - -1"), "SELECT 1 - -1");
    }
}
