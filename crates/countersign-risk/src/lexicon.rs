//! The recogniser's lexicon: ordinary vocabulary of four languages by word
//! class (`data/lexicon.toml`), reduced to Snowball stems so that one entry
//! covers its inflections.
//!
//! Looking a word up means stemming it, and a Snowball stemmer costs a few
//! hundred nanoseconds a word: far too much for every word of every
//! message. So a word is stemmed only when its first bytes could start an
//! entry of the language (a bitmap test), and the answer is remembered per
//! thread (a bounded memo: mail vocabulary repeats, so after a few messages
//! almost every lookup is one hash probe).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_stemmers::{Algorithm, Stemmer};
use serde::Deserialize;

use crate::error::RulebookError;
use crate::normalize::{fold, is_word_char};

/// A set of word classes.
pub(crate) type Classes = u128;

/// The languages of the lexicon, in slot order.
pub(crate) const LANGUAGES: [&str; 4] = ["en", "de", "fr", "es"];

/// Index of a language in [`LANGUAGES`].
pub(crate) type Lang = usize;
pub(crate) const EN: Lang = 0;
pub(crate) const DE: Lang = 1;
pub(crate) const FR: Lang = 2;
pub(crate) const ES: Lang = 3;

macro_rules! classes {
    ($($name:ident = $text:literal,)*) => {
        /// Bit positions of the word classes, named as in `data/lexicon.toml`.
        #[allow(
            non_camel_case_types,
            clippy::upper_case_acronyms,
            clippy::enum_variant_names,
            dead_code
        )]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum C { $($name,)* }
        const CLASS_NAMES: &[&str] = &[$($text,)*];
    };
}

classes! {
    POLITE = "polite",
    MODAL = "modal",
    NEED = "need",
    MUST = "must",
    ASK = "ask",
    ADDRESSEE = "addressee",
    READER_OWN = "reader_own",
    WRITER_OBJECT = "writer_object",
    WRITER_OWN = "writer_own",
    WRITER_SUBJECT = "writer_subject",
    THIRD_PARTY = "third_party",
    NEGATION = "negation",
    CONDITION = "condition",
    NO_ACTION = "no_action",
    V_GIVE = "v_give",
    V_RESET = "v_reset",
    V_DISABLE = "v_disable",
    V_ENROL = "v_enrol",
    V_APPROVE = "v_approve",
    V_GRANT = "v_grant",
    V_CREATE = "v_create",
    V_INSTALL = "v_install",
    V_CONNECT = "v_connect",
    V_PAY = "v_pay",
    V_CHANGE = "v_change",
    V_EXPORT = "v_export",
    V_CALL = "v_call",
    O_CREDENTIAL = "o_credential",
    O_CODE = "o_code",
    NOT_SECRET = "not_secret",
    O_MFA = "o_mfa",
    O_PUSH = "o_push",
    O_ACCESS = "o_access",
    O_ACCOUNT = "o_account",
    O_REMOTE = "o_remote",
    O_DEVICE = "o_device",
    O_HOST = "o_host",
    SESSION = "session",
    TOWARD = "toward",
    O_SOFTWARE = "o_software",
    O_PAY_DEST = "o_pay_dest",
    O_PAYMENT = "o_payment",
    O_TRANSFER = "o_transfer",
    O_GIFT = "o_gift",
    O_PAYROLL = "o_payroll",
    O_DATA = "o_data",
    NEW = "new",
    BELOW = "below",
    UNCHANGED = "unchanged",
    SCARE = "scare",
    TRANSACTION = "transaction",
    CANCEL = "cancel",
    PHONE_LINE = "phone_line",
    REWARD = "reward",
    OFFER = "offer",
    SURVEY = "survey",
    JOB = "job",
    FREE = "free",
    UPGRADE = "upgrade",
    HELP_OFFER = "help_offer",
    PROBLEM = "problem",
    SUPPORT_ROLE = "support_role",
    PATCH = "patch",
    CRITICAL = "critical",
    URGENT = "urgent",
    THREAT = "threat",
    SECRET = "secret",
    TELL_OTHER = "tell_other",
    OTHERS = "others",
    PROCESS = "process",
    SKIP = "skip",
    BUSY = "busy",
    CONJUNCTION = "conjunction",
    FILLER = "filler",
    APPLYING = "applying",
    PRONOUN = "pronoun",
    DEMONSTRATIVE = "demonstrative",
    FROM = "from",
    ARTICLE = "article",
    O_PAYEE = "o_payee",
    CURRENCY = "currency",
    O_PEOPLE = "o_people",
    O_LIST = "o_list",
    COURTESY = "courtesy",
    BENEFICIARY = "beneficiary",
    WARNING = "warning",
    V_KEEP = "v_keep",
    BULK = "bulk",
    WH = "wh",
    MANNER = "manner",
    V_SIGNIN = "v_signin",
    V_VERIFY = "v_verify",
    O_IDENTITY = "o_identity",
    O_LINK = "o_link",
    DEADLINE_PREP = "deadline_prep",
    TIME_UNIT = "time_unit",
    DAY_NAME = "day_name",
    DEADLINE = "deadline",
    DELIVERED = "delivered",
    PURPOSE = "purpose",
    TITLE = "title",
    IDIOM = "idiom",
    SALUTATION = "salutation",
    WITH = "with",
    REMOTELY = "remotely",
}

