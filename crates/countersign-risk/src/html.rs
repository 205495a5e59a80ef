//! A small HTML-to-text stripper: the visible text of a part, plus the URLs
//! its tags point to and the visible text of each anchor.
//!
//! It is not a conforming HTML parser and need not be: it only has to see
//! the words a reader sees (so `pass<b></b>word` reads "password" and
//! `&#8203;` disappears in folding) and every `href`/`src`. It never fails
//! and runs in one pass over the input.

use crate::extract::{first_url_host, url_host};
use crate::normalize::LINK_END;

/// What the stripper found in one HTML part.
#[derive(Debug, Default)]
pub(crate) struct Stripped {
    /// The visible text, entities decoded, block elements as line breaks,
    /// [`LINK_END`] after the text of each anchor to a web page.
    pub text: String,
    /// Every `href` and `src` value, entities decoded, in order (the first
    /// `max_links` of them: see [`strip`]).
    pub urls: Vec<String>,
    /// Each `<a href>` with its visible text: (href, text), the first
    /// `max_links` of them.
    pub anchors: Vec<(String, String)>,
    /// How many `href` and `src` values there are in all, kept or not.
    pub urls_seen: usize,
}

/// Elements whose content a reader never sees.
const HIDDEN: [&str; 3] = ["script", "style", "template"];

/// Elements that start a new line of text; others are inline, so
/// `pass<span>word</span>` stays one word.
const BLOCK: [&str; 22] = [
    "br",
    "p",
    "div",
    "tr",
    "td",
    "th",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "title",
    "section",
    "article",
    "blockquote",
    "pre",
];

/// Strips `html`, keeping at most `max_links` URLs and anchors (the rest are
/// only counted in `urls_seen`): the text is read whole, the links are
/// bounded.
pub(crate) fn strip(html: &str, max_links: usize) -> Stripped {
    let mut out = Stripped {
        text: String::with_capacity(html.len() / 2),
        ..Stripped::default()
    };
    let bytes = html.as_bytes();
    let mut i = 0;
    // Start of the text of the open anchor, and its href.
    let mut anchor: Option<(usize, String)> = None;
    let mut text_from = 0;
    // Inside `<pre>` line breaks are the text's own; elsewhere a line
    // break in the source is a space, as a browser shows it (only `<br>`
    // and blocks break lines), so a sentence wrapped in the source stays
    // one sentence.
    let mut pre_depth = 0usize;
    let push_text = |out: &mut Stripped, text: &str, pre: bool| {
        if pre || !text.contains(['\n', '\r']) {
            out.text.push_str(text);
        } else {
            out.text.extend(
                text.chars()
                    .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
            );
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                push_text(&mut out, &html[text_from..i], pre_depth > 0);
                if html[i..].starts_with("<!--") {
                    i = html[i + 4..]
                        .find("-->")
                        .map_or(bytes.len(), |e| i + 4 + e + 3);
                    text_from = i;
                    continue;
                }
                let Some(tag) = parse_tag(html, i) else {
                    // A `<` that opens no tag is text ("a < b").
                    out.text.push('<');
                    i += 1;
                    text_from = i;
                    continue;
                };
                i = tag.end;
                text_from = i;
                // Compared without allocating: every listed name is lowercase
                // ASCII.
                let name = tag.name;
                let is = |n: &str| name.eq_ignore_ascii_case(n);
                let hidden = HIDDEN.iter().find(|h| is(h));
                if !tag.closing
                    && let Some(name) = hidden
                {
                    // Skip to the matching close tag; `<` inside a script is
                    // not markup.
                    let close = format!("</{name}");
                    i = find_ascii_ci(&html[i..], &close)
                        .map(|p| i + p)
                        .and_then(|p| html[p..].find('>').map(|e| p + e + 1))
                        .unwrap_or(bytes.len());
                    text_from = i;
                    continue;
                }
                if is("pre") {
                    pre_depth = match tag.closing {
                        true => pre_depth.saturating_sub(1),
                        false => pre_depth + 1,
                    };
                }
                if BLOCK.iter().any(|b| is(b)) {
                    out.text.push('\n');
                } else if is("img") || is("input") {
                    out.text.push(' ');
                }
                for (attr, value) in &tag.urls {
                    out.urls_seen += 1;
                    if out.urls_seen > max_links {
                        continue;
                    }
                    let value = decode_entities(value);
                    if *attr == "href" && is("a") && !tag.closing {
                        anchor = Some((out.text.len(), value.clone()));
                    }
                    out.urls.push(value);
                }
                if is("a")
                    && tag.closing
                    && let Some((from, href)) = anchor.take()
                {
                    let visible = out.text.get(from..).unwrap_or_default().trim().to_owned();
                    // A shown address ("https://...") is read as a link
                    // already.
                    if !visible.is_empty()
                        && url_host(&href).is_some()
                        && first_url_host(&visible).is_none()
                    {
                        out.text.push(LINK_END);
                    }
                    out.anchors.push((href, visible));
                }
            }
            b'&' => {
                push_text(&mut out, &html[text_from..i], pre_depth > 0);
                match entity(html, i) {
                    Some((c, len)) => {
                        out.text.push(c);
                        i += len;
                    }
                    None => {
                        out.text.push('&');
                        i += 1;
                    }
                }
                text_from = i;
            }
            // Plain text up to the next markup or entity.
            _ => i = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p),
        }
    }
    push_text(&mut out, &html[text_from..], pre_depth > 0);
    if let Some((from, href)) = anchor {
        let visible = out.text.get(from..).unwrap_or_default().trim().to_owned();
        out.anchors.push((href, visible));
    }
    out
}

