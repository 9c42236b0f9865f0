//! Desensitized display (seed 004: "去标识化、脱敏"): masks for phone numbers, ID numbers,
//! names and addresses, used by view-models, and a scrubber the log layer runs over every
//! message so a phone or ID number never reaches a log unmasked.

/// `13812341234` → `138****1234`. Shorter inputs keep only their last two characters.
pub fn phone(value: &str) -> String {
    let digits: Vec<char> = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() >= 7 {
        let (head, tail) = (3, 4);
        let hidden = digits.len() - head - tail;
        format!(
            "{}{}{}",
            digits[..head].iter().collect::<String>(),
            "*".repeat(hidden),
            digits[digits.len() - tail..].iter().collect::<String>()
        )
    } else {
        keep_last(&digits, 2)
    }
}

/// `110101199003071234` → `1101**********1234`.
pub fn id_number(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() >= 10 {
        format!(
            "{}{}{}",
            chars[..4].iter().collect::<String>(),
            "*".repeat(chars.len() - 8),
            chars[chars.len() - 4..].iter().collect::<String>()
        )
    } else {
        keep_last(&chars, 1)
    }
}

/// `张三丰` → `张**`; `Wang Fang` → `W*** F***`.
pub fn name(value: &str) -> String {
    value
        .split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => format!("{first}{}", "*".repeat(chars.count())),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Keeps the first third (at most 6 characters: city and district), masks the rest.
pub fn address(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = (chars.len() / 3).min(6);
    format!(
        "{}{}",
        chars[..keep].iter().collect::<String>(),
        "*".repeat(4)
    )
}

fn keep_last(chars: &[char], n: usize) -> String {
    let n = n.min(chars.len());
    format!(
        "{}{}",
        "*".repeat(chars.len() - n),
        chars[chars.len() - n..].iter().collect::<String>()
    )
}

/// The value of a decimal digit as people write it: ASCII or full-width (`１３８`).
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')),
        _ => None,
    }
}

/// A separator people put inside a number: spaces (ASCII, no-break, ideographic), hyphens
/// and dashes (ASCII, full-width, Unicode), dots and brackets.
fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{A0}' | '\u{3000}' | '-' | '\u{2010}'
            ..='\u{2015}' | '\u{FF0D}' | '.' | '(' | ')' | '\u{FF08}' | '\u{FF09}' | '/'
    )
}

/// Masks every number of 7 or more digits in free text (phone numbers, ID numbers, card
/// numbers), however it is written: full-width digits, a leading `+`, spaces, hyphens, dots
/// or brackets between the digits (`+86 138-1234-1234`, `１３８ １２３４ １２３４`). The
/// digits are kept in the shape a developer needs (`138****1234`). ID numbers ending in X
/// are caught too. Shorter numbers (counts, ports, HTTP statuses) and calendar dates
/// (`2026-12-01`) pass unchanged.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts = digit(chars[i]).is_some()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !starts {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The span: digits, each separator only between two digits.
        let (start, mut end) = (i, i);
        let mut digits = String::new();
        let mut j = i;
        while j < chars.len() {
            if let Some(d) = digit(chars[j]) {
                digits.push(d);
                j += 1;
                end = j;
            } else if let Some(gap) = (1..=2).find(|&n| {
                chars[j..].iter().take(n).all(|c| separator(*c))
                    && chars.get(j + n).is_some_and(|c| digit(*c).is_some())
                    // A dot or slash joins groups of three digits or more (a number
                    // written `138.1234.1234`, a coordinate), not a version's `2026.12.1`.
                    && (!matches!(chars[j], '.' | '/')
                        || chars[j + n..].iter().take_while(|c| digit(**c).is_some()).count() >= 3)
            }) {
                // One or two separators between digits (`) `, ` - `).
                j += gap;
            } else {
                break;
            }
        }
        if end < chars.len() && matches!(chars[end], 'X' | 'x') && digits.len() == 17 {
            digits.push('X');
            end += 1;
        }
        let span: String = chars[start..end].iter().collect();
        let ends_in_word = chars
            .get(end)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_');
        let is_date = digits.len() == 8
            && span.len() == 10
            && span.as_bytes()[4] == b'-'
            && span.as_bytes()[7] == b'-';
        if digits.len() < 7 || ends_in_word || is_date {
            out.push_str(&span);
        } else if digits.len() >= 15 {
            out.push_str(&id_number(&digits));
        } else if digits.len() >= 11 {
            out.push_str(&phone(&digits));
        } else {
            // A shorter number (a local phone, a landline) keeps only its last two digits.
            out.push_str(&keep_last(&digits.chars().collect::<Vec<_>>(), 2));
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_the_desensitized_display_convention() {
        assert_eq!(phone("13812341234"), "138****1234");
        assert_eq!(phone("138 1234 1234"), "138****1234");
        assert_eq!(id_number("110101199003071234"), "1101**********1234");
        assert_eq!(name("张三丰"), "张**");
        assert_eq!(name("Wang Fang"), "W*** F***");
        assert_eq!(address("上海市浦东新区外高桥保税区88号"), "上海市浦东****");
        assert_eq!(phone("12"), "12");
    }

    #[test]
    fn scrub_masks_numbers_in_free_text_and_leaves_short_ones() {
        let line = "call consignee 13812341234 about order 42 (id 11010119900307123X) on port 8080";
        assert_eq!(
            scrub(line),
            "call consignee 138****1234 about order 42 (id 1101**********123X) on port 8080"
        );
        assert_eq!(scrub("ord-sh-0001 revision 2"), "ord-sh-0001 revision 2");
    }

    #[test]
    fn scrub_masks_phones_however_they_are_written() {
        for written in [
            "+86 138 1234 1234",
            "138-1234-1234",
            "(138) 1234.1234",
            "１３８１２３４１２３４",
            "１３８　１２３４　１２３４",
            "138\u{2014}1234\u{2014}1234",
            "138 1234 1234",
        ] {
            let line = format!("call {written} now");
            let scrubbed = scrub(&line);
            assert!(
                !scrubbed.contains("1234 1234") && !scrubbed.contains("12341234"),
                "{scrubbed}"
            );
            assert!(scrubbed.contains("****"), "{written} → {scrubbed}");
            assert!(
                scrubbed.starts_with("call ") && scrubbed.ends_with(" now"),
                "{scrubbed}"
            );
        }
        // What is not a person's number passes.
        assert_eq!(scrub("landline 021-6888-1234"), "landline 021****1234");
        assert_eq!(scrub("extension 6888-1234"), "extension ******34");
        assert_eq!(scrub("at 31.230416,121.473701"), "at ******16,*******01");
        for kept in [
            "policy accepted version=2026.12.1",
            "sync at 2026-12-01, 3 retries",
            "ord-3f2a9c1b87 accepted",
            "HTTP 503 after 1500 ms",
            "upload abc1234567def",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }
}
