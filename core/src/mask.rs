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

/// Masks every run of 7 or more digits in free text (phone numbers, ID numbers, card
/// numbers), keeping the shape a developer needs (`138****1234`). ID numbers ending in X
/// are caught too. Shorter numbers (counts, ports, HTTP statuses) pass unchanged.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'X' || chars[i] == 'x') && i - start == 17 {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if run.len() >= 15 {
                out.push_str(&id_number(&run));
            } else if run.len() >= 7 {
                out.push_str(&phone(&run));
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
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
}