impl C {
    /// The class as a one-bit set.
    pub(crate) const fn bit(self) -> Classes {
        1u128 << (self as u8)
    }
}

/// The bits of several classes.
pub(crate) fn bits(list: &[C]) -> Classes {
    list.iter().fold(0, |acc, c| acc | c.bit())
}

/// The name of every class in `set`, for evidence.
pub(crate) fn class_names(set: Classes) -> Vec<&'static str> {
    CLASS_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| set & (1u128 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// What the lexicon says about one word in one language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The word's classes (empty when it is only part of a unit).
    pub classes: Classes,
    /// The stem's identity, shared by every inflection; 0 for an unknown word.
    pub lemma: u32,
}

/// A multi-word unit: its words after the first, by lemma, and its classes.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    pub rest: Vec<u32>,
    pub classes: Classes,
}

/// The compiled lexicon.
pub(crate) struct Lexicon {
    id: u64,
    stemmers: [Stemmer; 4],
    words: [HashMap<Box<str>, Entry>; 4],
    /// Units by the lemma of their first word, longest first.
    units: [HashMap<u32, Vec<Unit>>; 4],
    /// The same, indexed by lemma for the hot path (lemmas are dense).
    units_by_lemma: [Vec<Vec<Unit>>; 4],
    /// German nouns as they are written, to find them as compound heads.
    heads: HashMap<Box<str>, Entry>,
    /// Verbs as they are written in the lexicon (their base forms), per
    /// language: an English imperative is one of these, not "activity" or
    /// "executive" that merely share a stem with one.
    verb_forms: [std::collections::HashSet<Box<str>>; 4],
    prefixes: [Box<[u64]>; 4],
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("words", &self.words.iter().map(HashMap::len).sum::<usize>())
            .finish_non_exhaustive()
    }
}

const DEFAULT_LEXICON: &str = include_str!("../data/lexicon.toml");

/// The name reported as the origin of the shipped lexicon.
pub(crate) const LEXICON_ORIGIN: &str = "<default lexicon>";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    class: HashMap<String, RawClass>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawClass {
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    de: Vec<String>,
    #[serde(default)]
    fr: Vec<String>,
    #[serde(default)]
    es: Vec<String>,
}

const PREFIX_BITS: usize = 1 << 20;

/// The bitmap slot of a word's first `n` bytes (or the whole word when
/// shorter). Entries register their first four bytes, and short stems
/// ("pay", "pin") their whole: a word can only stem to an entry whose
/// beginning it shares.
fn prefix_slot(word: &[u8], n: usize) -> usize {
    let n = word.len().min(n);
    let mut h: u32 = n as u32;
    for &b in &word[..n] {
        h = h.wrapping_mul(0x0100_0193) ^ u32::from(b);
    }
    (h.wrapping_mul(0x9e37_79b1) >> 12) as usize
}

/// Splits folded text into words the way message text is split.
pub(crate) fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

impl Lexicon {
    /// The shipped lexicon.
    pub(crate) fn default_lexicon() -> Result<Lexicon, RulebookError> {
        Lexicon::from_toml(DEFAULT_LEXICON, LEXICON_ORIGIN)
    }

