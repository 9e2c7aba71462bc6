//! Placing a facility by the name of its settlement, for service-mapping sheets that
//! give a town rather than coordinates: the name is matched in any script, case and
//! transliteration through [`crate::search::fold`] (as the place search matches it),
//! narrowed by country, region and district when the sheet gives them (by name in any
//! language, or by code). A name that matches no settlement, or several that are not
//! the same place, is an error that lists the candidates with their regions, so the
//! person fixing the sheet knows what to write. Pure: the settlements and areas are
//! handed in.

use crate::model::{Area, Settlement};
use crate::search::{distance, fold};

/// Candidates listed in an error.
pub const MAX_CANDIDATES: usize = 5;

/// Settlements this close to the most populous of several of the same name are taken
/// to be that one place, listed twice (GeoNames often holds a town and its centre).
const SAME_PLACE_METRES: f64 = 5_000.0;

/// Why a settlement name did not give one place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlaceError {
    /// No settlements are loaded at all.
    #[error(
        "no settlements are loaded to place it by: give lon and lat, or load settlements (`tirek import population`, or start the server once for the built-in ones)"
    )]
    NoSettlements,
    /// Nothing of that name (within the narrowing given).
    #[error("no settlement {name:?}{within}; closest: {}", list(.candidates))]
    Unmatched {
        /// The name as written.
        name: String,
        /// " in …" when narrowed, else empty.
        within: String,
        /// The closest names, best first.
        candidates: Vec<String>,
    },
    /// Several places of that name.
    #[error(
        "{} settlements are named {name:?}{within}: {}; add the region (adm1) or district (adm2) to the row",
        .candidates.len(), list(.candidates)
    )]
    Ambiguous {
        /// The name as written.
        name: String,
        /// " in …" when narrowed, else empty.
        within: String,
        /// Every match, most populous first.
        candidates: Vec<String>,
    },
}

fn list(candidates: &[String]) -> String {
    if candidates.is_empty() {
        "none".into()
    } else {
        candidates.join("; ")
    }
}

/// The narrowing a row gives: codes of its country, region and district.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Within {
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Region code.
    pub adm1: Option<String>,
    /// District code.
    pub adm2: Option<String>,
}

/// A settlement found by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The settlement's id.
    pub id: String,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Its country, region and district codes, where known.
    pub within: Within,
}

struct Entry {
    settlement: Settlement,
    names: Vec<String>,
}

struct AreaEntry {
    code: String,
    level: u8,
    parent: Option<String>,
    name: String,
    names: Vec<String>,
}

/// The settlements and admin areas names are looked up in, their names folded once.
pub struct Gazetteer {
    settlements: Vec<Entry>,
    areas: Vec<AreaEntry>,
    /// Area by code, upper case: most rows give codes, found without a scan.
    codes: std::collections::HashMap<String, usize>,
    /// Names already looked up, (level, text, parent) → code: a sheet repeats its
    /// region names on every row.
    looked_up: std::sync::Mutex<std::collections::HashMap<AreaQuery, Option<String>>>,
}

/// An area looked up by name: level, the text as written, the parent's code.
type AreaQuery = (u8, String, Option<String>);

/// Area names remembered per gazetteer (a bound, not a working size).
const MAX_LOOKED_UP: usize = 10_000;

/// Words that say what kind of area a name is ("Turkestan region", "Ферганская
/// область"), dropped before names are compared.
const AREA_WORDS: &[&str] = &[
    "region", "province", "oblast", "oblasti", "oblys", "oblysy", "viloyat", "viloyati", "velayat",
    "welayaty", "district", "raion", "rayon", "rajon", "tuman", "tumani", "audany", "city",
    "shahri", "shahar", "obl", "of",
];

/// An area name folded and stripped of [`AREA_WORDS`], with the Russian adjective
/// ending dropped ("Баткенская" → "batken").
fn area_key(text: &str) -> String {
    let folded = fold(text);
    let words: Vec<String> = folded
        .split(' ')
        .filter(|w| !AREA_WORDS.contains(w))
        .map(|w| {
            for ending in ["skaa", "skaia", "skii", "ski", "ska"] {
                if let Some(stem) = w.strip_suffix(ending)
                    && stem.chars().count() >= 3
                {
                    return stem.to_string();
                }
            }
            w.to_string()
        })
        .collect();
    words.join(" ")
}

