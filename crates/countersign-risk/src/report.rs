//! Reports of suspicious mail: an employee forwards or attaches a message
//! and asks whether it is genuine ("is this legit? I didn't click").
//!
//! What the reported message asks ("read me the code", "pay to the new
//! account") is evidence, not the reporter's request: read as the writer's
//! own words it would hold or quarantine the very report that protects the
//! organisation. [`split`] tells a report by two things together: a
//! forwarded or attached message, and the writer's own words (or subject)
//! calling it into doubt in one of the four languages. Only then is the
//! reported text set apart; a forward without doubt is read whole, as a
//! fake "see below" chain must be.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::normalize::{fold, is_word_char};

/// Separators mail clients write above a forwarded or quoted message
/// (English, German, French, Spanish), and the first line of an inline
/// header block (`From:`, `Von:`, `De :`), which counts only when a
/// subject line follows.
const SEPARATORS: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "original message",
    "weitergeleitete nachricht",
    "ursprüngliche nachricht",
    "ursprungliche nachricht",
    "message transféré",
    "message transfere",
    "message d'origine",
    "mensaje reenviado",
    "mensaje original",
];
const FROM_FIELDS: &[&str] = &["from:", "von:", "de :", "de:"];
/// What a line may start with before its field: nothing, a quote, bold.
const LINE_OPENINGS: &[&str] = &["\n", "\n> ", "\n>", "\n*", "\n> *"];
const SUBJECT_LINES: &[&str] = &[
    "subject:",
    "betreff:",
    "objet :",
    "objet:",
    "asunto:",
    "*subject:",
];

/// One automaton for the separators and header-block starts, matched
/// case-insensitively in a single pass (ASCII letters; the markers'
/// accented letters are matched as written, lowercase, as clients write
/// them).
fn separators() -> &'static AhoCorasick {
    static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(
                SEPARATORS.iter().map(|s| (*s).to_owned()).chain(
                    LINE_OPENINGS
                        .iter()
                        .flat_map(|o| FROM_FIELDS.iter().map(move |f| format!("{o}{f}"))),
                ),
            )
            .expect("the separators build an automaton")
    });
    &AUTOMATON
}

/// Where a forwarded or quoted message starts in a text part: the byte
/// offset of the start of its separator's line.
pub(crate) fn forward_start(text: &str) -> Option<usize> {
    // A header block may open the text itself.
    let padded_from = FROM_FIELDS.iter().any(|f| {
        text.len() >= f.len() && text.as_bytes()[..f.len()].eq_ignore_ascii_case(f.as_bytes())
    });
    if padded_from && subject_follows(text, 0) {
        return Some(0);
    }
    for m in separators().find_iter(text) {
        let at = m.start();
        if m.pattern().as_usize() < SEPARATORS.len() {
            return Some(text[..at].rfind('\n').map_or(0, |n| n + 1));
        }
        // A From line: the separator only with a subject line close below.
        if subject_follows(text, at + 1) {
            return Some(at + 1);
        }
    }
    None
}

/// Whether one of the four lines after the line starting at `line` opens
/// with a subject field.
fn subject_follows(text: &str, line: usize) -> bool {
    text[line..].split('\n').skip(1).take(4).any(|l| {
        let l = l.trim_start_matches(['>', ' ', '\t']);
        SUBJECT_LINES.iter().any(|s| {
            l.len() >= s.len() && l.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
        })
    })
}

/// Words (folded: lowercase, accents removed) by which a writer disbelieves
/// a message or says he did not fall for it. Each matches at a word start,
/// so a stem covers its inflections (`phish` for phishing, phished).
const DISBELIEF: &[&str] = &[
    // English.
    "phish",
    "scam",
    "spam",
    "fake",
    "is this legit",
    "is it legit",
    "legit?",
    "is this genuine",
    "genuine?",
    "is this real",
    "is this ours",
    "is this normal",
    "is this safe",
    "looks odd",
    "looks weird",
    "looks strange",
    "didn't click",
    "did not click",
    "didnt click",
    "haven't clicked",
    "have not clicked",
    "didn't reply",
    "did not reply",
    "didn't call",
    "did not call",
    "didn't install",
    "did not install",
    "didnt install",
    "hung up",
    "didn't pay",
    "did not pay",
    "haven't paid",
    "have not paid",
    "allegedly",
    "supposedly",
    "purporting",
    // German.
    "gefalscht",
    "falschung",
    "komisch",
    "seltsam",
    "merkwurdig",
    "ist das echt",
    "ist das normal",
    "ist das von uns",
    "nicht angeklickt",
    "nichts angeklickt",
    "nicht geklickt",
    "nicht zuruckgerufen",
    "nicht angerufen",
    "nichts installiert",
    "nicht installiert",
    "aufgelegt",
    "angeblich",
    "nichts bezahlt",
    "nicht bezahlt",
    "nichts uberwiesen",
    "nicht uberwiesen",
    // French.
    "hameconn",
    "arnaque",
    "bizarre",
    "louche",
    "est-ce normal",
    "est ce normal",
    "c'est normal",
    "est-ce vrai",
    "est-ce legitime",
    "pas clique",
    "rien clique",
    "pas appele",
    "pas rappele",
    "rien installe",
    "pas installe",
    "soi-disant",
    "pretendu",
    "rien paye",
    "pas paye",
    // Spanish.
    "estafa",
    "extrano",
    "es normal",
    "es real",
    "es legitim",
    "esto es nuestro",
    "es nuestro",
    "no he hecho clic",
    "no he pulsado",
    "no he llamado",
    "no he instalado",
    "no he respondido",
    "colgue",
    "supuesta",
    "supuesto",
    "no he pagado",
];