    pub(crate) fn from_toml(text: &str, origin: &str) -> Result<Lexicon, RulebookError> {
        let raw: RawLexicon = toml::from_str(text).map_err(|e| RulebookError::Parse {
            origin: origin.to_owned(),
            line: 1,
            column: 1,
            message: e.message().trim().to_owned(),
        })?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let algorithms = [
            Algorithm::English,
            Algorithm::German,
            Algorithm::French,
            Algorithm::Spanish,
        ];
        let mut lex = Lexicon {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            stemmers: algorithms.map(Stemmer::create),
            words: Default::default(),
            units: Default::default(),
            units_by_lemma: Default::default(),
            heads: HashMap::new(),
            verb_forms: Default::default(),
            prefixes: std::array::from_fn(|_| vec![0u64; PREFIX_BITS / 64].into_boxed_slice()),
        };
        let mut next_lemma = 1u32;
        let mut names: Vec<&String> = raw.class.keys().collect();
        names.sort();
        for name in names {
            let Some(index) = CLASS_NAMES.iter().position(|n| n == name) else {
                return Err(RulebookError::Parse {
                    origin: origin.to_owned(),
                    line: 1,
                    column: 1,
                    message: format!("unknown word class {name:?}"),
                });
            };
            let class: Classes = 1u128 << index;
            let entries = &raw.class[name];
            for (lang, list) in [&entries.en, &entries.de, &entries.fr, &entries.es]
                .into_iter()
                .enumerate()
            {
                for entry in list {
                    lex.add(lang, entry, class, &mut next_lemma);
                }
            }
        }
        for (lang, units) in lex.units.iter_mut().enumerate() {
            let dense = &mut lex.units_by_lemma[lang];
            dense.resize(next_lemma as usize + 1, Vec::new());
            for (&head, list) in units.iter_mut() {
                list.sort_by_key(|u| std::cmp::Reverse(u.rest.len()));
                dense[head as usize] = list.clone();
            }
        }
        Ok(lex)
    }

    fn lemma_of(&mut self, lang: Lang, word: &str, next: &mut u32) -> u32 {
        let stem = self.stemmers[lang].stem(word).into_owned();
        let prefixes = &mut self.prefixes[lang];
        for key in [stem.as_bytes(), word.as_bytes()] {
            let slot = prefix_slot(key, 4);
            prefixes[slot / 64] |= 1 << (slot % 64);
            if key.len() < 4 {
                // A short stem starts longer words: "pay" -> "payment".
                for n in 1..=3 {
                    let slot = prefix_slot(key, n) ^ (n << 18);
                    prefixes[slot / 64] |= 1 << (slot % 64);
                }
            }
        }
        let entry = self.words[lang].entry(stem.into()).or_insert_with(|| {
            *next += 1;
            Entry {
                classes: 0,
                lemma: *next,
            }
        });
        entry.lemma
    }

    fn add(&mut self, lang: Lang, entry: &str, class: Classes, next: &mut u32) {
        let folded = fold(entry);
        let words: Vec<&str> = words_of(&folded).collect();
        match words.as_slice() {
            [] => {}
            [word] => {
                if class & verb_classes() != 0 {
                    self.verb_forms[lang].insert((*word).into());
                }
                let lemma = self.lemma_of(lang, word, next);
                let stem = self.stemmers[lang].stem(word).into_owned();
                if let Some(e) = self.words[lang].get_mut(stem.as_str()) {
                    e.classes |= class;
                }
                if lang == DE && word.len() >= 4 && class & noun_classes() != 0 {
                    let head = self
                        .heads
                        .entry((*word).into())
                        .or_insert(Entry { classes: 0, lemma });
                    head.classes |= class;
                }
            }
            [first, rest @ ..] => {
                if class & verb_classes() != 0 {
                    self.verb_forms[lang].insert((*first).into());
                }
                let head = self.lemma_of(lang, first, next);
                let rest: Vec<u32> = rest.iter().map(|w| self.lemma_of(lang, w, next)).collect();
                let list = self.units[lang].entry(head).or_default();
                match list.iter_mut().find(|u| u.rest == rest) {
                    Some(u) => u.classes |= class,
                    None => list.push(Unit {
                        rest,
                        classes: class,
                    }),
                }
            }
        }
    }

