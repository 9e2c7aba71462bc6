//! Referral-pathway documents: for one admin area (country, region or district), the
//! one page a coordination body publishes — per sector, in canonical order, the services
//! there with their organisation, address, phone, hours, languages, access and when
//! they were last verified — as a typed record ([`Pathway`]), CSV ([`to_csv`]) and a
//! printable, self-contained A4 HTML page ([`to_html`]), in one of the interface
//! languages. No HTTP or CLI here.
//!
//! **Which facilities belong to the area.** A country (level 0) holds the facilities
//! whose `country` is its code. A region or district holds the facilities whose point
//! [`AreaIndex::locate_in`] places in it among the areas of the facility's own country —
//! the rule that fills `adm1`/`adm2` on import (interior; on a shared edge the lowest
//! code; in a sliver between polygons the nearest area within 0.2°) — so every facility
//! is in exactly one area of each level, whatever codes its record carries. Hotlines
//! are phone services for a whole country: every hotline of the area's country is
//! listed, wherever its office is. Closed services are left out; temporarily closed
//! ones are listed as such.
//!
//! **Who sees what** (see `docs/confidentiality.md`). The public version never holds a
//! confidential record (shelters unless marked otherwise): not its name, address,
//! phone, coordinates or that it exists in the area. Its shelter section always —
//! whether or not the area has a shelter, so that its presence tells nothing — lists the
//! country's public hotlines with the note that shelters are reached through them. The
//! confidential version (caseworkers and above; `tirek pathway --confidential`) lists
//! every record, confidential ones marked "do not share the address".
//!
//! **Labels** come from the web app's own strings (`web/i18n/*.json`, read at build
//! time): the printed pathway words sectors, services, access and hours exactly as the
//! map does, and a translation fixed there is fixed here.

use crate::model::{
    Area, Facility, HoursWords, Language, OpeningHours, Organisation, Sector, Service, Status,
};
use crate::spatial::area_index::{AreaIndex, MAX_SNAP_DEGREES};
use crate::visibility::Viewer;
use chrono::NaiveDate;
use geo::BoundingRect;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// Why no pathway was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathwayError {
    /// No admin area has this code.
    #[error("no area with code {0:?} (see GET /api/areas)")]
    UnknownArea(String),
    /// Not one of the interface languages.
    #[error("unknown language {0:?}: use one of en, ru, kk, ky, tg, tk, uz")]
    UnknownLanguage(String),
    /// Not one of the document formats.
    #[error("unknown format {0:?}: use json, csv or html")]
    UnknownFormat(String),
}

/// The interface languages a pathway can be written in.
pub const UI_LANGUAGES: [Language; 7] = [
    Language::En,
    Language::Ru,
    Language::Kk,
    Language::Ky,
    Language::Tg,
    Language::Tk,
    Language::Uz,
];

/// The interface language with this code.
pub fn ui_language(code: &str) -> Result<Language, PathwayError> {
    code.trim()
        .parse::<Language>()
        .ok()
        .filter(|l| UI_LANGUAGES.contains(l))
        .ok_or_else(|| PathwayError::UnknownLanguage(code.to_string()))
}

/// A pathway document's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`Pathway`] as JSON.
    Json,
    /// [`to_csv`].
    Csv,
    /// [`to_html`].
    Html,
}

impl std::str::FromStr for Format {
    type Err = PathwayError;
    fn from_str(s: &str) -> Result<Self, PathwayError> {
        match s.trim() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(PathwayError::UnknownFormat(other.to_string())),
        }
    }
}

/// Which version of the pathway this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Edition {
    /// For anyone: no confidential record.
    Public,
    /// For caseworkers and above: every record, confidential ones marked.
    Confidential,
}

/// A referral pathway: the services of one area, per sector.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Pathway {
    /// The area it covers.
    pub area: PathwayArea,
    /// The language its words are in.
    pub lang: Language,
    /// The day it was prepared: the registry's data of that day.
    pub date: NaiveDate,
    /// Public, or confidential (for authorised staff).
    pub edition: Edition,
    /// Every sector, in canonical order, with its services (possibly none).
    pub sectors: Vec<PathwaySection>,
    /// Whether any listed service is a synthetic demo record.
    pub demo: bool,
}

