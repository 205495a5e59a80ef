//! Edit distance between two labels, with the edits spelled out.
//!
//! The distance is the optimal string alignment (restricted Damerau-
//! Levenshtein) distance: insertions, deletions, substitutions and swaps of
//! two adjacent characters each cost one. Besides the number, the typo
//! detector needs to know *which* edits turn the target into the candidate,
//! both to explain the finding and because some edits are far more
//! plausible as an imitation than others (a doubled letter or a neighbouring
//! key, versus an arbitrary letter in a three-letter name).

use std::fmt;

/// One edit that turns the protected label into the candidate label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// A character was added; `before`/`after` are its neighbours, if any.
    Insertion {
        /// The added character.
        ch: char,
        /// The character left of it in the candidate.
        before: Option<char>,
        /// The character right of it in the candidate.
        after: Option<char>,
    },
    /// A character of the target is missing.
    Deletion {
        /// The missing character.
        ch: char,
        /// Whether the target has the same character next to it, so only a
        /// doubled letter became single (`acccount` → `account`).
        doubled: bool,
    },
    /// One character replaced by another.
    Substitution {
        /// The target's character.
        from: char,
        /// The candidate's character.
        to: char,
    },
    /// Two adjacent characters swapped.
    Transposition {
        /// The target's first character.
        first: char,
        /// The target's second character.
        second: char,
    },
}

impl Edit {
    /// Whether the edit is the kind a person makes by accident or an attacker
    /// picks because it is hard to see: a repeated or dropped double letter,
    /// a swap, a neighbouring key, a look-alike character, or a hyphen.
    pub fn is_plausible(&self) -> bool {
        match *self {
            Edit::Insertion { ch, before, after } => {
                ch == '-'
                    || Some(ch) == before
                    || Some(ch) == after
                    || before.is_some_and(|b| keyboard_neighbours(b, ch))
                    || after.is_some_and(|a| keyboard_neighbours(a, ch))
            }
            Edit::Deletion { ch, doubled } => doubled || ch == '-',
            Edit::Substitution { from, to } => {
                keyboard_neighbours(from, to)
                    || looks_alike(from, to)
                    || vowel_swap(from, to)
                    || from == '-'
                    || to == '-'
            }
            Edit::Transposition { .. } => true,
        }
    }
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Edit::Insertion { ch: '-', .. } => write!(f, "hyphen inserted"),
            Edit::Insertion { ch, before, after } if Some(ch) == before || Some(ch) == after => {
                write!(f, "repetition of '{ch}'")
            }
            Edit::Insertion { ch, before, after }
                if before.is_some_and(|b| keyboard_neighbours(b, ch))
                    || after.is_some_and(|a| keyboard_neighbours(a, ch)) =>
            {
                write!(f, "insertion of neighbouring key '{ch}'")
            }
            Edit::Insertion { ch, .. } => write!(f, "insertion of '{ch}'"),
            Edit::Deletion { ch: '-', .. } => write!(f, "hyphen removed"),
            Edit::Deletion { ch, doubled: true } => write!(f, "doubled '{ch}' made single"),
            Edit::Deletion { ch, .. } => write!(f, "omission of '{ch}'"),
            Edit::Substitution { from, to } if keyboard_neighbours(from, to) => {
                write!(f, "keyboard neighbour '{from}'->'{to}'")
            }
            Edit::Substitution { from, to } if looks_alike(from, to) => {
                write!(f, "look-alike substitution '{from}'->'{to}'")
            }
            Edit::Substitution { from, to } if vowel_swap(from, to) => {
                write!(f, "vowel swap '{from}'->'{to}'")
            }
            Edit::Substitution { from, to } => write!(f, "substitution '{from}'->'{to}'"),
            Edit::Transposition { first, second } => {
                write!(f, "transposition '{first}{second}'->'{second}{first}'")
            }
        }
    }
}

/// The result of comparing a candidate label with a target label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditPath {
    /// The edits, left to right.
    pub edits: Vec<Edit>,
}

impl EditPath {
    /// Number of edits.
    pub fn distance(&self) -> usize {
        self.edits.len()
    }

    /// Whether every edit is plausible; see [`Edit::is_plausible`].
    pub fn all_plausible(&self) -> bool {
        self.edits.iter().all(Edit::is_plausible)
    }