    /// Whether `word` is written in the lexicon as a verb of `lang` (a base
    /// form, or a form listed as such).
    pub(crate) fn is_verb_form(&self, lang: Lang, word: &str) -> bool {
        self.verb_forms[lang].contains(word)
            // "reconnect": a listed form done again (see `compute`).
            || word.len() >= 6
                && word
                    .strip_prefix("re")
                    .is_some_and(|rest| self.verb_forms[lang].contains(rest))
    }

    /// The units starting with `lemma` in `lang`, longest first.
    pub(crate) fn units(&self, lang: Lang, lemma: u32) -> &[Unit] {
        self.units_by_lemma[lang]
            .get(lemma as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// What `word` (folded, one word) is in `lang`.
    pub(crate) fn lookup(&self, lang: Lang, word: &str) -> Entry {
        if word.len() > 40 || word.is_empty() {
            return Entry::default();
        }
        let bytes = word.as_bytes();
        let bits = &self.prefixes[lang];
        let set = |slot: usize| bits[slot / 64] & (1 << (slot % 64)) != 0;
        let starts_an_entry =
            set(prefix_slot(bytes, 4)) || bytes.len() > 3 && set(prefix_slot(bytes, 3) ^ (3 << 18));
        // Compounds, enclitics and a verb's "re" can hide an entry behind a
        // prefix that starts none.
        let hidden_entry = lang == DE && word.len() >= 7
            || lang == ES && word.len() >= 5
            || lang != DE && word.len() >= 6 && bytes.starts_with(b"re");
        if !(starts_an_entry || hidden_entry) {
            return Entry::default();
        }
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            if memo.lexicon != self.id {
                memo.lexicon = self.id;
                memo.maps.iter_mut().for_each(HashMap::clear);
                memo.size = 0;
            }
            if let Some(e) = memo.maps[lang].get(word) {
                return *e;
            }
            let mut e = self.compute(lang, word);
            // "envíeme", "facilítenos": the writer is in the verb.
            if lang == ES
                && e.classes & verb_classes() != 0
                && word.len() > 5
                && ["me", "nos", "melo", "noslo"]
                    .iter()
                    .any(|c| word.ends_with(c))
            {
                e.classes |= C::WRITER_OBJECT.bit();
            }
            // "bajarlo", "revisándola", "mándamelos": an infinitive, a
            // gerund or a first clitic holds a pronoun of a thing. The
            // stemmer strips it and finds the verb before the enclitic
            // branch of `compute` could tell.
            if lang == ES
                && e.classes & verb_classes() != 0
                && e.classes & C::PRONOUN.bit() == 0
                && holds_thing_clitic(word)
            {
                e.classes |= C::PRONOUN.bit();
            }
            if memo.size >= MEMO_CAPACITY {
                memo.maps.iter_mut().for_each(HashMap::clear);
                memo.size = 0;
            }
            memo.size += 1;
            memo.maps[lang].insert(word.into(), e);
            e
        })
    }

    /// A Spanish form with "qu" before a final "e" ("autentique",
    /// "identifiquen") looked up with the "c" of its infinitive.
    fn spanish_qu(&self, word: &str) -> Option<Entry> {
        let at = word.rfind("que")?;
        let tail = &word[at + 3..];
        if !matches!(tail, "" | "n" | "s" | "mos") {
            return None;
        }
        let with_c = format!("{}ce{tail}", &word[..at]);
        let stem = self.stemmers[ES].stem(&with_c);
        self.words[ES].get(stem.as_ref()).copied()
    }

