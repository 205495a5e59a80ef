//! Folding text into the one form both rule phrases and message text are
//! matched in.
//!
//! Attackers dodge keyword filters with zero-width characters
//! (`pass\u{200B}word`), fullwidth or accented letters, Cyrillic lookalikes
//! (`раssword` with Cyrillic `р` and `а`) and odd spacing; honest writers
//! drop accents (`contrasena`, `reinitialiser`). Folding both sides the same
//! way makes all of these the same phrase, so the rulebook need not list
//! variants.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Separates the segments (subject, each body part, ...) of the scanned
/// buffer. It is not whitespace and no phrase contains it, so no match can
/// span two segments.
pub(crate) const SEGMENT_SEPARATOR: char = '\u{1}';

/// Stands where the text of an HTML link ends (`html::strip` puts it
/// there): a button's "Play message" points at a page as "play message:
/// https://..." does in plain text. Folding drops it and notes where it
/// stood (see [`Marks`]).
pub(crate) const LINK_END: char = '\u{E000}';

/// What folding noted beside the folded text.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    /// Where a run of whitespace with a line break was folded to a space:
    /// the position of that space in the output, and whether the run held
    /// a blank line (a paragraph break).
    pub breaks: Vec<(usize, bool)>,
    /// Positions in the output where a link's text ended ([`LINK_END`]).
    pub link_ends: Vec<usize>,
}

/// Appends the folded form of `input` to `out`: lowercase, compatibility
/// decomposed (NFKD) with combining marks dropped, invisible format
/// characters removed, common Cyrillic and Greek lookalikes mapped to Latin,
/// typographic quotes and dashes made ASCII, and every run of whitespace
/// collapsed to one space. Leading whitespace is not emitted after a segment
/// separator or at the start of `out`.
///
/// `out` is bytes so that the ASCII bulk of mail is copied byte by byte
/// without re-encoding; only valid UTF-8 is ever appended, and the caller
/// turns the buffer into a `String` once.
pub(crate) fn fold_into(out: &mut Vec<u8>, input: &str) {
    fold_into_marking(out, input, &mut Marks::default());
}

/// [`fold_into`], also noting line breaks and the ends of links' text in
/// `marks`. Phrases match across line breaks (mail is hard-wrapped), but
/// the recogniser cuts clauses at paragraphs.
pub(crate) fn fold_into_marking(out: &mut Vec<u8>, input: &str, marks: &mut Marks) {
    let breaks = &mut marks.breaks;
    let bytes = input.as_bytes();
    let mut pending_space = false;
    let mut newlines = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if b <= b' ' || b == 0x7f {
                pending_space = true;
                newlines += u32::from(b == b'\n');
                i += 1;
            } else {
                // Copy the whole printable ASCII run at once, single spaces
                // between words included: most of a message is such runs.
                // A space followed by a printable ASCII byte is emitted
                // exactly as the pending space it would otherwise become (it
                // follows a printable byte, so `needs_space` holds).
                mark_break(out, pending_space, &mut newlines, breaks);
                flush_space(out, &mut pending_space);
                let end = ascii_run_end(bytes, i);
                let from = out.len();
                out.extend_from_slice(&bytes[i..end]);
                out[from..].make_ascii_lowercase();
                i = end;
            }
            continue;
        }
        // `i` is always on a character boundary: ASCII advances by one byte,
        // everything else by its UTF-8 length.
        let Some(c) = input[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        if c == LINK_END {
            marks.link_ends.push(out.len());
            continue;
        }
        if is_invisible(c) {
            // Dropped without a space: the letters on both sides are one word.
            continue;
        }
        if let Some(mapped) = fold_special(c) {
            mark_break(out, pending_space, &mut newlines, breaks);
            flush_space(out, &mut pending_space);
            out.extend_from_slice(mapped.as_bytes());
            continue;
        }
        decompose_compatible(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            if d.is_whitespace() || d.is_control() {
                pending_space = true;
                return;
            }
            mark_break(out, pending_space, &mut newlines, breaks);
            flush_space(out, &mut pending_space);
            if d.is_ascii() {
                out.push((d as u8).to_ascii_lowercase());
            } else if let Some(mapped) = fold_special(d) {
                out.extend_from_slice(mapped.as_bytes());
            } else {
                for l in d.to_lowercase() {
                    out.extend_from_slice(l.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
        });
    }
    if pending_space && needs_space(out) {
        // A trailing space is harmless but keeps word boundaries explicit.
        out.push(b' ');
    }
}

/// The end of the run of printable ASCII starting at `start` (which is
/// printable), single spaces between printable bytes included.
fn ascii_run_end(bytes: &[u8], start: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let printable = |b: u8| b > b' ' && b < 0x7f;
    let mut i = start;
    loop {
        // Eight bytes at a time while they are all in the run: each is a
        // space or printable, no two spaces are adjacent and the last is no
        // space (the byte before `i` is always printable).
        while let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            let non_ascii = x & HIGH;
            let above = x.wrapping_add(ONES) & HIGH; // a byte >= 0x7f
            let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH; // a byte < 0x20
            let y = x ^ (ONES * 0x20);
            let spaces = !(((y & LOW7).wrapping_add(LOW7)) | y) & HIGH;
            if non_ascii | above | below != 0
                || spaces & (spaces << 8) != 0
                || spaces & (1 << 63) != 0
            {
                break;
            }
            i += 8;
        }
        // Then byte by byte past what stopped the block test, and back to
        // blocks unless the run ended.
        let stop = i + 8;
        while i < stop {
            match bytes.get(i) {
                Some(&b) if printable(b) => i += 1,
                Some(b' ') if bytes.get(i + 1).is_some_and(|&n| printable(n)) => i += 2,
                _ => return i,
            }
        }
    }
}

