//! Opening hours in the common subset of the OpenStreetMap `opening_hours` syntax:
//! `24/7`; rules separated by `;`, each an optional weekday selector (`Mo-Fr`, `Sa,Su`,
//! `PH`) followed by time spans (`09:00-13:00,14:00-18:00`, spans past midnight such as
//! `20:00-08:00`) or `off`. A later rule replaces earlier ones for the days it names,
//! as in OSM. Public holidays (`PH`) are accepted and ignored when evaluating.

use std::fmt;

/// Why an `opening_hours` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read opening hours {value:?}: {reason} (supported: \"24/7\", \"Mo-Fr 09:00-18:00; Sa 10:00-14:00; Su off\")"
)]
pub struct OpeningHoursError {
    value: String,
    reason: String,
}

/// Parsed opening hours: for each weekday (Monday = 0), the open minute ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    text: String,
    /// Per weekday, half-open minute ranges `[start, end)` within 0..=1440.
    days: [Vec<(u16, u16)>; 7],
}

const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const MINUTES_PER_DAY: u16 = 24 * 60;

impl OpeningHours {
    /// Parses an `opening_hours` value.
    pub fn parse(text: &str) -> Result<Self, OpeningHoursError> {
        let fail = |reason: String| OpeningHoursError {
            value: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        if trimmed.is_empty() {
            return Err(fail("it is empty".into()));
        }
        if trimmed == "24/7" {
            days.iter_mut().for_each(|d| d.push((0, MINUTES_PER_DAY)));
            return Ok(Self {
                text: trimmed.to_string(),
                days,
            });
        }
        for rule in trimmed.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let (selector, times) = split_rule(rule);
            let selected = match selector {
                Some(sel) => parse_days(sel).map_err(&fail)?,
                None => [true; 7],
            };
            let times = times.trim();
            let mut spill: Vec<(usize, (u16, u16))> = Vec::new();
            let spans: Vec<(u16, u16)> = if times.is_empty() && selector.is_some() {
                if selected.iter().all(|s| !s) {
                    continue; // a PH-only rule
                }
                return Err(fail(format!("rule {rule:?} names days but no times")));
            } else if times == "off" || times == "closed" {
                Vec::new()
            } else if times == "24/7" || times == "00:00-24:00" {
                vec![(0, MINUTES_PER_DAY)]
            } else {
                let mut spans = Vec::new();
                for span in times.split(',') {
                    let (start, end) = parse_span(span.trim()).map_err(&fail)?;
                    if end > start {
                        spans.push((start, end));
                    } else {
                        // Past midnight: open until the end of the day, then into the next.
                        spans.push((start, MINUTES_PER_DAY));
                        for (day, on) in selected.iter().enumerate() {
                            if *on && end > 0 {
                                spill.push(((day + 1) % 7, (0, end)));
                            }
                        }
                    }
                }
                spans
            };
            for (day, on) in selected.iter().enumerate() {
                if *on {
                    days[day] = spans.clone();
                }
            }
            for (day, span) in spill {
                days[day].push(span);
            }
        }
        Ok(Self {
            text: trimmed.to_string(),
            days,
        })
    }

    /// The value as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the service is open at every minute of every day.
    pub fn is_24_7(&self) -> bool {
        self.days.iter().all(|spans| {
            let mut covered = 0u16;
            let mut sorted = spans.clone();
            sorted.sort_unstable();
            for (start, end) in sorted {
                if start > covered {
                    return false;
                }
                covered = covered.max(end);
            }
            covered >= MINUTES_PER_DAY
        })
    }

    /// Whether open on `weekday` (Monday = 0) at `minute` after midnight (local time).
    pub fn is_open_at(&self, weekday: usize, minute: u16) -> bool {
        self.days[weekday % 7]
            .iter()
            .any(|&(start, end)| start <= minute && minute < end)
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How [`OpeningHours::describe`] words hours in one language.
#[derive(Debug, Clone, Copy)]
pub struct HoursWords<'a> {
    /// Short weekday names, Monday first.
    pub days: [&'a str; 7],
    /// The word for a day off (`off`, `closed`).
    pub off: &'a str,
    /// The word for public holidays (`PH`).
    pub holidays: &'a str,
}

impl OpeningHours {
    /// The hours for reading in a language, the way the web app shows them
    /// (`describeOpeningHours` in `web/js/lib/opening-hours.js`): weekday codes as the
    /// language's short names, `off`/`closed` and `PH` as its words, ranges with an en
    /// dash, a space after each comma (`Mo-Sa 08:00-20:00; Su off` in Russian:
    /// `пн–сб 08:00–20:00; вс выходной`). `None` for `24/7`, which the caller words itself.
    pub fn describe(&self, words: &HoursWords<'_>) -> Option<String> {
        if self.text == "24/7" {
            return None;
        }
        let rules: Vec<String> = self
            .text
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|rule| describe_rule(rule, words))
            .collect();
        Some(rules.join("; "))
    }
}

/// One rule of [`OpeningHours::describe`]: words replaced whole, then dashes and commas.
fn describe_rule(rule: &str, words: &HoursWords<'_>) -> String {
    let mut worded = String::with_capacity(rule.len() * 2);
    let mut rest = rule;
    while let Some(c) = rest.chars().next() {
        let word_len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        if word_len == 0 {
            worded.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..word_len];
        match word {
            "PH" => worded.push_str(words.holidays),
            "off" | "closed" => worded.push_str(words.off),
            _ => match DAYS.iter().position(|d| *d == word) {
                Some(i) => worded.push_str(words.days[i]),
                None => worded.push_str(word),
            },
        }
        rest = &rest[word_len..];
    }
    // `a - b` → `a–b`, `a , b` → `a, b`.
    let mut out = String::with_capacity(worded.len());
    let mut chars = worded.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' | ',' => {
                while out.ends_with(' ') {
                    out.pop();
                }
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
                out.push_str(if c == '-' { "–" } else { ", " });
            }
            _ => out.push(c),
        }
    }
    out
}

