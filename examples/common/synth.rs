//! Seeded synthetic facilities that look like real records (Russian and local names,
//! organisations, addresses, phones, opening hours, languages, eligibility flags,
//! provenance), clustered around Central-Asian towns. Shared by the examples.

use chrono::{NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use tirek::model::{Capacity, Facility, Language, Sector, Service, Status};

/// Towns: (country, English, Russian, lon, lat, phone prefix).
const TOWNS: &[(&str, &str, &str, f64, f64, &str)] = &[
    ("KZ", "Almaty", "Алматы", 76.95, 43.24, "+7 727"),
    ("KZ", "Astana", "Астана", 71.45, 51.17, "+7 7172"),
    ("KZ", "Shymkent", "Шымкент", 69.60, 42.32, "+7 7252"),
    ("KZ", "Karaganda", "Караганда", 73.10, 49.80, "+7 7212"),
    ("KZ", "Aktobe", "Актобе", 57.17, 50.28, "+7 7132"),
    ("KZ", "Taraz", "Тараз", 71.37, 42.90, "+7 7262"),
    ("KZ", "Pavlodar", "Павлодар", 76.95, 52.29, "+7 7182"),
    ("KZ", "Oskemen", "Усть-Каменогорск", 82.61, 49.95, "+7 7232"),
    ("KZ", "Kyzylorda", "Кызылорда", 65.51, 44.85, "+7 7242"),
    ("KZ", "Atyrau", "Атырау", 51.88, 47.11, "+7 7122"),
    ("KZ", "Aktau", "Актау", 51.17, 43.65, "+7 7292"),
    ("KZ", "Kostanay", "Костанай", 63.62, 53.21, "+7 7142"),
    ("KZ", "Semey", "Семей", 80.23, 50.41, "+7 7222"),
    ("KG", "Bishkek", "Бишкек", 74.59, 42.87, "+996 312"),
    ("KG", "Osh", "Ош", 72.80, 40.53, "+996 3222"),
    ("KG", "Jalal-Abad", "Джалал-Абад", 73.00, 40.93, "+996 3722"),
    ("KG", "Karakol", "Каракол", 78.39, 42.49, "+996 3922"),
    ("TJ", "Dushanbe", "Душанбе", 68.78, 38.56, "+992 37"),
    ("TJ", "Khujand", "Худжанд", 69.63, 40.28, "+992 3422"),
    ("TJ", "Bokhtar", "Бохтар", 68.78, 37.84, "+992 3222"),
    ("TJ", "Kulob", "Куляб", 69.78, 37.91, "+992 3322"),
    ("TM", "Ashgabat", "Ашхабад", 58.38, 37.96, "+993 12"),
    ("TM", "Turkmenabat", "Туркменабад", 63.58, 39.07, "+993 422"),
    ("TM", "Mary", "Мары", 61.83, 37.60, "+993 522"),
    ("UZ", "Tashkent", "Ташкент", 69.24, 41.31, "+998 71"),
    ("UZ", "Samarkand", "Самарканд", 66.96, 39.65, "+998 66"),
    ("UZ", "Bukhara", "Бухара", 64.42, 39.77, "+998 65"),
    ("UZ", "Namangan", "Наманган", 71.67, 41.00, "+998 69"),
    ("UZ", "Andijan", "Андижан", 72.34, 40.78, "+998 74"),
    ("UZ", "Fergana", "Фергана", 71.78, 40.38, "+998 73"),
    ("UZ", "Nukus", "Нукус", 59.60, 42.46, "+998 61"),
    ("UZ", "Karshi", "Карши", 65.79, 38.86, "+998 75"),
];

/// Per sector: English kind, Russian kind, typical services.
fn kind(sector: Sector) -> (&'static str, &'static str, &'static [Service]) {
    match sector {
        Sector::Health => (
            "City polyclinic",
            "Городская поликлиника",
            &[Service::CmrPep, Service::EmergencyContraception],
        ),
        Sector::Psychosocial => (
            "Crisis centre",
            "Кризисный центр",
            &[Service::Counselling, Service::CaseManagement],
        ),
        Sector::Police => (
            "District police department",
            "Районный отдел полиции",
            &[Service::ForensicExam],
        ),
        Sector::Shelter => (
            "Shelter",
            "Убежище для пострадавших от насилия",
            &[Service::EmergencyShelter, Service::Counselling],
        ),
        Sector::Legal => (
            "Legal aid office",
            "Юридическая консультация",
            &[Service::LegalAid],
        ),
        Sector::Hotline => ("Hotline", "Телефон доверия", &[Service::Hotline]),
        // Not drawn (see `facility`), but named for completeness.
        Sector::PerpetratorProgramme => (
            "Programme for perpetrators",
            "Программа для лиц, совершивших насилие",
            &[Service::VoluntaryProgramme],
        ),
    }
}

const STREETS: &[&str] = &[
    "ул. Абая",
    "пр. Независимости",
    "ул. Ленина",
    "ул. Навои",
    "мкр. Самал",
    "ул. Сатпаева",
    "ул. Рудаки",
    "ул. Манаса",
    "ул. Гагарина",
    "пр. Мира",
    "ул. Амира Темура",
    "ул. Толе би",
];

const HOURS: &[&str] = &[
    "24/7",
    "Mo-Fr 09:00-18:00",
    "Mo-Fr 08:00-17:00; Sa 09:00-13:00",
    "Mo-Sa 08:00-20:00",
    "Mo-Fr 09:00-18:00; Sa 10:00-14:00",
];

const SOURCES: &[&str] = &[
    "Ministry of Health facility register (2025)",
    "UNFPA GBV service mapping 2025",
    "OpenStreetMap contributors (ODbL)",
    "NGO partner list, verified by phone",
];

fn local_language(country: &str) -> Language {
    match country {
        "KZ" => Language::Kk,
        "KG" => Language::Ky,
        "TJ" => Language::Tg,
        "TM" => Language::Tk,
        _ => Language::Uz,
    }
}

/// Facility `i` of a seeded sequence (deterministic given the generator state).
pub fn facility(rng: &mut ChaCha8Rng, i: usize) -> Facility {
    let (country, town_en, town_ru, tlon, tlat, prefix) = TOWNS[rng.random_range(0..TOWNS.len())];
    let (lon, lat) = if rng.random_bool(0.8) {
        (
            tlon + rng.random_range(-1.5..1.5f64),
            tlat + rng.random_range(-1.0..1.0f64),
        )
    } else {
        (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0))
    };
    let round6 = |v: f64| (v * 1e6).round() / 1e6;
    let sector = match rng.random_range(0..100) {
        0..45 => Sector::Health,
        45..75 => Sector::Police,
        75..87 => Sector::Psychosocial,
        87..93 => Sector::Shelter,
        93..98 => Sector::Legal,
        _ => Sector::Hotline,
    };
    let mut sectors = vec![sector];
    if rng.random_bool(0.15) && sector != Sector::Psychosocial {
        sectors.push(Sector::Psychosocial);
    }
    let (kind_en, kind_ru, services) = kind(sector);
    let n = rng.random_range(1..400);
    let local = local_language(country);
    let mut names = BTreeMap::new();
    names.insert(Language::Ru, format!("{kind_ru} № {n} г. {town_ru}"));
    names.insert(Language::En, format!("{kind_en} No. {n}, {town_en}"));
    let shelter = sector == Sector::Shelter;
    let ts = |days: i64| Utc.timestamp_opt(1_700_000_000 + days * 86_400, 0).single();
    Facility {
        id: format!("{}-{}-{i:07}", country.to_lowercase(), sector.as_str()),
        name: format!("{kind_ru} № {n} г. {town_ru}"),
        names,
        organisation: Some(format!(
            "{} ({town_en})",
            match sector {
                Sector::Health => "Regional health department",
                Sector::Police => "Ministry of Internal Affairs",
                Sector::Legal => "Bar association",
                _ => "Union of crisis centres",
            }
        )),
        organisation_id: None,
        victim_support_partner: None,
        sectors,
        services: services.to_vec(),
        lon: round6(lon),
        lat: round6(lat),
        location_precision: tirek::model::LocationPrecision::Exact,
        address: Some(format!(
            "{} {}, {town_ru}",
            STREETS[rng.random_range(0..STREETS.len())],
            rng.random_range(1..250)
        )),
        country: country.into(),
        adm1: Some(format!("{country}{:02}", rng.random_range(1..20))),
        adm2: Some(format!("{country}{:04}", rng.random_range(100..3000))),
        phone: Some(format!(
            "{prefix} {:02} {:02} {:02}",
            rng.random_range(10..99),
            rng.random_range(10..99),
            rng.random_range(10..99)
        )),
        opening_hours: Some(HOURS[rng.random_range(0..HOURS.len())].into()),
        languages: if rng.random_bool(0.7) {
            vec![Language::Ru, local]
        } else {
            vec![Language::Ru, local, Language::En]
        },
        female_staff: rng.random_bool(0.6),
        child_friendly: rng.random_bool(0.4),
        wheelchair_access: rng.random_bool(0.3),
        free_of_charge: rng.random_bool(0.8),
        no_police_report_required: rng.random_bool(0.7),
        capacity: shelter.then(|| Capacity {
            beds_total: rng.random_range(5..40),
            beds_available: Some(rng.random_range(0..5)),
            as_of: NaiveDate::from_ymd_opt(2026, 10, rng.random_range(1..29)),
        }),
        status: if rng.random_bool(0.95) {
            Status::Active
        } else {
            Status::TemporarilyClosed
        },
        confidential: shelter,
        verified_at: NaiveDate::from_ymd_opt(
            2025,
            rng.random_range(1..13),
            rng.random_range(1..29),
        ),
        source: Some(SOURCES[rng.random_range(0..SOURCES.len())].into()),
        demo: true,
        created_at: ts(rng.random_range(0..300)),
        updated_at: ts(rng.random_range(300..700)),
    }
}

/// `n` synthetic facilities from `seed`, one at a time.
pub fn facilities(n: usize, seed: u64) -> impl Iterator<Item = Facility> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(move |i| facility(&mut rng, i))
}
