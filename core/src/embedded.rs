//! Text the library embeds, compacted at compile time: the migration SQL and the shipped
//! policy manifests keep their comments and layout in the files people read, and the
//! binary keeps only what SQLite and the JSON parser need (about 14 KB of the library
//! otherwise). Done by `const fn`s through [`embedded_text!`]: no build script, no run-time
//! cost.

/// Writes `sql` without `--` comments and with each run of whitespace outside quotes made
/// one space into `out` (as far as it reaches), and returns the full length. Quoted text
/// (`'…'`, `"…"`, a doubled quote inside included) is copied as it is.
pub(crate) const fn minify_sql(sql: &[u8], out: &mut [u8]) -> usize {
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
        } else if is_space(c) {
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

/// Writes `json` without whitespace outside strings into `out` (as far as it reaches) and
/// returns the full length; strings, escapes included, are copied as they are.
pub(crate) const fn compact_json(json: &[u8], out: &mut [u8]) -> usize {
    let (mut i, mut n) = (0, 0);
    let (mut in_string, mut escaped) = (false, false);
    while i < json.len() {
        let c = json[i];
        i += 1;
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if is_space(c) {
            continue;
        } else if c == b'"' {
            in_string = true;
        }
        n = emit(out, n, c);
    }
    n
}

const fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

const fn emit(out: &mut [u8], n: usize, c: u8) -> usize {
    if n < out.len() {
        out[n] = c;
    }
    n + 1
}

/// The file at `$path` (relative to the calling file, as `include_str!`) as a `&'static
/// str`, passed through `$compact` ([`minify_sql`] or [`compact_json`]) at compile time.
macro_rules! embedded_text {
    ($path:literal, $compact:path) => {{
        const SOURCE: &[u8] = include_str!($path).as_bytes();
        const LEN: usize = $compact(SOURCE, &mut []);
        const TEXT: [u8; LEN] = {
            let mut out = [0u8; LEN];
            $compact(SOURCE, &mut out);
            out
        };
        const COMPACTED: &str = match ::std::str::from_utf8(&TEXT) {
            Ok(text) => text,
            Err(_) => panic!("compacted text is not UTF-8"),
        };
        COMPACTED
    }};
}
pub(crate) use embedded_text;

/// `text` through `compact` at run time, for tests comparing with the files.
#[cfg(test)]
pub(crate) fn compacted(compact: fn(&[u8], &mut [u8]) -> usize, text: &str) -> String {
    let mut out = vec![0; compact(text.as_bytes(), &mut [])];
    compact(text.as_bytes(), &mut out);
    String::from_utf8(out).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_loses_comments_and_layout_quoted_text_stays() {
        let minified = |sql| compacted(minify_sql, sql);
        let sql = "-- head\nCREATE TABLE t (\n    a TEXT DEFAULT 'x -- y  z', -- why\n\t\"b  c\" INT\n);\nINSERT INTO t (a) VALUES ('it''s --');  \n";
        assert_eq!(
            minified(sql),
            "CREATE TABLE t ( a TEXT DEFAULT 'x -- y  z', \"b  c\" INT ); INSERT INTO t (a) VALUES ('it''s --');"
        );
        assert_eq!(minified("-- only a comment\n"), "");
        assert_eq!(minified("SELECT 1 - -1"), "SELECT 1 - -1");
    }

    #[test]
    fn json_loses_layout_strings_stay() {
        assert_eq!(
            compacted(compact_json, r#"{ "a \" b" : [ 1 , "x\\" , " y " ] }"#),
            r#"{"a \" b":[1,"x\\"," y "]}"#
        );
    }
}