/// Folds a standalone string (a rule phrase) the same way as message text,
/// without leading or trailing space.
pub(crate) fn fold(input: &str) -> String {
    let mut out = Vec::with_capacity(input.len());
    fold_into(&mut out, input);
    while out.last() == Some(&b' ') {
        out.pop();
    }
    // Only whole characters were appended.
    String::from_utf8(out).unwrap_or_default()
}

/// Notes a pending run of whitespace with line breaks, about to be flushed
/// as one space at `out.len()`.
fn mark_break(out: &[u8], pending: bool, newlines: &mut u32, breaks: &mut Vec<(usize, bool)>) {
    if pending && *newlines > 0 && needs_space(out) {
        breaks.push((out.len(), *newlines >= 2));
    }
    *newlines = 0;
}

fn flush_space(out: &mut Vec<u8>, pending: &mut bool) {
    if *pending && needs_space(out) {
        out.push(b' ');
    }
    *pending = false;
}

fn needs_space(out: &[u8]) -> bool {
    !matches!(out.last(), None | Some(b' ') | Some(1))
}

/// Characters that render as nothing and are used to split a keyword.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Foldings NFKD does not do: lookalike letters from other scripts,
/// typographic punctuation, and `ß`.
fn fold_special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' | '`' | '´' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '«' | '»' => "\"",
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        // Cyrillic letters that look Latin.
        'а' | 'А' => "a",
        'в' | 'В' => "b",
        'е' | 'Е' | 'ё' | 'Ё' => "e",
        'к' | 'К' => "k",
        'м' | 'М' => "m",
        'н' | 'Н' => "h",
        'о' | 'О' => "o",
        'р' | 'Р' => "p",
        'с' | 'С' => "c",
        'т' | 'Т' => "t",
        'у' | 'У' => "y",
        'х' | 'Х' => "x",
        'і' | 'І' => "i",
        'ј' | 'Ј' => "j",
        'ѕ' | 'Ѕ' => "s",
        'ԁ' => "d",
        'ɡ' => "g",
        'ı' => "i",
        // Greek letters that look Latin.
        'α' | 'Α' => "a",
        'β' | 'Β' => "b",
        'ε' | 'Ε' => "e",
        'ι' | 'Ι' => "i",
        'κ' | 'Κ' => "k",
        'ν' | 'Ν' => "v",
        'ο' | 'Ο' => "o",
        'ρ' | 'Ρ' => "p",
        'τ' | 'Τ' => "t",
        'υ' | 'Υ' => "u",
        'χ' | 'Χ' => "x",
        'Η' => "h",
        'Μ' => "m",
        'Ζ' => "z",
        _ => return None,
    })
}

/// Whether `c` is part of a word for boundary checks.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_evasions_to_the_same_phrase() {
        assert_eq!(fold("Reset  my\r\n PASSWORD"), "reset my password");
        assert_eq!(fold("pass\u{200B}word"), "password");
        assert_eq!(fold("ｐａｓｓｗｏｒｄ"), "password");
        assert_eq!(fold("раssword"), "password");
        assert_eq!(fold("Passwort zurücksetzen"), "passwort zurucksetzen");
        assert_eq!(
            fold("réinitialiser mon mot de passe"),
            "reinitialiser mon mot de passe"
        );
        assert_eq!(fold("contraseña"), "contrasena");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("l’accès"), "l'acces");
        assert_eq!(fold("a\u{00A0}b"), "a b");
        assert_eq!(fold("  "), "");
    }

    #[test]
    fn ascii_runs_match_the_byte_by_byte_reading() {
        let slow = |bytes: &[u8], start: usize| {
            let printable = |b: u8| b > b' ' && b < 0x7f;
            let mut i = start;
            while i < bytes.len() {
                if printable(bytes[i]) {
                    i += 1;
                } else if bytes[i] == b' ' && bytes.get(i + 1).is_some_and(|&n| printable(n)) {
                    i += 2;
                } else {
                    break;
                }
            }
            i
        };
        let alphabet = [
            b'a', b'Z', b' ', b'~', b'\x7f', b'\t', b'\n', 0x1f, 0x80, 0xc3, b'!',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let len = (seed % 40) as usize;
            let mut text = vec![b'x'];
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Mostly letters, so that long runs occur.
                let pick = (seed >> 32) as usize % (alphabet.len() * 3);
                text.push(*alphabet.get(pick).unwrap_or(&b'q'));
            }
            assert_eq!(ascii_run_end(&text, 0), slow(&text, 0), "{text:?}");
        }
        assert_eq!(
            fold("Hello  there,\tgeneral Kenobi. "),
            "hello there, general kenobi."
        );
    }

    #[test]
    fn segments_do_not_join() {
        let mut s = Vec::new();
        fold_into(&mut s, "reset my ");
        s.push(SEGMENT_SEPARATOR as u8);
        fold_into(&mut s, " password");
        assert_eq!(s, b"reset my \x01password");
    }
}