struct Tag<'a> {
    name: &'a str,
    closing: bool,
    /// `href`/`src` attributes: (name, raw value).
    urls: Vec<(&'static str, &'a str)>,
    /// Byte offset just past the `>`.
    end: usize,
}

fn parse_tag(html: &str, at: usize) -> Option<Tag<'_>> {
    let bytes = html.as_bytes();
    let mut i = at + 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    if bytes.get(i).is_some_and(|b| *b == b'!' || *b == b'?') {
        // <!DOCTYPE ...>, <?xml ...?>: no text, no URLs.
        let end = html[i..].find('>').map_or(bytes.len(), |e| i + e + 1);
        return Some(Tag {
            name: "",
            closing,
            urls: Vec::new(),
            end,
        });
    }
    if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name_start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b':')
    {
        i += 1;
    }
    let name = &html[name_start..i];
    let mut urls = Vec::new();
    // Attributes: name[=value], value quoted or bare.
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return Some(Tag {
                name,
                closing,
                urls,
                end: bytes.len(),
            });
        }
        if bytes[i] == b'>' {
            return Some(Tag {
                name,
                closing,
                urls,
                end: i + 1,
            });
        }
        let attr_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let attr = &html[attr_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            if i == attr_start {
                // A stray character; step over it so the loop advances.
                i += 1;
            }
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                let end = html[start..]
                    .find(q as char)
                    .map_or(bytes.len(), |e| start + e);
                i = (end + 1).min(bytes.len());
                &html[start..end]
            }
            _ => {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                &html[start..i]
            }
        };
        if attr.eq_ignore_ascii_case("href") {
            urls.push(("href", value));
        } else if attr.eq_ignore_ascii_case("src") {
            urls.push(("src", value));
        }
    }
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

/// Decodes the entities in an attribute value.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut from = 0;
    while let Some(p) = s[i..].find('&') {
        let at = i + p;
        out.push_str(&s[from..at]);
        match entity(s, at) {
            Some((c, len)) => {
                out.push(c);
                i = at + len;
            }
            None => {
                out.push('&');
                i = at + 1;
            }
        }
        from = i;
    }
    out.push_str(&s[from..]);
    out
}

/// The character of the entity starting at `at` (an `&`) and its length.
fn entity(s: &str, at: usize) -> Option<(char, usize)> {
    let rest = &s[at + 1..];
    let semi = rest.bytes().take(32).position(|b| b == b';')?;
    let body = &rest[..semi];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(code).unwrap_or('\u{FFFD}')
    } else {
        named_entity(body)?
    };
    Some((c, semi + 2))
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "zwsp" | "zwnj" | "zwj" | "shy" | "lrm" | "rlm" | "NoBreak" | "ZeroWidthSpace" => {
            '\u{200B}'
        }
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "hellip" => '…',
        "euro" => '€',
        "pound" => '£',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "iexcl" => '¡',
        "iquest" => '¿',
        "middot" => '·',
        "bull" => '•',
        "szlig" => 'ß',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "aacute" => 'á',
        "eacute" => 'é',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "Aacute" => 'Á',
        "Eacute" => 'É',
        "Iacute" => 'Í',
        "Oacute" => 'Ó',
        "Uacute" => 'Ú',
        "agrave" => 'à',
        "egrave" => 'è',
        "ugrave" => 'ù',
        "Agrave" => 'À',
        "Egrave" => 'È',
        "acirc" => 'â',
        "ecirc" => 'ê',
        "icirc" => 'î',
        "ocirc" => 'ô',
        "ucirc" => 'û',
        "euml" => 'ë',
        "iuml" => 'ï',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "ntilde" => 'ñ',
        "Ntilde" => 'Ñ',
        "oelig" => 'œ',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_scripts_and_entities() {
        let s = strip(
            "<html><head><style>p{x:1}</style><script>if (a<b) alert('reset your password')</script></head>\
             <body><p>Pass<b>word</b> &amp; r&eacute;initialiser&#8203;!</p><!-- hidden --><a href=\"https://evil.example/x?a=1&amp;b=2\">https://microsoft.com</a> a < b</body></html>",
            usize::MAX,
        );
        assert!(
            s.text.contains("Password & réinitialiser\u{200B}!"),
            "{:?}",
            s.text
        );
        assert!(!s.text.contains("alert"));
        assert!(!s.text.contains("hidden"));
        assert!(s.text.contains("a < b"));
        assert_eq!(s.urls, ["https://evil.example/x?a=1&b=2"]);
        assert_eq!(
            s.anchors,
            [(
                "https://evil.example/x?a=1&b=2".to_owned(),
                "https://microsoft.com".to_owned()
            )]
        );
    }

    #[test]
    fn survives_garbage() {
        for junk in [
            "<",
            "<a href=",
            "<a href='x",
            "&",
            "&#xFFFFFFFF;",
            "<script>",
            "<!--",
            "</",
            "<a\u{e9}>",
            "&#;",
        ] {
            let _ = strip(junk, usize::MAX);
        }
    }

    #[test]
    fn links_past_the_bound_are_counted_not_kept() {
        let html = "<a href=\"https://a.example/\">a</a><img src=\"https://b.example/i\"><a href=\"https://c.example/\">c</a>";
        let s = strip(html, 2);
        assert_eq!(s.urls_seen, 3);
        assert_eq!(s.urls, ["https://a.example/", "https://b.example/i"]);
        assert_eq!(s.anchors.len(), 1);
        assert!(s.text.contains('c'), "the text is read whole: {:?}", s.text);
    }
}