/// Words of suspicion: a reporter's too, but also a scare's ("suspicious
/// activity on your account"), so they make a report only beside a
/// forwarded or attached message.
const SUSPICION: &[&str] = &[
    "suspic",
    "fraudul",
    "verdacht",
    "verdachtig",
    "betrug",
    "suspect",
    "frauduleu",
    "escroquer",
    "sospech",
    "fraude",
];

/// The doubt the writer expresses in `text`, if any: the matched words
/// ("looks suspicious", "fake", "¿es normal?", "nicht angeklickt").
pub(crate) fn doubt(text: &str) -> Option<&'static str> {
    disbelief(text).or_else(|| first_cue(SUSPICION, text))
}

/// The writer's disbelief in `text`, if any: that something is fake, a
/// scam or odd, or that he did not click, call back or answer ("I hung
/// up"). Unlike suspicion, no scare says this to its reader.
pub fn disbelief(text: &str) -> Option<&'static str> {
    first_cue(DISBELIEF, text)
}

/// The first of `cues` that starts a word of `text`, folded.
fn first_cue(cues: &[&'static str], text: &str) -> Option<&'static str> {
    let folded = fold(text);
    cues.iter().copied().find(|cue| {
        folded
            .match_indices(cue)
            .any(|(at, _)| !folded[..at].chars().next_back().is_some_and(is_word_char))
    })
}

/// The longest a report's own words run: a reporter writes a few lines
/// above the forward; a long letter is a message of its own.
pub(crate) const MAX_REPORT_WORDS: usize = 150;

/// Whether `own` (the writer's words above a forward or beside an attached
/// message) with `subject` reads as a report: short, and doubting.
pub(crate) fn reads_as_report(subject: Option<&str>, own: &str) -> Option<&'static str> {
    if own.split_whitespace().count() > MAX_REPORT_WORDS {
        return None;
    }
    doubt(own).or_else(|| subject.and_then(doubt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_refused_and_questioned_is_disbelieved() {
        assert!(disbelief("He wanted a support tool on my PC. I did not install it.").is_some());
        assert!(disbelief("Er wollte ein Tool, ich habe nichts installiert.").is_some());
        assert!(disbelief("Please install the support tool before the call.").is_none());
    }

    #[test]
    fn a_reporter_who_did_not_pay_doubts() {
        assert!(
            reads_as_report(
                Some("WG: Angebliche Rechnung von SkyParts"),
                "Die Domain ist nicht die übliche. Ich habe nichts bezahlt. Bitte prüfen."
            )
            .is_some()
        );
        assert!(
            reads_as_report(None, "Supposedly from our bank. I did not pay anything.").is_some()
        );
        // A plain forward asks as its writer does.
        assert!(reads_as_report(Some("FW: invoice"), "Please pay this today.").is_none());
    }

    #[test]
    fn forward_separators_in_four_languages() {
        let text = "Hi,\nlooks fake.\n\n---------- Forwarded message ---------\nFrom: x\n";
        assert_eq!(forward_start(text), Some(text.find("----------").unwrap()));
        let de = "Hallo\n\n-------- Weitergeleitete Nachricht --------\nVon: a\n";
        assert!(forward_start(de).is_some());
        let es = "Hola\n\n---- Mensaje reenviado ----\nDe: a\nAsunto: b\n";
        assert!(forward_start(es).is_some());
        let block =
            "Please check.\n\nFrom: Billing <b@x.example>\nSent: Monday\nSubject: Invoice\n\nPay";
        assert_eq!(forward_start(block), Some(block.find("From:").unwrap()));
        let quoted = "Je ne change rien.\r\n\r\n> De : Y <y@x.example>\r\n> Objet : nouveau RIB\r\n> Bonjour";
        assert_eq!(forward_start(quoted), Some(quoted.find("> De").unwrap()));
        assert_eq!(
            forward_start("From: the desk, nothing forwarded here."),
            None
        );
    }

    #[test]
    fn doubt_at_word_starts_only() {
        assert_eq!(
            doubt("Is this legit? I didn't click."),
            Some("is this legit")
        );
        assert_eq!(
            doubt("Das sieht komisch aus, bitte prüfen"),
            Some("komisch")
        );
        assert_eq!(doubt("¿Es normal? No he llamado."), Some("es normal"));
        assert_eq!(doubt("Je n'ai rien cliqué, c'est louche"), Some("louche"));
        // Inside another word it is no cue.
        assert_eq!(doubt("the prospam quarterly"), None);
        assert_eq!(doubt("please see the figures below"), None);
    }

    #[test]
    fn long_letters_are_not_reports() {
        let long = "word ".repeat(MAX_REPORT_WORDS + 1) + "suspicious";
        assert_eq!(reads_as_report(None, &long), None);
        assert_eq!(
            reads_as_report(Some("Fw: suspicious?"), "see below"),
            Some("suspic")
        );
    }
}