/// The area a pathway covers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathwayArea {
    /// Its code (ISO or P-code).
    pub code: String,
    /// Admin level: 0 country, 1 region, 2 district.
    pub level: u8,
    /// Its name in the pathway's language (else as recorded).
    pub name: String,
    /// Its country (ISO 3166-1 alpha-2), when known.
    pub country: Option<String>,
}

/// One sector of a pathway.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathwaySection {
    /// The sector.
    pub sector: Sector,
    /// Its name in the pathway's language.
    pub label: String,
    /// Its services in the area, by name; for the public's shelter section, the
    /// country's hotlines (`via_hotline`).
    pub entries: Vec<PathwayEntry>,
    /// A remark in the pathway's language: how the public reaches shelters, or that the
    /// area lists none of the sector.
    pub note: Option<String>,
}

/// One service of a pathway.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathwayEntry {
    /// The facility's id.
    pub id: String,
    /// Its name in the pathway's language (else as recorded).
    pub name: String,
    /// Who runs it: the linked organisation record's name in the language, else the
    /// organisation as written on the record.
    pub organisation: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Opening hours in words of the language (`Open 24/7`, `пн–пт 09:00–18:00`).
    pub hours: Option<String>,
    /// Opening hours as recorded (OSM `opening_hours` syntax).
    pub opening_hours: Option<String>,
    /// Languages spoken.
    pub languages: Vec<Language>,
    /// Female staff available.
    pub female_staff: bool,
    /// Child-friendly.
    pub child_friendly: bool,
    /// Wheelchair accessible.
    pub wheelchair_access: bool,
    /// Free of charge.
    pub free_of_charge: bool,
    /// Serves survivors without a police report.
    pub no_police_report_required: bool,
    /// Services offered.
    pub services: Vec<Service>,
    /// Programmes for perpetrators: the victim-support service it works with (the
    /// organisation's name when the record names an organisation id).
    pub victim_support_partner: Option<String>,
    /// When the record was last verified.
    pub verified_at: Option<NaiveDate>,
    /// Active or temporarily closed.
    pub status: Status,
    /// A confidential record (only in the confidential version): do not share the
    /// address.
    pub confidential: bool,
    /// Listed as the way to reach this sector's services: a hotline in the public
    /// version's shelter section.
    pub via_hotline: bool,
    /// Synthetic demonstration record.
    pub demo: bool,
}

/// The area a pathway is asked for, ready to test facilities against.
pub struct Scope<'a> {
    areas: &'a AreaIndex,
    area: &'a Area,
    country: Option<String>,
    /// The area's bounding box grown by [`MAX_SNAP_DEGREES`]: no point outside it can be
    /// placed in the area.
    bbox: Option<[f64; 4]>,
}

impl<'a> Scope<'a> {
    /// The area with `code` (any level).
    pub fn of(areas: &'a AreaIndex, code: &str) -> Result<Self, PathwayError> {
        let code = code.trim();
        let area = areas
            .areas()
            .iter()
            .find(|a| a.code == code)
            .ok_or_else(|| PathwayError::UnknownArea(code.to_string()))?;
        let country = match area.level {
            0 => crate::model::country_bytes(&area.code)
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            _ => areas.country_of(area).map(str::to_string),
        };
        let bbox = area.geometry.bounding_rect().map(|r| {
            [
                r.min().x - MAX_SNAP_DEGREES,
                r.min().y - MAX_SNAP_DEGREES,
                r.max().x + MAX_SNAP_DEGREES,
                r.max().y + MAX_SNAP_DEGREES,
            ]
        });
        Ok(Self {
            areas,
            area,
            country,
            bbox,
        })
    }

    /// The area.
    pub fn area(&self) -> &Area {
        self.area
    }

    /// Whether a facility at this point (a `hotline` or not) may be listed: a cheap test
    /// before decoding a record. False only for records that [`Scope::lists`] certainly
    /// leaves out.
    pub fn may_list(&self, lon: f64, lat: f64, hotline: bool) -> bool {
        (hotline && self.country.is_some())
            || self.area.level == 0
            || self
                .bbox
                .is_some_and(|[w, s, e, n]| (w..=e).contains(&lon) && (s..=n).contains(&lat))
    }