    fn compute(&self, lang: Lang, word: &str) -> Entry {
        let stem = self.stemmers[lang].stem(word);
        // "Auf anderem Weg": folded, "andere" shares the stem of "ändern";
        // the adjective is only the other, new one.
        if lang == DE
            && matches!(
                word,
                "andere" | "anderen" | "anderem" | "anderer" | "anderes"
            )
        {
            let lemma = self.words[DE].get(stem.as_ref()).map_or(0, |e| e.lemma);
            return Entry {
                classes: C::NEW.bit(),
                lemma,
            };
        }
        // "Devant vous": the preposition shares its stem with "devez",
        // "doit"'s obligation; it is only a place.
        if lang == FR && word == "devant" {
            return Entry::default();
        }
        // "Eure", "euren": the stemmer cuts them to the stem of "Euro"; they
        // are the plural reader's possessive, as "euer" is.
        if lang == DE && matches!(word, "eure" | "euren" | "eurem" | "eurer" | "eures") {
            let euer = self.stemmers[DE].stem("euer");
            let lemma = self.words[DE].get(euer.as_ref()).map_or(0, |e| e.lemma);
            return Entry {
                classes: C::ADDRESSEE.bit() | C::READER_OWN.bit(),
                lemma,
            };
        }
        // "Terminal" shares its stem with "terminate": a screen or a card
        // reader, not an ending.
        if lang == EN
            && matches!(word, "terminal" | "terminals")
            && let Some(e) = self.words[EN].get(stem.as_ref())
        {
            return Entry {
                classes: e.classes & !(C::THREAT.bit() | C::CANCEL.bit()),
                lemma: e.lemma,
            };
        }
        if let Some(e) = self.words[lang].get(stem.as_ref()) {
            // "geändert", "aktualisiert" are listed as what is new ("die
            // geänderte Bankverbindung"); as participles they are also
            // their verb's ("muss geändert werden").
            if lang == DE
                && e.classes & C::NEW.bit() != 0
                && e.classes & verb_classes() == 0
                && let Some(p) = self.german_participle(word)
                && p.classes & verb_classes() != 0
            {
                return Entry {
                    classes: e.classes | p.classes & verb_classes(),
                    lemma: e.lemma,
                };
            }
            return *e;
        }
        if let Some(e) = self.words[lang].get(word) {
            return *e;
        }
        // German finite forms in -t and -et ("gebt ihr", "fügt sie ...
        // hinzu", "richtet ... ein", "er schickt"): the infinitive's stem.
        if lang == DE {
            for end in ["et", "t"] {
                let Some(base) = word.strip_suffix(end).filter(|b| b.len() >= 3) else {
                    continue;
                };
                // Verbs in -eln and -ern take only "n": "wechselt" is
                // "wechseln", "erweitert" is "erweitern".
                let short = base.ends_with("el") || base.ends_with("er");
                let infinitives = [Some(format!("{base}en")), short.then(|| format!("{base}n"))];
                for infinitive in infinitives.into_iter().flatten() {
                    let stem = self.stemmers[DE].stem(&infinitive).into_owned();
                    if let Some(e) = self.words[DE].get(stem.as_str())
                        && e.classes & verb_classes() != 0
                    {
                        return *e;
                    }
                }
            }
        }
        // Spanish futures and conditionals ("conectaré", "instalarán",
        // "enviaría"): folded, their accents gone, the stemmer no longer
        // finds the infinitive in them; it is the form without its ending.
        if lang == ES {
            const ENDINGS: &[&str] = &[
                "remos", "riamos", "riais", "rias", "rian", "reis", "ras", "ran", "ria", "re", "ra",
            ];
            for end in ENDINGS {
                let Some(base) = word.strip_suffix(end).filter(|b| b.len() >= 4) else {
                    continue;
                };
                if !base.ends_with(['a', 'e', 'i']) {
                    continue;
                }
                let stem = self.stemmers[ES].stem(&format!("{base}r")).into_owned();
                if let Some(e) = self.words[ES].get(stem.as_str())
                    && e.classes & verb_classes() != 0
                {
                    return *e;
                }
            }
        }
        // German verbs with a directional particle glued on
        // ("zurückschicken", "rüberschicken", "weitergeben") act as the verb
        // they are made from.
        if lang == DE {
            for particle in ["zuruck", "weiter", "ruber", "her", "hin", "hoch"] {
                if let Some(rest) = word.strip_prefix(particle).filter(|r| r.len() >= 5) {
                    let stem = self.stemmers[DE].stem(rest);
                    if let Some(e) = self.words[DE].get(stem.as_ref())
                        && e.classes & verb_classes() != 0
                    {
                        // Sent back, it goes to the writer.
                        let back = if particle == "zuruck" {
                            C::WRITER_OBJECT.bit()
                        } else {
                            0
                        };
                        return Entry {
                            classes: e.classes & verb_classes() | back,
                            lemma: e.lemma,
                        };
                    }
                }
            }
        }
        match lang {
            DE if word.len() >= 5 => {
                // Participles: "aktualisiert", "geändert", "zurückgesetzt",
                // "überwiesen" have the stem of their infinitive.
                if let Some(e) = self.german_participle(word) {
                    return e;
                }
                // A compound ends in its head: "Kontonummer", "Mitarbeiterliste".
                for i in 2..word.len().saturating_sub(3) {
                    let Some(tail) = word.get(i..) else { continue };
                    for end in ["", "n", "en", "s", "e", "es"] {
                        let Some(tail) = tail.strip_suffix(end) else {
                            continue;
                        };
                        if tail.len() < 4 {
                            continue;
                        }
                        if let Some(e) = self.heads.get(tail) {
                            let mut e = *e;
                            // "Administratorkonto", "Adminzugang": a
                            // privileged first part makes an account an
                            // access to grant as well.
                            let first = word.get(..i).unwrap_or("");
                            if PRIVILEGED_FIRST_PARTS.contains(&first) {
                                e.classes |= C::O_ACCESS.bit();
                            }
                            // "Gehaltsliste", "Kundendatei": a container
                            // holds what its first part names.
                            if e.classes & C::O_LIST.bit() != 0 {
                                let held = bits(&[C::O_PEOPLE, C::O_PAYROLL, C::O_DATA]);
                                let part = self
                                    .heads
                                    .get(first)
                                    .or_else(|| self.heads.get(first.strip_suffix('s')?));
                                e.classes |= part.map_or(0, |p| p.classes & held);
                            }
                            return e;
                        }
                    }
                }
                // Else a compound whose first part is an object of a request:
                // "Fernwartungsportal", "Passwortliste", "Bankverbindungsdaten".
                let best = self
                    .heads
                    .iter()
                    .filter(|(head, _)| {
                        head.len() >= 6
                            && word.len() > head.len() + 2
                            && word.starts_with(head.as_ref())
                    })
                    .max_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| b.0.cmp(a.0)));
                if let Some((_, e)) = best {
                    return *e;
                }
            }
            ES if word.len() >= 5 => {
                // Folding took the accent the stemmer needs to see a verb
                // ending ("enviáis", "podría", "envió"): put it back.
                for (folded, accented) in ACCENTED_SPANISH_ENDINGS {
                    if let Some(base) = word.strip_suffix(folded)
                        && base.len() >= 3
                    {
                        let accented = format!("{base}{accented}");
                        let stem = self.stemmers[lang].stem(&accented);
                        if let Some(e) = self.words[lang].get(stem.as_ref()) {
                            return *e;
                        }
                    }
                }
                // "Autentique": the subjunctive writes the "c" of
                // "autenticar" as "qu" before "e", which the stemmer keeps.
                if let Some(e) = self.spanish_qu(word) {
                    return e;
                }
                // Enclitic pronouns: "envíenos", "facilíteme", "dígamelo",
                // and the reader's own "te" after a familiar imperative
                // ("descárgate", "instálate") or the formal "se"
                // ("identifíquese"), whose ending is a vowel (not
                // "importante", "cliente", "clase").
                for clitic in [
                    "noslo", "melo", "selo", "telo", "tela", "nos", "les", "me", "le", "lo", "la",
                    "te", "se",
                ] {
                    if let Some(base) = word.strip_suffix(clitic)
                        && base.len() >= 3
                        && (!matches!(clitic, "te" | "telo" | "tela" | "se")
                            || base.ends_with(['a', 'e'])
                            // "identifíquense": the plural's "n".
                            || clitic == "se" && (base.ends_with("en") || base.ends_with("an")))
                    {
                        let stem = self.stemmers[lang].stem(base);
                        if let Some(e) = self.words[lang]
                            .get(stem.as_ref())
                            .copied()
                            .or_else(|| self.spanish_qu(base))
                        {
                            // "acéptelo", "envíela": the pronoun is in the word.
                            let mut e = e;
                            if matches!(
                                clitic,
                                "lo" | "la"
                                    | "le"
                                    | "les"
                                    | "melo"
                                    | "noslo"
                                    | "selo"
                                    | "telo"
                                    | "tela"
                            ) {
                                e.classes |= C::PRONOUN.bit();
                            }
                            return e;
                        }
                    }
                }
            }
            _ => {}
        }
        // "Reconnect", "reenter", "reconnectez-vous", "reingrese",
        // "réenregistrer", "reinstall": the verb done again, for the acts
        // of handing over, signing in, confirming, enrolling and
        // installing (a hyphenated "re-enter" is two words already).
        if lang != DE
            && word.len() >= 6
            && let Some(rest) = word.strip_prefix("re")
        {
            let again = bits(&[
                C::V_GIVE,
                C::V_CONNECT,
                C::V_SIGNIN,
                C::V_VERIFY,
                C::V_ENROL,
                C::V_INSTALL,
            ]);
            let e = self.compute(lang, rest);
            if e.classes & again != 0 {
                return Entry {
                    classes: e.classes & again,
                    lemma: e.lemma,
                };
            }
        }
        Entry::default()
    }
}

