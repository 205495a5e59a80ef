//! "IT asked me to collect your codes": a colleague's mailbox relaying a
//! request on behalf of IT. IT never routes credentials, codes, approvals
//! or installs through a colleague, so an internal sender who is not IT
//! speaking for IT about such things is how a compromised mailbox (or a
//! manipulated colleague) reaches the rest of the organisation.
//!
//! The text is read once, as lowercase words; a message relays for IT when a
//! reference to IT stands within a few words of a relaying word ("asked",
//! "on behalf", "gebeten", "de la part", "me pidió") and the message also
//! names a secret or an action IT would do itself (a code, a password, an
//! approval, a remote-access tool, an install). English, German, French and
//! Spanish.

/// How many words apart an IT reference and a relaying word may stand.
const WINDOW: usize = 12;
/// Text read per message (characters); a relay is written near the top.
const MAX_CHARS: usize = 20_000;

/// Words that refer to IT (folded lowercase). The bare "IT" (English,
/// German), "TI" (Spanish) and "EDV" (German) count only in capitals, as
/// "it" and "ti" are pronouns.
const IT_WORDS: &[&str] = &[
    "helpdesk",
    "servicedesk",
    "itsupport",
    "informatique",
    "informatica",
    "sistemas",
];

/// Abbreviations for IT that count only in capitals.
const IT_CAPITALS: &[&str] = &["IT", "TI", "EDV"];

/// Two-word references to IT.
const IT_PAIRS: &[(&str, &str)] = &[
    ("help", "desk"),
    ("service", "desk"),
    ("tech", "support"),
    ("it", "department"),
    ("it", "team"),
    ("it", "support"),
    ("it", "abteilung"),
    ("support", "informatique"),
    ("service", "informatique"),
    ("soporte", "tecnico"),
];

/// Words that relay: someone else asked, needs, wants, said, sent.
const RELAY_WORDS: &[&str] = &[
    "asked",
    "asks",
    "ask",
    "asking",
    "needs",
    "need",
    "wants",
    "want",
    "told",
    "instructed",
    "requested",
    "request",
    "behalf",
    "for",
    "said",
    "says",
    "sent",
    "forwarded",
    "gebeten",
    "bittet",
    "bitten",
    "auftrag",
    "braucht",
    "benotigt",
    "benoetigt",
    "mochte",
    "moechte",
    "fur",
    "fuer",
    "gesagt",
    "sagt",
    "geschickt",
    "demande",
    "demandee",
    "besoin",
    "part",
    "pour",
    "veut",
    "dit",
    "envoye",
    "pidio",
    "pide",
    "pedido",
    "parte",
    "nombre",
    "necesita",
    "solicitado",
    "solicita",
    "quiere",
    "para",
    "dicho",
    "dijo",
    "enviado",
];

/// Words that relay after an IT staff member's first name: "Sam asked me
/// to", "Lucía me pidió". A first name is weaker evidence than "IT": the
/// new starter a request is for, or for whom access is needed, may share
/// it ("acceso para Lucía", "Marc necesita usuario"), so only asking and
/// telling count, just after the name.
const NAME_RELAY_WORDS: &[&str] = &[
    "asked",
    "asks",
    "told",
    "instructed",
    "said",
    "says",
    "wants",
    "gebeten",
    "bittet",
    "sagt",
    "gesagt",
    "demande",
    "dit",
    "veut",
    "pidio",
    "pide",
    "pedido",
    "solicita",
    "solicitado",
    "dijo",
    "dice",
    "quiere",
    "requested",
    "requests",
];
/// How many words after a first name its relaying word may stand ("Sam
/// from the service desk asked").
const NAME_WINDOW: usize = 5;
/// Beginnings of words for secrets and actions IT would never ask a
/// colleague to collect or do (codes, passwords, approvals, remote access,
/// installs), in the four languages.
const SECRET_STEMS: &[&str] = &[
    "code",
    "passw",
    "passc",
    "pin",
    "mfa",
    "otp",
    "2fa",
    "authenticat",
    "credential",
    "login",
    "approv",
    "anydesk",
    "teamviewer",
    "remote",
    "install",
    "unzip",
    "setup",
    "exe",
    "msi",
    "kennwort",
    "zugangsdat",
    "bestatig",
    "bestaetig",
    "fernwart",
    "fernzugr",
    "freigeb",
    "identifiant",
    "valid",
    "approuv",
    "contrasen",
    "codigo",
    "clave",
    "credencial",
    "instal",
    "aprob",
    "aprueb",
    "remoto",
    "acceso",
    "zip",
];