    /// Whether the facility lies in the area (see the module documentation).
    pub fn holds(&self, f: &Facility) -> bool {
        if self.area.level == 0 {
            return f.country.eq_ignore_ascii_case(&self.area.code);
        }
        if !self.may_list(f.lon, f.lat, false) {
            return false;
        }
        let country = (!f.country.is_empty()).then_some(f.country.as_str());
        self.areas
            .locate_in(f.lon, f.lat, self.area.level, country)
            .is_some_and(|l| l.area.code == self.area.code)
    }

    /// Whether `f` is a hotline of the area's country.
    fn national_hotline(&self, f: &Facility) -> bool {
        f.has_sector(Sector::Hotline) && self.country.as_deref() == Some(f.country.as_str())
    }

    /// Whether the pathway lists `f` under `sector`.
    pub fn lists(&self, f: &Facility, sector: Sector) -> bool {
        f.has_sector(sector)
            && f.status != Status::Closed
            && if sector == Sector::Hotline {
                self.national_hotline(f) || self.holds(f)
            } else {
                self.holds(f)
            }
    }
}

/// The pathway of the area with `code` on `date` for `viewer`, in `lang`, from a
/// snapshot's facilities and the organisation records: what `GET /api/pathway` and
/// `tirek pathway` answer.
pub fn of_area(
    areas: &AreaIndex,
    index: &crate::index::ServiceIndex,
    organisations: &[Organisation],
    code: &str,
    viewer: Viewer,
    lang: Language,
    date: NaiveDate,
) -> Result<Pathway, PathwayError> {
    let scope = Scope::of(areas, code)?;
    Ok(pathway(
        &scope,
        candidates(&scope, index, viewer),
        organisations,
        viewer,
        lang,
        date,
    ))
}

/// The facilities of a snapshot that `scope` may list for `viewer`, decoded: a cheap
/// pass over the records' summaries first, so that only the area's neighbourhood (and
/// hotlines) is decoded.
pub fn candidates<'i>(
    scope: &'i Scope<'_>,
    index: &'i crate::index::ServiceIndex,
    viewer: Viewer,
) -> impl Iterator<Item = Facility> + 'i {
    index
        .facilities()
        .filter(move |r| {
            let (lon, lat) = r.lonlat();
            viewer.may_see(r.summary().confidential())
                && scope.may_list(lon, lat, r.has_sector(Sector::Hotline))
        })
        .map(|r| r.decode())
}