impl Gazetteer {
    /// Folds the names of `settlements` and `areas`.
    pub fn new(settlements: &[Settlement], areas: &[Area]) -> Self {
        // Raster cells are population points named by their id, not places.
        let settlements = settlements
            .iter()
            .filter(|s| s.name != s.id)
            .map(|s| {
                let mut names: Vec<String> = std::iter::once(&s.name)
                    .chain(s.name_ru.iter())
                    .chain(s.alt_names.iter())
                    .map(|n| fold(n))
                    .filter(|n| !n.is_empty())
                    .collect();
                names.sort();
                names.dedup();
                Entry {
                    settlement: s.clone(),
                    names,
                }
            })
            .collect();
        let areas = areas
            .iter()
            .map(|a| {
                let mut names: Vec<String> = std::iter::once(&a.name)
                    .chain(a.names.values())
                    .map(|n| area_key(n))
                    .filter(|n| !n.is_empty())
                    .collect();
                names.sort();
                names.dedup();
                AreaEntry {
                    code: a.code.clone(),
                    level: a.level,
                    parent: a.parent.clone(),
                    name: a.name.clone(),
                    names,
                }
            })
            .collect::<Vec<AreaEntry>>();
        let codes = areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.to_uppercase(), i))
            .collect();
        Self {
            settlements,
            areas,
            codes,
            looked_up: std::sync::Mutex::default(),
        }
    }

    /// Settlements loaded.
    pub fn len(&self) -> usize {
        self.settlements.len()
    }

    /// Whether none are loaded.
    pub fn is_empty(&self) -> bool {
        self.settlements.is_empty()
    }

    /// The code of the area of `level` that `text` names: its code (any case), or its
    /// name in any language (folded, "region"/"область" and the like ignored), within
    /// `parent` when given. `None` when no area, or more than one, fits.
    pub fn area_code(&self, level: u8, text: &str, parent: Option<&str>) -> Option<String> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let fits = |a: &AreaEntry| {
            a.level == level && parent.is_none_or(|p| a.parent.as_deref() == Some(p))
        };
        if let Some(&i) = self.codes.get(&text.to_uppercase())
            && fits(&self.areas[i])
        {
            return Some(self.areas[i].code.clone());
        }
        let key = (level, text.to_string(), parent.map(str::to_string));
        let mut looked_up = self
            .looked_up
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = looked_up.get(&key) {
            return found.clone();
        }
        let found = self.area_by_name(level, text, parent);
        if looked_up.len() < MAX_LOOKED_UP {
            looked_up.insert(key, found.clone());
        }
        found
    }

    fn area_by_name(&self, level: u8, text: &str, parent: Option<&str>) -> Option<String> {
        let at_level = || {
            self.areas.iter().filter(move |a| {
                a.level == level && parent.is_none_or(|p| a.parent.as_deref() == Some(p))
            })
        };
        if let Some(a) = at_level().find(|a| a.code.eq_ignore_ascii_case(text)) {
            return Some(a.code.clone());
        }
        let key = area_key(text);
        if key.is_empty() {
            return None;
        }
        let exact: Vec<&AreaEntry> = at_level().filter(|a| a.names.contains(&key)).collect();
        if let [one] = exact.as_slice() {
            return Some(one.code.clone());
        }
        if !exact.is_empty() {
            return None;
        }
        // "Turkestan" for "Turkestanskaya oblast": one area whose name starts so.
        let starts: Vec<&AreaEntry> = at_level()
            .filter(|a| {
                a.names
                    .iter()
                    .any(|n| key.chars().count() >= 4 && n.starts_with(&key))
            })
            .collect();
        match starts.as_slice() {
            [one] => Some(one.code.clone()),
            _ => None,
        }
    }

    fn area_name(&self, code: &str) -> Option<&str> {
        self.areas
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.name.as_str())
    }

    /// How a candidate is listed: name, then where it is.
    fn describe(&self, s: &Settlement) -> String {
        let mut out = s.name.clone();
        if let Some(ru) = &s.name_ru
            && ru != &s.name
        {
            out.push_str(&format!(" / {ru}"));
        }
        let mut place = Vec::new();
        for code in [&s.adm2, &s.adm1].into_iter().flatten() {
            match self.area_name(code) {
                Some(name) => place.push(format!("{name} {code}")),
                None => place.push(code.clone()),
            }
        }
        if let Some(c) = &s.country {
            place.push(c.clone());
        }
        out.push_str(&format!(
            " ({}; {} people; {:.5}, {:.5}; {})",
            place.join(", "),
            s.population,
            s.lat,
            s.lon,
            s.id
        ));
        out
    }

    /// The one settlement `name` names within `within`.
    pub fn place(&self, name: &str, within: &Within) -> Result<Placed, PlaceError> {
        if self.settlements.is_empty() {
            return Err(PlaceError::NoSettlements);
        }
        let key = fold(name);
        let inside = |s: &Settlement| {
            let same = |want: &Option<String>, have: &Option<String>| {
                want.as_ref()
                    .is_none_or(|w| have.as_ref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
            };
            same(&within.country, &s.country)
                && same(&within.adm1, &s.adm1)
                && same(&within.adm2, &s.adm2)
        };
        let within_text = {
            let parts: Vec<String> = [&within.adm2, &within.adm1, &within.country]
                .into_iter()
                .flatten()
                .map(|code| match self.area_name(code) {
                    Some(n) if n != code => format!("{n} ({code})"),
                    _ => code.clone(),
                })
                .collect();
            if parts.is_empty() {
                String::new()
            } else {
                format!(" in {}", parts.join(", "))
            }
        };
        let named: Vec<&Settlement> = self
            .settlements
            .iter()
            .filter(|e| e.names.contains(&key))
            .map(|e| &e.settlement)
            .collect();
        let mut found: Vec<&Settlement> = named.iter().copied().filter(|s| inside(s)).collect();
        found.sort_by(|a, b| {
            b.population
                .total_cmp(&a.population)
                .then_with(|| a.id.cmp(&b.id))
        });
        if let Some(first) = found.first() {
            let apart = |s: &&Settlement| {
                crate::spatial::geodesy::sphere_m(first.lon, first.lat, s.lon, s.lat)
                    > SAME_PLACE_METRES
            };
            if !found.iter().any(apart) {
                return Ok(Placed {
                    id: first.id.clone(),
                    lon: first.lon,
                    lat: first.lat,
                    within: Within {
                        country: first.country.clone(),
                        adm1: first.adm1.clone(),
                        adm2: first.adm2.clone(),
                    },
                });
            }
            return Err(PlaceError::Ambiguous {
                name: name.trim().to_string(),
                within: within_text,
                candidates: found.iter().map(|s| self.describe(s)).collect(),
            });
        }
        // Nothing: the same name outside the narrowing first, then the nearest names
        // (prefix and substring matches, then by edits), those inside first.
        let mut ranked: Vec<(bool, u8, usize, &Settlement)> = if named.is_empty() {
            self.settlements
                .iter()
                .filter_map(|e| {
                    let best = e
                        .names
                        .iter()
                        .map(|n| {
                            (
                                crate::search::score(&key, n),
                                std::cmp::Reverse(distance(&key, n)),
                            )
                        })
                        .max()?;
                    let edits = best.1.0;
                    let close = best.0 > 0 || edits <= key.chars().count().div_ceil(3).max(1);
                    close.then_some((!inside(&e.settlement), 2 - best.0, edits, &e.settlement))
                })
                .collect()
        } else {
            named.iter().map(|s| (false, 0, 0, *s)).collect()
        };
        ranked.sort_by(|a, b| {
            (a.0, a.1, a.2)
                .cmp(&(b.0, b.1, b.2))
                .then_with(|| b.3.population.total_cmp(&a.3.population))
                .then_with(|| a.3.id.cmp(&b.3.id))
        });
        Err(PlaceError::Unmatched {
            name: name.trim().to_string(),
            within: within_text,
            candidates: ranked
                .iter()
                .take(MAX_CANDIDATES)
                .map(|r| self.describe(r.3))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settlement(id: &str, name: &str, ru: &str, lon: f64, lat: f64, adm1: &str) -> Settlement {
        Settlement {
            id: id.into(),
            name: name.into(),
            name_ru: Some(ru.into()),
            alt_names: vec![],
            lon,
            lat,
            population: 1000.0,
            country: Some("KZ".into()),
            adm1: Some(adm1.into()),
            adm2: None,
        }
    }

    fn area(code: &str, level: u8, parent: Option<&str>, en: &str, ru: &str) -> Area {
        Area {
            code: code.into(),
            level,
            parent: parent.map(str::to_string),
            name: en.into(),
            names: [("en".to_string(), en.to_string()), ("ru".into(), ru.into())].into(),
            geometry: geo::MultiPolygon(vec![]),
        }
    }

    fn gazetteer() -> Gazetteer {
        Gazetteer::new(
            &[
                settlement("a", "Shymkent", "Шымкент", 69.6, 42.3, "KZ-YUZ"),
                settlement("b", "Aksu", "Аксу", 76.9, 52.0, "KZ-PAV"),
                settlement("c", "Aksu", "Аксу", 78.5, 45.3, "KZ-ALM"),
                settlement("d", "Talas", "Талас", 72.2, 42.5, "KZ-ZHA"),
                // The same place listed twice, 1 km apart.
                settlement("e", "Talas", "Талас", 72.21, 42.5, "KZ-ZHA"),
            ],
            &[
                area("KZ", 0, None, "Kazakhstan", "Казахстан"),
                area("KZ-PAV", 1, Some("KZ"), "Pavlodar", "Павлодарская область"),
                area("KZ-ALM", 1, Some("KZ"), "Almaty", "Алматинская область"),
                area(
                    "KZ-YUZ",
                    1,
                    Some("KZ"),
                    "South Kazakhstan",
                    "Южно-Казахстанская область",
                ),
            ],
        )
    }

    #[test]
    fn places_by_name_in_any_script() {
        let g = gazetteer();
        for name in ["Shymkent", "Chimkent", "ШЫМКЕНТ", " шымкент "] {
            let p = g.place(name, &Within::default()).unwrap();
            assert_eq!((p.id.as_str(), p.lon, p.lat), ("a", 69.6, 42.3), "{name}");
            assert_eq!(p.within.adm1.as_deref(), Some("KZ-YUZ"));
        }
        // Two records of one place are one place.
        assert_eq!(g.place("Талас", &Within::default()).unwrap().lat, 42.5);
    }

    #[test]
    fn ambiguous_names_list_every_candidate_until_narrowed() {
        let g = gazetteer();
        let e = g.place("Aksu", &Within::default()).unwrap_err();
        let PlaceError::Ambiguous { candidates, .. } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(candidates.len(), 2);
        assert!(
            candidates[0].contains("Pavlodar KZ-PAV") || candidates[1].contains("Pavlodar KZ-PAV")
        );
        assert!(e.to_string().contains("add the region"), "{e}");
        let adm1 = g.area_code(1, "Павлодарская обл.", None).unwrap();
        assert_eq!(adm1, "KZ-PAV");
        let within = Within {
            adm1: Some(adm1),
            ..Within::default()
        };
        assert_eq!(g.place("Аксу", &within).unwrap().id, "b");
    }

    #[test]
    fn unmatched_names_suggest_the_closest() {
        let g = gazetteer();
        let e = g.place("Shymkend", &Within::default()).unwrap_err();
        let PlaceError::Unmatched { candidates, .. } = &e else {
            panic!("{e:?}");
        };
        assert!(
            candidates[0].starts_with("Shymkent / Шымкент"),
            "{candidates:?}"
        );
        // The right name in the wrong region names where it is.
        let within = Within {
            adm1: Some("KZ-PAV".into()),
            ..Within::default()
        };
        let e = g.place("Shymkent", &within).unwrap_err();
        assert!(e.to_string().contains("in Pavlodar (KZ-PAV)"), "{e}");
        assert!(e.to_string().contains("South Kazakhstan KZ-YUZ"), "{e}");
        assert_eq!(
            Gazetteer::new(&[], &[]).place("x", &Within::default()),
            Err(PlaceError::NoSettlements)
        );
    }

    #[test]
    fn areas_by_code_or_name() {
        let g = gazetteer();
        assert_eq!(g.area_code(0, "kz", None).as_deref(), Some("KZ"));
        assert_eq!(g.area_code(0, "Казахстан", None).as_deref(), Some("KZ"));
        assert_eq!(
            g.area_code(1, "Almaty region", Some("KZ")).as_deref(),
            Some("KZ-ALM")
        );
        assert_eq!(g.area_code(1, "Almaty region", Some("KG")), None);
        assert_eq!(g.area_code(1, "Nowhere", None), None);
    }
}