fn is_secret(word: &str) -> bool {
    SECRET_STEMS.iter().any(|stem| {
        word.starts_with(stem)
            // Short stems must be the whole word (`pin`, not `pink`).
            && (stem.len() >= 5 || word.len() <= stem.len() + 1)
    })
}

/// Whether the text relays a request for secrets or actions on behalf of
/// IT; returns the words that show it.
pub(crate) fn relays_for_it<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    it_names: &[String],
) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    // Whether the word was a capitalised abbreviation for IT.
    let mut capital_it: Vec<bool> = Vec::new();
    let mut budget = MAX_CHARS;
    for text in texts {
        let text = &text[..floor_char_boundary(text, budget)];
        budget -= text.len();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            capital_it.push(IT_CAPITALS.contains(&word));
            words.push(countersign_lookalike::fold(word));
        }
        if budget == 0 {
            break;
        }
    }
    let secret = words.iter().find(|w| is_secret(w))?;
    for i in 0..words.len() {
        if !refers_to_it(&words, &capital_it, i) {
            if it_names.contains(&words[i])
                && let Some(relay) = words[i + 1..(i + 1 + NAME_WINDOW).min(words.len())]
                    .iter()
                    .find(|w| NAME_RELAY_WORDS.contains(&w.as_str()))
            {
                return Some(format!(
                    "\"{}\" then \"{relay}\", and \"{secret}\"",
                    words[i]
                ));
            }
            continue;
        }
        // "Hallo Servicedesk, ...", "Hi IT team": IT greeted is the reader,
        // not someone the writer speaks for.
        // The greeting may stand a few words before: "Hola equipo de TI",
        // "Bonjour à l'équipe du service desk", "Liebes Team der IT".
        let greeted = (1..=4).filter(|&back| back <= i).any(|back| {
            GREETINGS.contains(&words[i - back].as_str())
                && words[i - back + 1..i]
                    .iter()
                    .all(|w| GREETED_TEAM.contains(&w.as_str()))
        });
        // "A driver their IT asked us to use": another organisation's IT.
        let theirs = i > 0 && matches!(words[i - 1].as_str(), "their" | "deren" | "leur");
        if greeted || theirs {
            continue;
        }
        let from = i.saturating_sub(WINDOW);
        let to = (i + WINDOW + 1).min(words.len());
        if let Some(relay) = words[from..to]
            .iter()
            .enumerate()
            .find(|&(k, w)| {
                from + k != i && RELAY_WORDS.contains(&w.as_str()) && !if_need_be(&words, from + k)
            })
            .map(|(_, w)| w)
        {
            return Some(format!(
                "\"{}\" near \"{relay}\", and \"{secret}\"",
                words[i]
            ));
        }
    }
    None
}

/// "si besoin", "au besoin": the idiom "if need be" relays nothing.
fn if_need_be(words: &[String], at: usize) -> bool {
    words[at] == "besoin" && at > 0 && matches!(words[at - 1].as_str(), "si" | "au")
}

/// Words between a greeting and the IT it greets (folded).
const GREETED_TEAM: &[&str] = &[
    "the", "team", "le", "la", "l", "a", "equipe", "du", "de", "des", "el", "equipo", "del",
    "liebes", "liebe", "der", "vom",
];

/// Greetings that open a message to someone (folded).
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "hallo",
    "liebe",
    "lieber",
    "moin",
    "servus",
    "bonjour",
    "salut",
    "hola",
    "buenos",
    "buenas",
    "estimado",
    "estimada",
    "estimados",
];