/// A Spanish verb form (folded) ending in a clitic of a thing ("lo",
/// "la", "los", "las") after an infinitive ("-r"), a gerund ("-ndo") or
/// a first clitic ("me", "te", "se", "nos"): "abrirlo", "cambiándola",
/// "pásamelas". Third persons such as "anula" or "regula" end in "-la"
/// without any of these before it.
fn holds_thing_clitic(word: &str) -> bool {
    ["lo", "la", "los", "las"].iter().any(|c| {
        word.strip_suffix(c).is_some_and(|base| {
            base.len() >= 3
                && ["r", "ndo", "me", "te", "se", "nos"]
                    .iter()
                    .any(|e| base.ends_with(e))
        })
    })
}

/// German compounds' first parts that name privilege ("Adminkonto",
/// "Rootzugang"), folded. Hyphenated ones are separate words already.
const PRIVILEGED_FIRST_PARTS: &[&str] = &[
    "admin",
    "administrator",
    "administratoren",
    "domanenadmin",
    "root",
    "superuser",
    "sysadmin",
];

/// Spanish verb endings as folding leaves them, with the accent Snowball's
/// Spanish stemmer knows them by; longest first.
const ACCENTED_SPANISH_ENDINGS: &[(&str, &str)] = &[
    ("iamos", "íamos"),
    ("iais", "íais"),
    ("ais", "áis"),
    ("eis", "éis"),
    ("ias", "ías"),
    ("ian", "ían"),
    ("ia", "ía"),
    ("io", "ió"),
];