/// The pathway of `scope` on `date` for `viewer`, in `lang`, from `facilities` (any
/// superset of the area's: the others are left out) and the organisation records
/// (for names).
pub fn pathway(
    scope: &Scope<'_>,
    facilities: impl IntoIterator<Item = Facility>,
    organisations: &[Organisation],
    viewer: Viewer,
    lang: Language,
    date: NaiveDate,
) -> Pathway {
    let words = Labels::of(lang);
    let by_id: HashMap<&str, &Organisation> =
        organisations.iter().map(|o| (o.id.as_str(), o)).collect();
    let entry = |f: &Facility, via_hotline: bool| PathwayEntry {
        id: f.id.clone(),
        name: f.names.get(&lang).unwrap_or(&f.name).clone(),
        organisation: f
            .organisation_id
            .as_deref()
            .and_then(|id| by_id.get(id))
            .map(|o| o.name(lang).to_string())
            .or_else(|| f.organisation.clone()),
        address: f.address.clone(),
        phone: f.phone.clone(),
        hours: f.hours().map(|h| words.hours(&h)),
        opening_hours: f.opening_hours.clone(),
        languages: f.languages.clone(),
        female_staff: f.female_staff,
        child_friendly: f.child_friendly,
        wheelchair_access: f.wheelchair_access,
        free_of_charge: f.free_of_charge,
        no_police_report_required: f.no_police_report_required,
        services: f.services.clone(),
        victim_support_partner: f.victim_support_partner.as_deref().map(|p| {
            by_id
                .get(p)
                .map_or_else(|| p.to_string(), |o| o.name(lang).to_string())
        }),
        verified_at: f.verified_at,
        status: f.status,
        confidential: f.confidential,
        via_hotline,
        demo: f.demo,
    };
    let mut sections: Vec<Vec<PathwayEntry>> = vec![Vec::new(); Sector::COUNT];
    let mut hotlines: Vec<PathwayEntry> = Vec::new();
    for f in facilities {
        // The one rule of who sees a record: the public never gets a confidential one.
        if !viewer.sees(&f) {
            continue;
        }
        for &sector in Sector::ALL {
            if scope.lists(&f, sector) {
                sections[sector.index()].push(entry(&f, false));
            }
        }
        if scope.national_hotline(&f) && f.status == Status::Active {
            hotlines.push(entry(&f, true));
        }
    }
    let by_name = |a: &PathwayEntry, b: &PathwayEntry| a.name.cmp(&b.name).then(a.id.cmp(&b.id));
    hotlines.sort_by(by_name);
    let sectors = Sector::ALL
        .iter()
        .zip(sections)
        .map(|(&sector, mut entries)| {
            entries.sort_by(by_name);
            let mut note = None;
            if sector == Sector::Shelter && viewer == Viewer::Public {
                // Always, so that the page says nothing of whether the area has one.
                entries.extend(hotlines.iter().cloned());
                note = Some(words.get("pathway.shelterNote").to_string());
            } else if entries.is_empty() {
                note = Some(words.get("pathway.none").to_string());
            }
            PathwaySection {
                sector,
                label: words.sector(sector).to_string(),
                entries,
                note,
            }
        })
        .collect::<Vec<_>>();
    let area = scope.area;
    Pathway {
        area: PathwayArea {
            code: area.code.clone(),
            level: area.level,
            name: area.names.get(lang.as_str()).unwrap_or(&area.name).clone(),
            country: scope.country.clone(),
        },
        lang,
        date,
        edition: match viewer {
            Viewer::Public => Edition::Public,
            Viewer::Authorised => Edition::Confidential,
        },
        demo: sectors.iter().flat_map(|s| &s.entries).any(|e| e.demo),
        sectors,
    }
}

/// The CSV columns, in order: one row per service and sector (a one-stop centre appears
/// in each of its sectors); words in the pathway's language, codes where a program
/// would want them.
pub const CSV_COLUMNS: &[&str] = &[
    "area_code",
    "area_name",
    "sector",
    "sector_label",
    "id",
    "name",
    "organisation",
    "address",
    "phone",
    "hours",
    "opening_hours",
    "languages",
    "female_staff",
    "child_friendly",
    "wheelchair_access",
    "free_of_charge",
    "no_police_report_required",
    "services",
    "victim_support_partner",
    "verified_at",
    "status",
    "confidential",
    "via_hotline",
    "demo",
    "note",
];

