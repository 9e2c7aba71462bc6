//! The page's first paint in English: `index.html` carries its labels as `data-i18n`
//! keys filled in by the script once the strings have loaded, so a page painted before
//! that shows empty buttons and headings, and then everything moves as the words arrive
//! (a layout shift of 0.25–0.42 measured in Chromium). The server therefore fills every
//! empty element that names a key with the English text (`i18n/en.json`), and its
//! attributes named in `data-i18n-attr` too; the script replaces them with the chosen
//! language as before. Likewise the demo-data notice is shown from the first paint when
//! the data has demo records ([`unhide`]), instead of pushing the page down a second
//! later. Pure text in, text out.

use serde_json::Value;

/// `index` with the English strings of `en` (the parsed `i18n/en.json`) filled in.
/// Elements with content of their own, keys `en` lacks and plural forms are left as
/// they are; values are HTML-escaped.
pub fn english_first(index: &str, en: &Value) -> String {
    let mut out = String::with_capacity(index.len() + index.len() / 4);
    let mut rest = index;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        // Comments are copied as they are (their text may hold quotes and `>`).
        if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(rest.len(), |i| i + 3);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let Some(end) = tag_end(rest) else {
            break;
        };
        let tag = &rest[..=end];
        rest = &rest[end + 1..];
        if tag.starts_with("</") || tag.starts_with("<!") {
            out.push_str(tag);
            continue;
        }
        out.push_str(&with_attributes(tag, en));
        // Only an element whose content is empty gets its text.
        if rest.starts_with("</")
            && let Some(text) = attribute(tag, "data-i18n").and_then(|k| string(en, k))
        {
            out.push_str(&escape(text));
        }
    }
    out.push_str(rest);
    out
}

/// `page` with the boolean `hidden` attribute removed from the element with `id`.
pub fn unhide(page: &str, id: &str) -> String {
    let needle = format!(" id=\"{id}\"");
    let Some(at) = page.find(&needle) else {
        return page.to_string();
    };
    let open = page[..at].rfind('<').unwrap_or(0);
    let Some(close) = tag_end(&page[open..]).map(|i| open + i) else {
        return page.to_string();
    };
    let tag = &page[open..=close];
    let cleaned = tag
        .replacen(" hidden>", ">", 1)
        .replacen(" hidden ", " ", 1);
    format!("{}{cleaned}{}", &page[..open], &page[close + 1..])
}

/// Index of the `>` that closes the tag at the start of `text` (quotes respected).
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a start tag (double-quoted, as index.html writes them).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let len = tag[at..].find('"')?;
    Some(&tag[at..at + len])
}

/// The tag with the attributes its `data-i18n-attr` names ("placeholder:key;title:key")
/// set to their English text, where the tag does not set them itself.
fn with_attributes(tag: &str, en: &Value) -> String {
    let Some(pairs) = attribute(tag, "data-i18n-attr") else {
        return tag.to_string();
    };
    let mut extra = String::new();
    for pair in pairs.split(';') {
        let Some((attr, key)) = pair.split_once(':') else {
            continue;
        };
        let (attr, key) = (attr.trim(), key.trim());
        let valid =
            !attr.is_empty() && attr.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid || attribute(tag, attr).is_some() {
            continue;
        }
        if let Some(text) = string(en, key) {
            extra.push_str(&format!(" {attr}=\"{}\"", escape(text)));
        }
    }
    let close = if tag.ends_with("/>") {
        tag.len() - 2
    } else {
        tag.len() - 1
    };
    format!("{}{extra}{}", &tag[..close], &tag[close..])
}

/// The string at dotted `key` ("cw.heading"), when it is a plain string.
fn string<'a>(en: &'a Value, key: &str) -> Option<&'a str> {
    key.split('.')
        .try_fold(en, |node, part| node.get(part))?
        .as_str()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_empty_elements_and_named_attributes_only() {
        let en = json!({
            "a": { "title": "Tirek & co <b>", "hint": "Say \"hi\"", "n": { "one": "x", "other": "y" } },
            "cw": { "search": "e.g. Shymkent" }
        });
        let page = concat!(
            "<!doctype html><h1 data-i18n=\"a.title\"></h1>",
            "<!-- a comment's \"quotes\" and > --><b data-i18n=\"a.title\"></b>",
            "<p data-i18n=\"a.hint\">Kept</p>",
            "<span data-i18n=\"a.n\"></span><span data-i18n=\"missing.key\"></span>",
            "<input id=\"q\" data-i18n-attr=\"placeholder:cw.search;title:a.hint\">",
            "<img alt=\"own\" data-i18n-attr=\"alt:a.title\">",
            "<a title='x>y' data-i18n=\"a.title\"></a>"
        );
        let out = english_first(page, &en);
        assert_eq!(
            out,
            concat!(
                "<!doctype html><h1 data-i18n=\"a.title\">Tirek &amp; co &lt;b&gt;</h1>",
                "<!-- a comment's \"quotes\" and > --><b data-i18n=\"a.title\">Tirek &amp; co &lt;b&gt;</b>",
                "<p data-i18n=\"a.hint\">Kept</p>",
                "<span data-i18n=\"a.n\"></span><span data-i18n=\"missing.key\"></span>",
                "<input id=\"q\" data-i18n-attr=\"placeholder:cw.search;title:a.hint\" ",
                "placeholder=\"e.g. Shymkent\" title=\"Say &quot;hi&quot;\">",
                "<img alt=\"own\" data-i18n-attr=\"alt:a.title\">",
                "<a title='x>y' data-i18n=\"a.title\">Tirek &amp; co &lt;b&gt;</a>"
            )
        );
    }

    #[test]
    fn unhides_one_element_only() {
        let page = "<p id=\"a\" hidden>x</p><p id=\"b\" class=\"c\" hidden role=\"note\">y</p>";
        assert_eq!(
            unhide(page, "a"),
            "<p id=\"a\">x</p><p id=\"b\" class=\"c\" hidden role=\"note\">y</p>"
        );
        assert_eq!(
            unhide(page, "b"),
            "<p id=\"a\" hidden>x</p><p id=\"b\" class=\"c\" role=\"note\">y</p>"
        );
        assert_eq!(unhide(page, "zz"), page);
    }

    #[test]
    fn the_real_page_gets_every_english_label() {
        let web = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        let index = std::fs::read_to_string(format!("{web}/index.html")).expect("index.html");
        let en: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{web}/i18n/en.json")).expect("en.json"),
        )
        .expect("en.json parses");
        let out = english_first(&index, &en);
        // Independently: every `data-i18n="key">` directly followed by `</` in the
        // source, with a string value in en.json, is followed by that value now.
        let mut checked = 0;
        for (at, _) in index.match_indices("data-i18n=\"") {
            let key_start = at + "data-i18n=\"".len();
            let key = &index[key_start..key_start + index[key_start..].find('"').unwrap()];
            let close = at + index[at..].find('>').unwrap();
            if !index[close + 1..].starts_with("</") {
                continue;
            }
            let Some(text) = string(&en, key) else {
                continue;
            };
            let head = &index[..=close];
            assert!(
                out.contains(&format!(
                    "{}{}</",
                    &head[head.rfind('<').unwrap()..],
                    escape(text)
                )),
                "{key} is filled"
            );
            checked += 1;
        }
        assert!(checked > 50, "{checked} labels checked");
        assert!(out.contains(">Caseworker</button>"));
        assert!(out.len() > index.len());
    }
}