/// The classes of verbs.
fn verb_classes() -> Classes {
    bits(&[
        C::V_GIVE,
        C::V_RESET,
        C::V_DISABLE,
        C::V_ENROL,
        C::V_APPROVE,
        C::V_GRANT,
        C::V_INSTALL,
        C::V_CONNECT,
        C::V_PAY,
        C::V_CHANGE,
        C::V_EXPORT,
        C::V_CALL,
    ])
}

/// The classes of nouns that are objects of a request: only these are
/// looked for inside German compounds.
pub(crate) fn noun_classes() -> Classes {
    bits(&[
        C::O_CREDENTIAL,
        C::O_CODE,
        C::O_MFA,
        C::O_ACCESS,
        C::O_ACCOUNT,
        C::O_REMOTE,
        C::O_DEVICE,
        C::O_SOFTWARE,
        C::O_PAY_DEST,
        C::O_PAYMENT,
        C::O_TRANSFER,
        C::O_GIFT,
        C::O_PAYROLL,
        C::O_DATA,
        C::O_LIST,
        C::O_PEOPLE,
        C::O_PAYEE,
    ])
}

impl Lexicon {
    /// A German participle's infinitive entry: "aktualisiert" -> "aktualisieren",
    /// "geändert" -> "ändern", "zurückgesetzt" -> "zurücksetzen".
    fn german_participle(&self, word: &str) -> Option<Entry> {
        let base = ["ten", "te", "t", "en"]
            .iter()
            .find_map(|end| word.strip_suffix(end).filter(|b| b.len() >= 3))?;
        let mut candidates: Vec<String> = Vec::new();
        if let Some(b) = base.strip_suffix("ier") {
            candidates.push(format!("{b}ieren"));
        }
        const PREFIXES: &[&str] = &[
            "", "zuruck", "ab", "an", "auf", "aus", "ein", "frei", "um", "zu", "weiter", "vor",
            "mit", "nach", "hoch", "her", "hin",
        ];
        for prefix in PREFIXES {
            if let Some(rest) = base.strip_prefix(prefix)
                && let Some(stem) = rest.strip_prefix("ge")
                && stem.len() >= 2
            {
                candidates.push(format!("{prefix}{stem}en"));
                candidates.push(format!("{prefix}{stem}n"));
            }
        }
        for c in candidates {
            let stem = self.stemmers[DE].stem(&c);
            if let Some(e) = self.words[DE].get(stem.as_ref())
                && e.classes != 0
            {
                return Some(*e);
            }
        }
        None
    }
}