/// Splits "Mo-Fr 09:00-18:00" into the day selector and the times.
fn split_rule(rule: &str) -> (Option<&str>, &str) {
    let starts_with_day = DAYS.iter().any(|d| rule.starts_with(d)) || rule.starts_with("PH");
    if !starts_with_day {
        return (None, rule);
    }
    match rule.find(' ') {
        Some(at) => (Some(&rule[..at]), &rule[at + 1..]),
        None => (Some(rule), ""),
    }
}

fn day_index(name: &str) -> Result<usize, String> {
    DAYS.iter()
        .position(|d| *d == name)
        .ok_or_else(|| format!("unknown weekday {name:?}"))
}

fn parse_days(selector: &str) -> Result<[bool; 7], String> {
    let mut selected = [false; 7];
    for part in selector.split(',') {
        let part = part.trim();
        if part == "PH" || part == "SH" {
            continue;
        }
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day_index(from)?, day_index(to)?);
                let mut day = from;
                loop {
                    selected[day] = true;
                    if day == to {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => selected[day_index(part)?] = true,
        }
    }
    Ok(selected)
}

fn parse_time(text: &str) -> Result<u16, String> {
    let bad = || format!("bad time {text:?}");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_span(span: &str) -> Result<(u16, u16), String> {
    let (start, end) = span
        .split_once('-')
        .ok_or_else(|| format!("bad time span {span:?}"))?;
    let start = parse_time(start.trim())?;
    let end = parse_time(end.trim())?;
    if start == MINUTES_PER_DAY {
        return Err(format!("time span {span:?} starts at 24:00"));
    }
    if start == end {
        return Err(format!("time span {span:?} is empty"));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_24_7_in_both_spellings() {
        assert!(OpeningHours::parse("24/7").unwrap().is_24_7());
        assert!(OpeningHours::parse("Mo-Su 00:00-24:00").unwrap().is_24_7());
        assert!(!OpeningHours::parse("Mo-Fr 00:00-24:00").unwrap().is_24_7());
    }

    #[test]
    fn later_rules_override_and_spans_cross_midnight() {
        let h = OpeningHours::parse("Mo-Sa 08:00-20:00; Sa 10:00-14:00; Su off").unwrap();
        assert!(h.is_open_at(0, 8 * 60));
        assert!(!h.is_open_at(0, 20 * 60));
        assert!(!h.is_open_at(5, 9 * 60));
        assert!(h.is_open_at(5, 10 * 60));
        assert!(!h.is_open_at(6, 12 * 60));
        let night = OpeningHours::parse("Fr 20:00-06:00").unwrap();
        assert!(night.is_open_at(4, 23 * 60));
        assert!(night.is_open_at(5, 5 * 60));
        assert!(!night.is_open_at(5, 7 * 60));
    }

    #[test]
    fn describes_hours_in_a_language() {
        let ru = HoursWords {
            days: ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            off: "выходной",
            holidays: "праздники",
        };
        let say = |text: &str| OpeningHours::parse(text).unwrap().describe(&ru);
        assert_eq!(
            say("Mo-Sa 08:00-20:00; Su off").as_deref(),
            Some("пн–сб 08:00–20:00; вс выходной")
        );
        assert_eq!(
            say("Mo,We 09:00 - 13:00,14:00-18:00;PH closed").as_deref(),
            Some("пн, ср 09:00–13:00, 14:00–18:00; праздники выходной")
        );
        assert_eq!(say("24/7"), None);
        assert_eq!(
            say("Mo-Su 00:00-24:00").as_deref(),
            Some("пн–вс 00:00–24:00")
        );
    }

    #[test]
    fn rejects_gibberish_with_the_reason() {
        for bad in [
            "",
            "sometimes",
            "Mo-Fr 9-5",
            "Xx 09:00-10:00",
            "Mo 25:00-26:00",
            "Mo",
        ] {
            assert!(OpeningHours::parse(bad).is_err(), "{bad} accepted");
        }
        let err = OpeningHours::parse("Mo-Fr 9-5").unwrap_err().to_string();
        assert!(err.contains("bad time"), "{err}");
    }
}