    /// Human-readable list of the edits.
    pub fn describe(&self) -> String {
        self.edits
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The cheapest edits turning `target` into `candidate`, or `None` when more
/// than `max` are needed. Labels are short, so the full table is affordable;
/// the caller has already narrowed the targets with the deletion index.
pub fn edit_path(target: &[char], candidate: &[char], max: usize) -> Option<EditPath> {
    let (n, m) = (target.len(), candidate.len());
    if n.abs_diff(m) > max {
        return None;
    }
    let width = m + 1;
    let mut d = vec![0usize; (n + 1) * width];
    for i in 0..=n {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(m + 1) {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(target[i - 1] != candidate[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1
                && j > 1
                && target[i - 1] == candidate[j - 2]
                && target[i - 2] == candidate[j - 1]
                && target[i - 1] != target[i - 2]
            {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    if d[n * width + m] > max {
        return None;
    }

    // Walk back from the corner, preferring the operation that explains the
    // cell; ties prefer substitution/match, then swaps, then indels.
    let mut edits = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let here = d[i * width + j];
        if i > 0 && j > 0 && target[i - 1] == candidate[j - 1] && d[(i - 1) * width + j - 1] == here
        {
            i -= 1;
            j -= 1;
            continue;
        }
        if i > 0 && j > 0 && d[(i - 1) * width + j - 1] + 1 == here {
            let edit = Edit::Substitution {
                from: target[i - 1],
                to: candidate[j - 1],
            };
            edits.push(edit);
            i -= 1;
            j -= 1;
            continue;
        }
        if i > 1
            && j > 1
            && target[i - 1] == candidate[j - 2]
            && target[i - 2] == candidate[j - 1]
            && d[(i - 2) * width + j - 2] + 1 == here
        {
            edits.push(Edit::Transposition {
                first: target[i - 2],
                second: target[i - 1],
            });
            i -= 2;
            j -= 2;
            continue;
        }
        if j > 0 && d[i * width + j - 1] + 1 == here {
            let edit = Edit::Insertion {
                ch: candidate[j - 1],
                before: j.checked_sub(2).map(|k| candidate[k]),
                after: candidate.get(j).copied(),
            };
            edits.push(edit);
            j -= 1;
            continue;
        }
        // Only a deletion is left.
        let ch = target[i - 1];
        let doubled = (i >= 2 && target[i - 2] == ch) || target.get(i) == Some(&ch);
        edits.push(Edit::Deletion { ch, doubled });
        i -= 1;
    }
    edits.reverse();
    Some(EditPath { edits })
}

const KEYBOARD_ROWS: [&[u8]; 4] = [b"1234567890-", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];

/// Whether two characters sit next to each other on a QWERTY keyboard,
/// horizontally or diagonally (each row is shifted right by half a key, so
/// key `i` touches keys `i` and `i + 1` of the row above).
pub fn keyboard_neighbours(a: char, b: char) -> bool {
    if a == b || !a.is_ascii() || !b.is_ascii() {
        return false;
    }
    let position = |c: char| {
        KEYBOARD_ROWS.iter().enumerate().find_map(|(row, keys)| {
            keys.iter()
                .position(|&k| k == c as u8)
                .map(|col| (row as isize, col as isize))
        })
    };
    let (Some((ra, ca)), Some((rb, cb))) = (position(a), position(b)) else {
        return false;
    };
    match rb - ra {
        0 => (ca - cb).abs() == 1,
        // b is on the row above a.
        -1 => cb == ca || cb == ca + 1,
        // b is on the row below a.
        1 => cb == ca || cb == ca - 1,
        _ => false,
    }
}

/// Pairs of ASCII characters that are easy to mistake for each other in
/// common fonts, beyond what the skeleton already equates.
const LOOK_ALIKE: [(char, char); 12] = [
    ('o', '0'),
    ('l', '1'),
    ('i', '1'),
    ('i', 'l'),
    ('i', 'j'),
    ('s', '5'),
    ('z', '2'),
    ('b', '8'),
    ('g', 'q'),
    ('u', 'v'),
    ('c', 'e'),
    ('n', 'h'),
];

/// Whether one vowel replaces another: the word keeps its shape and
/// sound-alike spelling (`okti` for `okta`), the commonest misspelling.
pub fn vowel_swap(a: char, b: char) -> bool {
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u');
    a != b && vowel(a) && vowel(b)
}

/// Whether two characters are a look-alike pair; see [`LOOK_ALIKE`].
pub fn looks_alike(a: char, b: char) -> bool {
    LOOK_ALIKE
        .iter()
        .any(|&(x, y)| (x == a && y == b) || (x == b && y == a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(target: &str, candidate: &str) -> Option<EditPath> {
        let t: Vec<char> = target.chars().collect();
        let c: Vec<char> = candidate.chars().collect();
        edit_path(&t, &c, 2)
    }

    #[test]
    fn single_edits_are_named() {
        let p = path("circl", "circcl").unwrap();
        assert_eq!(p.describe(), "repetition of 'c'");
        assert!(p.all_plausible());
        assert_eq!(
            path("circl", "cricl").unwrap().describe(),
            "transposition 'ir'->'ri'"
        );
        assert_eq!(
            path("acme", "acne").unwrap().describe(),
            "keyboard neighbour 'm'->'n'"
        );
        assert_eq!(
            path("paypal", "paypa1").unwrap().describe(),
            "look-alike substitution 'l'->'1'"
        );
        assert_eq!(
            path("circl", "circz").unwrap().describe(),
            "substitution 'l'->'z'"
        );
        assert_eq!(path("circl", "irccl").unwrap().distance(), 2);
        assert_eq!(
            path("ail-project", "ailproject").unwrap().describe(),
            "hyphen removed"
        );
        assert_eq!(
            path("account", "acount").unwrap().describe(),
            "doubled 'c' made single"
        );
    }

    #[test]
    fn far_strings_are_rejected() {
        assert_eq!(path("microsoft", "amazon"), None);
        assert_eq!(path("ab", "abcde"), None);
        assert_eq!(path("", "ab").unwrap().distance(), 2);
    }

    #[test]
    fn keyboard_layout() {
        assert!(keyboard_neighbours('s', 'w'));
        assert!(keyboard_neighbours('s', 'e'));
        assert!(keyboard_neighbours('s', 'z'));
        assert!(keyboard_neighbours('s', 'x'));
        assert!(keyboard_neighbours('m', 'n'));
        assert!(!keyboard_neighbours('s', 'b'));
        assert!(!keyboard_neighbours('x', 'b'));
    }
}