/// Words remembered per thread before the memo starts over.
const MEMO_CAPACITY: usize = 1 << 16;

struct Memo {
    lexicon: u64,
    size: usize,
    maps: [HashMap<Box<str>, Entry, KeyedBuild>; 4],
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo {
        lexicon: 0,
        size: 0,
        maps: std::array::from_fn(|_| HashMap::with_hasher(KeyedBuild::new())),
    });
}

/// A fast multiplicative hash for the memo's short keys, seeded per thread
/// from the standard library's random keys, so that nobody can choose words
/// that collide (the memo holds whatever words mail brings).
#[derive(Clone)]
struct KeyedBuild(u64);

impl KeyedBuild {
    fn new() -> Self {
        use std::hash::BuildHasher;
        KeyedBuild(std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1)
    }
}

impl std::hash::BuildHasher for KeyedBuild {
    type Hasher = Keyed;
    fn build_hasher(&self) -> Keyed {
        Keyed(self.0)
    }
}

struct Keyed(u64);

impl std::hash::Hasher for Keyed {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(w) ^ rest.len() as u64).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        // Mix the high bits down: SwissTable uses the top 7 bits as a tag.
        let h = self.0;
        h ^ (h >> 29) ^ (h >> 47)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_loads_and_stems_inflections() {
        let lex = Lexicon::default_lexicon().unwrap();
        let has = |lang, word: &str, class: C| lex.lookup(lang, word).classes & class.bit() != 0;
        assert!(has(EN, "sending", C::V_GIVE));
        assert!(has(EN, "passwords", C::O_CREDENTIAL));
        assert!(has(DE, "überweisen", C::V_PAY) || has(DE, "uberweisen", C::V_PAY));
        assert!(has(DE, "kontonummer", C::O_PAY_DEST));
        assert!(has(DE, "mitarbeiterlisten", C::O_LIST));
        assert!(has(FR, "envoyez", C::V_GIVE));
        assert!(has(ES, "envienos", C::V_GIVE));
        assert!(has(ES, "facilitenos", C::V_GIVE));
        // Accents folding took away: "enviáis", "mandaríais", "envió".
        assert!(has(ES, "enviais", C::V_GIVE));
        assert!(has(ES, "mandariais", C::V_GIVE));
        assert!(has(ES, "envio", C::V_GIVE));
        // Futures and conditionals: "conectaré", "instalarán", "enviaría".
        assert!(has(ES, "conectare", C::V_CONNECT));
        assert!(has(ES, "instalaran", C::V_INSTALL));
        assert!(has(ES, "enviaria", C::V_GIVE));
        assert!(!has(ES, "factura", C::V_CONNECT) && !has(ES, "hora", C::V_GIVE));
        // "Geändert" is what is new and its verb's participle.
        assert!(has(DE, "geandert", C::NEW) && has(DE, "geandert", C::V_RESET));
        // "Devant" is a place, not "devez"'s obligation.
        assert!(has(FR, "devez", C::MUST) && !has(FR, "devant", C::MUST));
        // The reader's "te" after a familiar imperative, and short forms
        // the stemmer leaves whole.
        assert!(has(ES, "descargate", C::V_INSTALL));
        assert!(has(ES, "abrelo", C::V_INSTALL));
        // "qu" for the infinitive's "c", with the formal "se".
        assert!(has(ES, "reautentiquese", C::V_SIGNIN));
        assert!(!has(ES, "clase", C::V_SIGNIN));
        assert!(!has(ES, "importante", C::V_INSTALL) && !has(ES, "cliente", C::V_INSTALL));
        // A verb done again is the verb.
        assert!(has(EN, "reconnect", C::V_CONNECT));
        assert!(has(EN, "reenter", C::V_GIVE));
        assert!(has(FR, "reenregistrer", C::V_ENROL) && has(EN, "reinstall", C::V_INSTALL));
        assert!(!has(EN, "sender", C::V_GIVE));
        assert_eq!(lex.lookup(EN, "zebra"), Entry::default());
    }
}