/// Whether the word at `i` (with the next) names IT: "helpdesk", "service
/// desk", "IT" in capitals.
fn refers_to_it(words: &[String], capital_it: &[bool], i: usize) -> bool {
    capital_it[i]
        || IT_WORDS.contains(&words[i].as_str())
        || (i + 1 < words.len()
            && IT_PAIRS.iter().any(|(a, b)| {
                words[i] == *a && words[i + 1] == *b && (*a != "it" || capital_it[i])
            }))
}

/// Whether a name ("Aeris Service Desk", "IT-Support") names IT.
pub(crate) fn names_it(name: &str) -> bool {
    let words: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let capital_it: Vec<bool> = words.iter().map(|w| IT_CAPITALS.contains(w)).collect();
    let words: Vec<String> = words
        .iter()
        .map(|w| countersign_lookalike::fold(w))
        .collect();
    (0..words.len()).any(|i| refers_to_it(&words, &capital_it, i))
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    if max >= text.len() {
        return text.len();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayed_requests() {
        assert!(
            relays_for_it(
                ["Hi all, IT asked me to collect the codes you get by SMS today."],
                &[]
            )
            .is_some()
        );
        assert!(
            relays_for_it(
                ["On behalf of the IT team: please send me your password."],
                &[]
            )
            .is_some()
        );
        assert!(
            relays_for_it(
                ["Die EDV hat mich gebeten, eure Zugangsdaten zu sammeln."],
                &[]
            )
            .is_some()
        );
        assert!(
            relays_for_it(
                ["Le service informatique m'a demandé vos codes de validation."],
                &[]
            )
            .is_some()
        );
        assert!(
            relays_for_it(
                ["Los de sistemas me pidieron... me pidió sistemas tu contraseña"],
                &[]
            )
            .is_some()
        );
        assert!(
            relays_for_it(
                ["The help desk wants me to install AnyDesk on your laptop."],
                &[]
            )
            .is_some()
        );
    }

    #[test]
    fn a_named_it_colleague_counts_as_it() {
        let names = vec!["priya".to_owned()];
        let text = ["Priya me ha pedido que te avise: aprueba la notificación del móvil."];
        assert!(relays_for_it(text, &names).is_some());
        assert!(relays_for_it(text, &[]).is_none());
        // The new starter who shares an IT colleague's first name.
        let names = vec!["marc".to_owned()];
        let text = [
            "Marc empieza el lunes. Necesita usuario de Windows y acceso al portal, aprobado por su jefa.",
        ];
        assert!(relays_for_it(text, &names).is_none());
        let text = ["Alta para Marc: acceso al portal de compras, aprobado por RR. HH."];
        assert!(relays_for_it(text, &names).is_none());
    }

    #[test]
    fn if_need_be_relays_nothing() {
        let text = ["Mon jeton OTP est resté à l'hôtel. Je monte voir l'IT demain, si besoin."];
        assert!(relays_for_it(text, &[]).is_none());
        let text = ["L'IT a besoin de vos codes OTP avant midi."];
        assert!(relays_for_it(text, &[]).is_some());
    }

    #[test]
    fn another_organisations_it() {
        let text = [
            "For the freight booking tool their IT asked us to use a new driver; please install it.",
        ];
        assert!(relays_for_it(text, &[]).is_none());
        let text = [
            "For the freight booking tool our IT asked us to use a new driver; please install it.",
        ];
        assert!(relays_for_it(text, &[]).is_some());
    }

    #[test]
    fn ordinary_mentions() {
        // "it" the pronoun.
        assert!(relays_for_it(["I asked for it, please send the code to Sam."], &[]).is_none());
        // IT mentioned, nothing secret.
        assert!(
            relays_for_it(
                ["IT asked me to remind you that the office closes at six."],
                &[]
            )
            .is_none()
        );
        // A secret mentioned, no relay.
        assert!(
            relays_for_it(
                ["Reset your own password in the portal; IT is on holiday."],
                &[]
            )
            .is_none()
        );
    }
}
