//! Where a message says who is writing, in its own words: the opening
//! self-introduction ("This is the Microsoft 365 security team", "hier
//! meldet sich Ihr IT-Service", "Ici le service informatique", "Le escribe
//! el departamento de atención al cliente de ...") and a sign-off line that
//! is nothing but a party's name with team words ("The DocuSign Team").
//! Pure text work; `signals` decides whether the party named is the sender.

/// Words that open a writer's introduction of themselves, lowercase, in
/// English, German, French and Spanish. They count only at the start of a
/// sentence or clause (after a greeting's comma, say).
const CUES: &[&str] = &[
    // English
    "this is",
    "we are",
    "i am",
    "i'm",
    "writing from",
    "we're writing from",
    "message from",
    "a message from",
    "greetings from",
    "hello from",
    "on behalf of",
    // German
    "hier ist",
    "hier spricht",
    "hier meldet sich",
    "hier schreibt",
    "hier schreibt ihnen",
    "es schreibt ihnen",
    "wir sind",
    "ich bin",
    "im auftrag",
    "im auftrag von",
    "im namen",
    "im namen von",
    // French
    "ici",
    "c'est",
    "nous sommes",
    "je suis",
    "de la part de",
    "au nom de",
    // Spanish
    "le escribe",
    "les escribe",
    "te escribe",
    "le escribimos desde",
    "le contacta",
    "le contactamos desde",
    "le saluda",
    "somos",
    "soy",
    "en nombre de",
];

/// Words that stand before a party's name without changing who it is:
/// articles, possessives, "from".
const FILLERS: &[&str] = &[
    "the", "your", "our", "a", "an", "from", "ihr", "ihre", "euer", "unser", "unsere", "der",
    "die", "das", "dem", "den", "des", "vom", "von", "le", "la", "les", "l", "votre", "notre",
    "du", "de", "el", "los", "las", "su", "sus", "nuestro", "nuestra", "tu", "del", "desde",
];

/// Words naming a team or department: "the X team", "el departamento de X".
const PARTY_WORDS: &[&str] = &[
    "team",
    "teams",
    "department",
    "dept",
    "service",
    "services",
    "support",
    "desk",
    "helpdesk",
    "servicedesk",
    "security",
    "billing",
    "accounts",
    "account",
    "customer",
    "customers",
    "care",
    "help",
    "admin",
    "administrator",
    "administration",
    "office",
    "operations",
    "it",
    "edv",
    "notifications",
    "notification",
    "alerts",
    "abteilung",
    "kundenservice",
    "kundendienst",
    "sicherheitsteam",
    "equipe",
    "departement",
    "informatique",
    "equipo",
    "departamento",
    "servicio",
    "atencion",
    "soporte",
    "seguridad",
    "express",
    "center",
    "centre",
];

/// Bytes of the message's own text searched for a self-introduction.
pub(crate) const OPENING_WINDOW: usize = 800;

/// Words at most in one introduction, from its cue to its sentence's end.
const MAX_SPAN_WORDS: usize = 12;

/// The self-introductions in `opening` (the start of the message's own
/// text): for each cue at the start of a sentence or clause, the words
/// after it up to the end of the sentence, when they present a party (a
/// team or department word first, or any name: `presents` tells). Lines
/// quoted with '>' are skipped.
pub(crate) fn introductions(opening: &str) -> Vec<String> {
    let text: String = opening
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('\u{2019}', "'");
    let mut found = Vec::new();
    for clause in clauses_of(&text) {
        let clause = clause.trim_start();
        // Only the cues that start with the clause's first byte can match.
        let first = clause.as_bytes().first().copied();
        for cue in CUES
            .iter()
            .filter(|c| c.as_bytes().first().copied() == first)
        {
            let Some(rest) = clause.strip_prefix(cue) else {
                continue;
            };
            if !rest.starts_with(' ') {
                continue;
            }
            let span: Vec<&str> = rest.split_whitespace().take(MAX_SPAN_WORDS).collect();
            if !span.is_empty() {
                found.push(span.join(" "));
            }
        }
        if found.len() >= 4 {
            break;
        }
    }
    found
}