/// The pathway as CSV (UTF-8, a header row of [`CSV_COLUMNS`], one row per service of
/// each sector).
pub fn to_csv(p: &Pathway) -> String {
    let words = Labels::of(p.lang);
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(CSV_COLUMNS);
    let yes = |b: bool| if b { "true" } else { "false" };
    for section in &p.sectors {
        for e in &section.entries {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            let row: Vec<String> = vec![
                p.area.code.clone(),
                p.area.name.clone(),
                section.sector.as_str().into(),
                section.label.clone(),
                e.id.clone(),
                e.name.clone(),
                opt(&e.organisation),
                opt(&e.address),
                opt(&e.phone),
                opt(&e.hours),
                opt(&e.opening_hours),
                words.languages(&e.languages),
                yes(e.female_staff).into(),
                yes(e.child_friendly).into(),
                yes(e.wheelchair_access).into(),
                yes(e.free_of_charge).into(),
                yes(e.no_police_report_required).into(),
                words.services(&e.services),
                opt(&e.victim_support_partner),
                e.verified_at.map(|d| d.to_string()).unwrap_or_default(),
                e.status.as_str().into(),
                yes(e.confidential).into(),
                yes(e.via_hotline).into(),
                yes(e.demo).into(),
                opt(&section.note),
            ];
            let _ = writer.write_record(&row);
        }
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The page's style: A4, black on white, one table per sector that never splits a row.
const STYLE: &str = "@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 9.5pt/1.35 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif; color: #000; background: #fff; margin: 0 auto; max-width: 186mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 11pt; margin: 5mm 0 1.5mm; padding-bottom: 0.5mm; border-bottom: 1.5pt solid #000; break-after: avoid; }
p { margin: 0 0 1.5mm; }
.meta { color: #333; }
.edition { font-weight: 600; }
.confidential-edition { border: 1.5pt solid #000; padding: 1.5mm 2mm; }
.demo { border: 1.5pt dashed #000; padding: 1.5mm 2mm; font-weight: 700; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 0.5pt solid #999; }
th:nth-child(1) { width: 36%; } th:nth-child(2) { width: 24%; } th:nth-child(3) { width: 18%; }
.phone { white-space: nowrap; }
th { font-size: 8.5pt; color: #333; font-weight: 600; }
tr { break-inside: avoid; }
td.name strong { display: block; }
.note { font-style: italic; }
.flag { font-weight: 700; }
.small { font-size: 8.5pt; color: #333; }
footer { margin-top: 6mm; padding-top: 1.5mm; border-top: 0.5pt solid #000; font-size: 8.5pt; }
@media screen { body { padding: 10mm; } }";

/// The pathway as a self-contained printable page: inline CSS, no script, every text
/// escaped; A4 (`@page`), "Print / save as PDF" in any browser gives the one-pager.
pub fn to_html(p: &Pathway) -> String {
    let words = Labels::of(p.lang);
    let date = p.date.to_string();
    let title = words.fill("pathway.title", &[("area", &p.area.name)]);
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n",
        p.lang.as_str(),
        escape(&title),
        escape(&date),
        escape(&title),
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} · {}</p>",
        escape(&p.area.code),
        escape(&words.fill("pathway.prepared", &[("date", &date)])),
    );
    match p.edition {
        Edition::Public => {
            let _ = writeln!(
                h,
                "<p class=\"edition\">{}</p>",
                escape(words.get("pathway.public"))
            );
        }
        Edition::Confidential => {
            let _ = writeln!(
                h,
                "<p class=\"edition confidential-edition\">{}</p>",
                escape(words.get("pathway.confidential"))
            );
        }
    }
    if p.demo {
        let _ = writeln!(
            h,
            "<p class=\"demo\">{}</p>",
            escape(words.get("referral.demo"))
        );
    }
    h.push_str("</header>\n<main>\n");
    for section in &p.sectors {
        let _ = writeln!(
            h,
            "<section data-sector=\"{}\">\n<h2>{}</h2>",
            section.sector.as_str(),
            escape(&section.label)
        );
        if let Some(note) = &section.note {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(note));
        }
        if section.entries.is_empty() {
            h.push_str("</section>\n");
            continue;
        }
        let _ = writeln!(
            h,
            "<table>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
             <th scope=\"col\">{} · {}</th><th scope=\"col\">{} · {}</th></tr></thead>\n<tbody>",
            escape(words.get("pathway.service")),
            escape(words.get("pathway.contact")),
            escape(words.get("result.hours")),
            escape(words.get("result.languages")),
            escape(words.get("result.features")),
            escape(words.get("pathway.verified")),
        );
        for e in &section.entries {
            entry_row(&mut h, e, &words);
        }
        h.push_str("</tbody>\n</table>\n</section>\n");
    }
    let _ = write!(
        h,
        "</main>\n<footer>{}</footer>\n</body>\n</html>\n",
        escape(&words.fill("pathway.footer", &[("date", &date)]))
    );
    h
}

/// One service as a table row of [`to_html`].
fn entry_row(h: &mut String, e: &PathwayEntry, words: &Labels) {
    h.push_str("<tr>\n<td class=\"name\">");
    let _ = write!(h, "<strong>{}</strong>", escape(&e.name));
    if let Some(org) = &e.organisation {
        let _ = write!(h, "<span class=\"small\">{}</span>", escape(org));
    }
    if !e.services.is_empty() {
        let _ = write!(
            h,
            "<br><span class=\"small\">{}</span>",
            escape(&words.services(&e.services))
        );
    }
    if let Some(partner) = &e.victim_support_partner {
        let _ = write!(
            h,
            "<br><span class=\"small\">{}: {}</span>",
            escape(words.get("result.partner")),
            escape(partner)
        );
    }
    if e.status == Status::TemporarilyClosed {
        let _ = write!(
            h,
            "<br><span class=\"flag\">{}</span>",
            escape(words.get("result.temporarilyClosed"))
        );
    }
    if e.confidential {
        let _ = write!(
            h,
            "<br><span class=\"flag\">{}</span>",
            escape(words.get("result.confidentialExact"))
        );
    }
    h.push_str("</td>\n<td>");
    let mut lines: Vec<String> = Vec::new();
    if let Some(phone) = &e.phone {
        let label = if e.via_hotline {
            "result.hotline"
        } else {
            "result.phone"
        };
        lines.push(format!(
            "{}: <strong class=\"phone\">{}</strong>",
            escape(words.get(label)),
            escape(phone)
        ));
    }
    if let Some(address) = &e.address {
        lines.push(escape(address));
    }
    h.push_str(&lines.join("<br>"));
    h.push_str("</td>\n<td>");
    let hours = e
        .hours
        .clone()
        .unwrap_or_else(|| words.get("hours.unknown").to_string());
    let _ = write!(h, "{}", escape(&hours));
    if !e.languages.is_empty() {
        let _ = write!(h, "<br>{}", escape(&words.languages(&e.languages)));
    }
    h.push_str("</td>\n<td>");
    let access = words.access(e);
    if !access.is_empty() {
        let _ = write!(h, "{}<br>", escape(&access));
    }
    let verified = e
        .verified_at
        .map_or_else(|| words.get("pathway.never").to_string(), |d| d.to_string());
    let _ = write!(
        h,
        "<span class=\"small\">{}: {}</span>",
        escape(words.get("pathway.verified")),
        escape(&verified)
    );
    h.push_str("</td>\n</tr>\n");
}

/// The web app's strings of one language, flattened (`sector.health` → `Health`), with
/// English for a key the language lacks.
pub struct Labels {
    lang: Language,
    strings: &'static HashMap<String, String>,
    english: &'static HashMap<String, String>,
}

/// The web app's string files, built in.
static STRINGS: LazyLock<HashMap<Language, HashMap<String, String>>> = LazyLock::new(|| {
    [
        (Language::En, include_str!("../../web/i18n/en.json")),
        (Language::Ru, include_str!("../../web/i18n/ru.json")),
        (Language::Kk, include_str!("../../web/i18n/kk.json")),
        (Language::Ky, include_str!("../../web/i18n/ky.json")),
        (Language::Tg, include_str!("../../web/i18n/tg.json")),
        (Language::Tk, include_str!("../../web/i18n/tk.json")),
        (Language::Uz, include_str!("../../web/i18n/uz.json")),
    ]
    .into_iter()
    .map(|(lang, text)| {
        let mut flat = HashMap::new();
        if let Ok(tree) = serde_json::from_str::<serde_json::Value>(text) {
            flatten("", &tree, &mut flat);
        }
        (lang, flat)
    })
    .collect()
});

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut HashMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        _ => {}
    }
}

static NO_STRINGS: LazyLock<HashMap<String, String>> = LazyLock::new(HashMap::new);

/// Short weekday names, Monday first, as the browser's `Intl.DateTimeFormat` writes
/// them (what the web app shows).
fn weekdays(lang: Language) -> [&'static str; 7] {
    match lang {
        Language::Ru => ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
        Language::Kk => ["дс", "сс", "ср", "бс", "жм", "сб", "жс"],
        Language::Ky => ["дүй.", "шейш.", "шарш.", "бейш.", "жума", "ишм.", "жек."],
        Language::Tg => ["Дшб", "Сшб", "Чшб", "Пшб", "Ҷмъ", "Шнб", "Яшб"],
        Language::Tk => ["Duş", "Siş", "Çar", "Pen", "Ann", "Şen", "Ýek"],
        Language::Uz => ["Dush", "Sesh", "Chor", "Pay", "Jum", "Shan", "Yak"],
        _ => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
}

impl Labels {
    /// The strings of `lang` (English for a language without a file).
    pub fn of(lang: Language) -> Self {
        let english = STRINGS.get(&Language::En).unwrap_or(&NO_STRINGS);
        Self {
            lang,
            strings: STRINGS.get(&lang).unwrap_or(english),
            english,
        }
    }

    /// The string for `key`, in English when the language lacks it; empty when no
    /// file has it (a test checks every key used here exists).
    pub fn get(&self, key: &str) -> &'static str {
        self.strings
            .get(key)
            .or_else(|| self.english.get(key))
            .map_or("", String::as_str)
    }

    /// The string for `key` with its `{placeholders}` filled.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A sector's name.
    pub fn sector(&self, sector: Sector) -> &str {
        self.get(&format!("sector.{}", sector.as_str()))
    }

    /// Services as words, comma separated.
    pub fn services(&self, services: &[Service]) -> String {
        services
            .iter()
            .map(|s| self.get(&format!("service.{}", s.as_str())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Languages as their names, comma separated.
    pub fn languages(&self, languages: &[Language]) -> String {
        languages
            .iter()
            .map(|l| self.get(&format!("language.{}", l.as_str())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The access flags a service has, as words, comma separated.
    pub fn access(&self, e: &PathwayEntry) -> String {
        [
            ("female_staff", e.female_staff),
            ("child_friendly", e.child_friendly),
            ("wheelchair_access", e.wheelchair_access),
            ("free_of_charge", e.free_of_charge),
            ("no_police_report_required", e.no_police_report_required),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(flag, _)| self.get(&format!("feature.{flag}")))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Opening hours in words, as the web app shows them.
    pub fn hours(&self, hours: &OpeningHours) -> String {
        let words = HoursWords {
            days: weekdays(self.lang),
            off: self.get("hours.dayOff"),
            holidays: self.get("hours.holidays"),
        };
        hours
            .describe(&words)
            .unwrap_or_else(|| self.get("hours.always").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_the_web_strings() {
        let ru = Labels::of(Language::Ru);
        assert_eq!(
            ru.sector(Sector::PerpetratorProgramme),
            "Программы для лиц, совершивших насилие"
        );
        assert_eq!(ru.sector(Sector::Shelter), "Убежище");
        assert_eq!(
            Labels::of(Language::En).sector(Sector::PerpetratorProgramme),
            "Programmes for perpetrators"
        );
        for lang in UI_LANGUAGES {
            let labels = Labels::of(lang);
            for key in [
                "pathway.title",
                "pathway.prepared",
                "pathway.public",
                "pathway.confidential",
                "pathway.shelterNote",
                "pathway.none",
                "pathway.service",
                "pathway.contact",
                "pathway.verified",
                "pathway.never",
                "pathway.footer",
                "referral.demo",
                "result.hours",
                "result.languages",
                "result.features",
                "result.partner",
                "result.temporarilyClosed",
                "result.confidentialExact",
                "result.hotline",
                "result.phone",
                "hours.unknown",
                "hours.dayOff",
                "hours.holidays",
                "hours.always",
            ] {
                assert!(!labels.get(key).is_empty(), "{lang} {key}");
            }
            for s in Sector::ALL {
                assert!(!labels.sector(*s).is_empty(), "{lang} {s}");
            }
        }
        assert_eq!(
            ru.hours(&OpeningHours::parse("Mo-Sa 08:00-20:00; Su off").unwrap()),
            "пн–сб 08:00–20:00; вс выходной"
        );
        assert_eq!(
            ru.hours(&OpeningHours::parse("24/7").unwrap()),
            "Круглосуточно"
        );
        assert_eq!(
            ru.fill("pathway.footer", &[("date", "2026-12-06")]),
            "Данные на 2026-12-06: перед направлением уточните."
        );
    }

    #[test]
    fn only_interface_languages_and_known_formats() {
        assert_eq!(ui_language("kk").unwrap(), Language::Kk);
        assert!(ui_language("kaa").is_err());
        assert!(ui_language("de").is_err());
        assert_eq!("html".parse::<Format>().unwrap(), Format::Html);
        assert!("pdf".parse::<Format>().is_err());
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