/// `text` cut at sentence and clause punctuation and at line breaks: as
/// `text.split(['.', '!', '?', ';', ':', ',', '\n'])`, searched byte by
/// byte (the separators are all ASCII) instead of character by character.
fn clauses_of(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let r = rest?;
        match r
            .bytes()
            .position(|b| matches!(b, b'.' | b'!' | b'?' | b';' | b':' | b',' | b'\n'))
        {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Whether a span's words (folded, as `claim_words` gives them), past the
/// fillers, open with `name` or with a team or department word: "the
/// Microsoft 365 team", "ihr IT-Service der ...", "el departamento de
/// atención al cliente de DHL".
pub(crate) fn presents(words: &[String], name: &[String]) -> bool {
    let start = words
        .iter()
        .position(|w| !FILLERS.contains(&w.as_str()))
        .unwrap_or(words.len());
    let rest = &words[start..];
    (!name.is_empty() && rest.starts_with(name))
        || rest
            .first()
            .is_some_and(|w| PARTY_WORDS.contains(&w.as_str()))
}

/// Departments that are IT, named bare after "from" by someone saying
/// where in the house he works: "soy de sistemas", "je suis de
/// l'informatique", "ich bin von der IT", "I'm from IT".
const IT_DEPARTMENTS: &[&str] = &[
    "it",
    "ti",
    "edv",
    "informatik",
    "informatique",
    // "l'informatique": the words are folded with their apostrophes out.
    "linformatique",
    "informatica",
    "sistemas",
];
const FROM: &[&str] = &["from", "von", "vom", "de", "del", "desde"];

/// Whether a span's words (folded, as `claim_words` gives them) say the
/// writer is from the IT department: a "from" among the fillers, then
/// one of `IT_DEPARTMENTS`.
pub(crate) fn from_it_department(words: &[String]) -> bool {
    let start = words
        .iter()
        .position(|w| !FILLERS.contains(&w.as_str()))
        .unwrap_or(words.len());
    words[..start].iter().any(|w| FROM.contains(&w.as_str()))
        && words
            .get(start)
            .is_some_and(|w| IT_DEPARTMENTS.contains(&w.as_str()))
}

/// Whether a sign-off line is nothing but `name` with fillers, team words
/// and numbers around it ("The DocuSign Team", "Microsoft 365 Security").
pub(crate) fn names_only(words: &[String], name: &[String]) -> bool {
    let n = name.len();
    if n == 0 || n > words.len() {
        return false;
    }
    (0..=words.len() - n).any(|at| {
        words[at..at + n] == name[..]
            && words
                .iter()
                .enumerate()
                .filter(|&(k, _)| k < at || k >= at + n)
                .all(|(_, w)| {
                    FILLERS.contains(&w.as_str())
                        || PARTY_WORDS.contains(&w.as_str())
                        || w.chars().all(|c| c.is_ascii_digit())
                })
    })
}

/// Whether a sign-off line is nothing but one party's names with fillers,
/// team words and numbers around them: one of `names` (not a plain word),
/// and beside it only words of its other names ("Microsoft OneDrive",
/// "SharePoint Online Team" where both are Microsoft's).
pub(crate) fn names_only_of(words: &[String], names: &[crate::identities::Phrase]) -> bool {
    names
        .iter()
        .any(|p| !p.plain_word && names_only(words, &p.words))
        || names
            .iter()
            .any(|p| !p.plain_word && words.windows(p.words.len().max(1)).any(|w| w == p.words))
            && words.iter().all(|w| {
                FILLERS.contains(&w.as_str())
                    || PARTY_WORDS.contains(&w.as_str())
                    || w.chars().all(|c| c.is_ascii_digit())
                    || names.iter().any(|p| p.words.contains(w))
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::claim_words;

    #[test]
    fn clauses_are_cut_as_split_cuts_them() {
        for text in [
            "",
            ".",
            "hello, this is it. we are: the team!\nok?; done",
            "ünïcödé, ça va; ¿qué?\n\n",
            "no separators at all",
        ] {
            let by_split: Vec<&str> = text.split(['.', '!', '?', ';', ':', ',', '\n']).collect();
            assert_eq!(clauses_of(text).collect::<Vec<_>>(), by_split, "{text:?}");
        }
    }

    #[test]
    fn introductions_in_four_languages() {
        let en = introductions("Hello,\n\nThis is the Microsoft 365 security team. We are moving");
        assert!(
            en.contains(&"the microsoft 365 security team".to_owned()),
            "{en:?}"
        );
        let de = introductions("Guten Tag,\nhier meldet sich Ihr IT-Service der Klinik. Bei");
        assert!(
            de.contains(&"ihr it-service der klinik".to_owned()),
            "{de:?}"
        );
        let fr = introductions("Bonjour,\n\nIci le service informatique de Acme. Suite");
        assert!(
            fr.contains(&"le service informatique de acme".to_owned()),
            "{fr:?}"
        );
        let es = introductions("Estimado cliente:\n\nLe escribe el departamento de ventas.");
        assert!(
            es.contains(&"el departamento de ventas".to_owned()),
            "{es:?}"
        );
    }

    #[test]
    fn cues_inside_a_sentence_and_quoted_lines_are_not_introductions() {
        assert!(introductions("Please click ici to read. I think this is fine.").is_empty());
        assert!(introductions("> This is the Microsoft 365 team.").is_empty());
    }

    #[test]
    fn a_span_presents_a_party_by_name_or_team_word() {
        let name = claim_words("Microsoft");
        assert!(presents(&claim_words("the microsoft 365 team"), &name));
        assert!(presents(&claim_words("ihr it-service"), &[]));
        assert!(!presents(
            &claim_words("writing about the microsoft licence"),
            &name
        ));
        assert!(!presents(&claim_words("glad to hear from you"), &name));
    }

    #[test]
    fn a_writer_from_the_it_department() {
        for said in [
            "de sistemas",
            "de l'informatique",
            "von der it",
            "from it support",
        ] {
            assert!(from_it_department(&claim_words(said)), "{said}");
        }
        assert!(!from_it_department(&claim_words("it")));
        assert!(!from_it_department(&claim_words("de lyon")));
    }

    #[test]
    fn a_sign_off_names_only_the_party() {
        let name = claim_words("DocuSign");
        assert!(names_only(&claim_words("The DocuSign Team"), &name));
        assert!(names_only(
            &claim_words("Microsoft 365 Security"),
            &claim_words("Microsoft")
        ));
        assert!(!names_only(
            &claim_words("Sent with DocuSign eSignature"),
            &name
        ));
        assert!(!names_only(
            &claim_words("Ann Lee, DocuSign admin at Acme"),
            &name
        ));
    }
}
