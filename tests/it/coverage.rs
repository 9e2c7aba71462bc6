//! Coverage per area equals an independent exhaustive computation: every settlement's
//! geodesic distance to every facility (GeographicLib via `geo::Geodesic`), planar
//! point-in-rectangle membership, summed per area.

use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use tirek::coverage::Thresholds;
use tirek::coverage::analysis::{self, CoverageOptions, Sites};
use tirek::import::sites::SiteRecord;
use tirek::model::{Area, Sector, Settlement};
use tirek::spatial::geodesy::geodesic_m;

const PACKAGE: [Sector; 4] = Sector::MINIMUM_PACKAGE;

fn rectangle(code: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Area {
    let ring = geo::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
    Area {
        code: code.into(),
        level: 2,
        parent: None,
        name: code.into(),
        names: BTreeMap::new(),
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
    }
}

#[test]
fn coverage_equals_an_exhaustive_computation() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    // A 6 × 4 grid of 2° districts over southern Kazakhstan / Uzbekistan.
    let mut areas = Vec::new();
    for i in 0..6 {
        for j in 0..4 {
            let (x, y) = (60.0 + 2.0 * f64::from(i), 38.0 + 2.0 * f64::from(j));
            areas.push(rectangle(
                &format!("D{:02}", areas.len()),
                x,
                y,
                x + 2.0,
                y + 2.0,
            ));
        }
    }
    let sites: Vec<SiteRecord> = (0..400)
        .map(|i| SiteRecord {
            status: tirek::model::Status::Active,
            id: format!("f{i:03}"),
            sectors: vec![PACKAGE[rng.random_range(0..4)]],
            lon: rng.random_range(60.0..72.0),
            lat: rng.random_range(38.0..46.0),
            country: None,
        })
        .collect();
    // Settlements: some on district edges (shared-edge rule), one outside every district.
    let mut settlements: Vec<Settlement> = (0..3000)
        .map(|i| {
            let mut lon: f64 = rng.random_range(59.9..72.0);
            let mut lat: f64 = rng.random_range(38.0..46.0);
            if i % 50 == 0 {
                lon = 62.0;
            }
            if i % 70 == 0 {
                lat = 40.0;
            }
            Settlement {
                id: format!("s{i}"),
                name: format!("s{i}"),
                name_ru: None,
                alt_names: vec![],
                lon: (lon * 1e6).round() / 1e6,
                lat: (lat * 1e6).round() / 1e6,
                population: f64::from(rng.random_range(10..20_000)),
                country: None,
                adm1: None,
                adm2: None,
            }
        })
        .collect();
    settlements.push(Settlement {
        lon: 59.5,
        lat: 39.0,
        ..settlements[1].clone()
    });
    let thresholds = Thresholds::default();
    let run = analysis::coverage(
        &Sites::from_records(&sites),
        &settlements,
        &areas,
        &CoverageOptions {
            sectors: PACKAGE.to_vec(),
            package: PACKAGE.to_vec(),
            thresholds,
            distances: true,
        },
    );

    // The reference.
    let n = areas.len();
    let mut total = vec![0.0; n];
    let mut covered = vec![[0.0; 4]; n];
    let mut all = vec![0.0; n];
    let mut slack = vec![0.0; n];
    let mut nearest_ref = vec![[f64::INFINITY; 4]; settlements.len()];
    let mut outside = 0;
    let mut left_out = Vec::new();
    for (si, s) in settlements.iter().enumerate() {
        let inside = areas.iter().position(|a| {
            let r = geo::BoundingRect::bounding_rect(&a.geometry).unwrap();
            r.min().x <= s.lon && s.lon <= r.max().x && r.min().y <= s.lat && s.lat <= r.max().y
        });
        // Outside every district: the nearest one (here the westmost of its row) when
        // it is within 0.2°, else none (the point is left out and listed).
        let snapped = inside.is_none() && s.lon >= 59.8;
        outside += usize::from(snapped);
        let Some(a) = inside.or_else(|| {
            snapped.then(|| {
                areas
                    .iter()
                    .position(|a| {
                        let r = geo::BoundingRect::bounding_rect(&a.geometry).unwrap();
                        r.min().x == 60.0 && r.min().y <= s.lat && s.lat <= r.max().y
                    })
                    .unwrap()
            })
        }) else {
            left_out.push(si as u32);
            for (k, sector) in PACKAGE.iter().enumerate() {
                nearest_ref[si][k] = sites
                    .iter()
                    .filter(|f| f.sectors.contains(sector))
                    .map(|f| Geodesic.distance(Point::new(s.lon, s.lat), Point::new(f.lon, f.lat)))
                    .fold(f64::INFINITY, f64::min);
            }
            continue;
        };
        total[a] += s.population;
        let mut in_all = true;
        for (k, sector) in PACKAGE.iter().enumerate() {
            let best = sites
                .iter()
                .filter(|f| f.sectors.contains(sector))
                .map(|f| Geodesic.distance(Point::new(s.lon, s.lat), Point::new(f.lon, f.lat)))
                .fold(f64::INFINITY, f64::min);
            nearest_ref[si][k] = best;
            let r = thresholds.get(*sector);
            if (best - r).abs() < 0.01 {
                slack[a] += s.population;
            }
            if best <= r {
                covered[a][k] += s.population;
            } else {
                in_all = false;
            }
        }
        if in_all {
            all[a] += s.population;
        }
    }
    assert!(
        outside > 10,
        "the fixture has settlements west of every district"
    );
    assert_eq!(run.outside, outside);
    assert_eq!(
        run.left_out.iter().map(|p| p.index).collect::<Vec<_>>(),
        left_out,
        "the settlement 0.5° west of every district is left out"
    );
    assert_eq!(left_out, [settlements.len() as u32 - 1]);
    for (a, row) in run.table.areas.iter().enumerate() {
        assert_eq!(row.pop_total, total[a], "district {a} total");
        for (k, (got, want)) in row.sectors.iter().zip(covered[a]).enumerate() {
            assert!(
                (got.pop_covered - want).abs() <= slack[a],
                "district {a} sector {k}"
            );
        }
        assert!(
            (row.pop_all - all[a]).abs() <= slack[a],
            "district {a} package"
        );
    }
    for (k, per_point) in run.table.nearest.iter().enumerate() {
        for (si, answer) in per_point.iter().enumerate() {
            let d = answer.map_or(f64::INFINITY, |(_, d)| d);
            assert!(
                (d - nearest_ref[si][k]).abs() < 1e-3 || d == nearest_ref[si][k],
                "nearest distance of settlement {si}"
            );
        }
    }
    let covered_somewhere = run
        .table
        .areas
        .iter()
        .filter(|r| r.pop_all > 0.0 && r.pop_all < r.pop_total)
        .count();
    assert!(
        covered_somewhere > 3,
        "the fixture should have partly covered districts"
    );
}

#[test]
fn a_sector_without_facilities_covers_nobody_and_thresholds_are_inclusive() {
    let areas = vec![rectangle("A", 60.0, 40.0, 62.0, 42.0)];
    let site = SiteRecord {
        status: tirek::model::Status::Active,
        id: "h".into(),
        sectors: vec![Sector::Health],
        lon: 61.0,
        lat: 41.0,
        country: None,
    };
    let at = |lon: f64| Settlement {
        id: format!("{lon}"),
        name: "x".into(),
        name_ru: None,
        alt_names: vec![],
        lon,
        lat: 41.0,
        population: 100.0,
        country: None,
        adm1: None,
        adm2: None,
    };
    // A point exactly one threshold away (by the geodesic) is covered.
    let d = geodesic_m(61.3, 41.0, 61.0, 41.0);
    assert!((d - Geodesic.distance(Point::new(61.3, 41.0), Point::new(61.0, 41.0))).abs() < 1e-6);
    let mut thresholds = Thresholds::default();
    thresholds.set(Sector::Health, d);
    let run = analysis::coverage(
        &Sites::from_records(&[site]),
        &[at(61.3), at(61.31)],
        &areas,
        &CoverageOptions {
            sectors: vec![Sector::Health, Sector::Police],
            package: PACKAGE.to_vec(),
            thresholds,
            distances: false,
        },
    );
    let row = &run.table.areas[0];
    assert_eq!(row.sectors[0].pop_covered, 100.0);
    assert_eq!(
        row.sectors[1].pop_covered, 0.0,
        "no police facility: nobody covered"
    );
    assert_eq!(row.pop_all, 0.0);
    assert_eq!(row.sectors[0].facilities, 1);
}

/// Points placed on purpose where the block search must be careful: exactly at the
/// threshold of a facility (by the geodesic), inside the ambiguity band between the
/// sphere bounds (`R / 1.0045 … R / 0.9944` on the sphere), just inside and outside, in
/// dense clusters (deep blocks decided whole) and spread thinly (blocks decided as
/// uncovered), at several radii and at the antimeridian and near the pole. Every answer
/// must equal the exhaustive test "some facility at geodesic distance ≤ R".
#[test]
fn block_decisions_equal_an_exhaustive_test_at_the_threshold_and_in_the_band() {
    use geo::Destination;
    use tirek::coverage::{AccessModel, GeodesicAccess, PointSet};
    use tirek::spatial::points::CoordIndex;
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let regions = [
        (60.0, 72.0, 38.0, 46.0),     // Central Asia
        (178.0, 182.0, -20.0, -16.0), // across the antimeridian
        (-30.0, 30.0, 84.0, 89.9),    // near the pole
    ];
    let wrap = |lon: f64| if lon > 180.0 { lon - 360.0 } else { lon };
    let mut at_threshold = 0;
    for (w, e, s, n) in regions {
        let facilities: Vec<(f64, f64)> = (0..300)
            .map(|_| (wrap(rng.random_range(w..e)), rng.random_range(s..n)))
            .collect();
        for radius in [2_000.0, 30_000.0, 100_000.0, 400_000.0] {
            let mut points: Vec<(f64, f64)> = Vec::new();
            // Around facilities: at exactly R, in the band, just inside and outside.
            for k in 0..1_500 {
                let (flon, flat) = facilities[k % facilities.len()];
                let factor = match k % 5 {
                    0 => 1.0,
                    1 => rng.random_range(0.994..1.006),
                    2 => 1.0 - 1e-9,
                    3 => 1.0 + 1e-9,
                    _ => rng.random_range(0.0..2.0),
                };
                let p = Geodesic.destination(
                    Point::new(flon, flat),
                    rng.random_range(0.0..360.0),
                    radius * factor,
                );
                points.push((p.x(), p.y()));
            }
            // Dense clusters and a thin background.
            for _ in 0..20 {
                let (x, y) = (rng.random_range(w..e), rng.random_range(s..n));
                for _ in 0..100 {
                    points.push((
                        wrap(x + rng.random_range(-0.01..0.01)),
                        (y + rng.random_range(-0.01..0.01)).min(90.0),
                    ));
                }
            }
            for _ in 0..1_000 {
                points.push((wrap(rng.random_range(w..e)), rng.random_range(s..n)));
            }
            let mut thresholds = Thresholds::default();
            thresholds.set(Sector::Health, radius);
            let model = GeodesicAccess::new(thresholds);
            let got = model.covered(
                Sector::Health,
                &CoordIndex::new(facilities.clone()),
                &PointSet::new(&points),
            );
            let mut in_band = 0;
            for (i, &(lon, lat)) in points.iter().enumerate() {
                // Brute force with the product's geodesic (Vincenty, Karney near the
                // antipode): a point 1e-9 R from the threshold is decided by nanometres,
                // below the two algorithms' agreement, so only the one metric can judge
                // it. That metric is checked against Karney's here (at the nearest
                // facility) and everywhere in the geodesy tests.
                let (nearest, closest) = facilities
                    .iter()
                    .map(|&(flon, flat)| (geodesic_m(lon, lat, flon, flat), (flon, flat)))
                    .fold(
                        (f64::INFINITY, (0.0, 0.0)),
                        |a, b| if b.0 < a.0 { b } else { a },
                    );
                let karney =
                    Geodesic.distance(Point::new(lon, lat), Point::new(closest.0, closest.1));
                assert!((karney - nearest).abs() < 1e-4, "{karney} vs {nearest}");
                at_threshold += usize::from((nearest - radius).abs() < 1e-6);
                in_band += usize::from((nearest / radius - 1.0).abs() < 0.006);
                assert_eq!(
                    got[i],
                    nearest <= radius,
                    "point {i} ({lon}, {lat}) at {nearest} m, R = {radius} m"
                );
            }
            assert!(in_band > 10, "{in_band} points in the ambiguity band");
        }
    }
    assert!(at_threshold > 100, "{at_threshold} points at the threshold");
}

/// Both ways of putting people in areas: point-in-polygon (the default) and the area
/// column of the population file (`--area-column`), read through the importer, on seeded
/// data whose column disagrees with the polygons for some rows (so that each path is
/// seen to use its own membership). Each equals an exhaustive computation: every
/// settlement's geodesic distance to every facility, membership by point-in-rectangle or
/// by the column's code. Unknown codes and a missing column are refused.
#[test]
fn area_membership_from_polygons_or_from_a_column_equals_an_exhaustive_computation() {
    use tirek::import::population::read_population_points_with_codes;
    let mut rng = ChaCha8Rng::seed_from_u64(4242);
    // A 5 × 3 grid of 2° districts, numeric codes 11.. (not their indices).
    let mut areas = Vec::new();
    for i in 0..5 {
        for j in 0..3 {
            let (x, y) = (62.0 + 2.0 * f64::from(i), 39.0 + 2.0 * f64::from(j));
            areas.push(rectangle(
                &format!("{}", 11 + areas.len()),
                x,
                y,
                x + 2.0,
                y + 2.0,
            ));
        }
    }
    let within = |a: &Area, lon: f64, lat: f64| {
        let r = geo::BoundingRect::bounding_rect(&a.geometry).unwrap();
        r.min().x <= lon && lon <= r.max().x && r.min().y <= lat && lat <= r.max().y
    };
    let sites: Vec<SiteRecord> = (0..300)
        .map(|i| SiteRecord {
            status: tirek::model::Status::Active,
            id: format!("f{i:03}"),
            sectors: vec![PACKAGE[rng.random_range(0..4)]],
            lon: rng.random_range(62.0..72.0),
            lat: rng.random_range(39.0..45.0),
            country: None,
        })
        .collect();
    // Settlements strictly inside the grid (off the shared edges); the column names the
    // containing district, except for every 7th row, which names another one.
    let mut csv = String::from("id,lon,lat,population,district\n");
    let mut rows = Vec::new();
    for i in 0..4_000 {
        let lon = (rng.random_range(62.0001..71.9999f64) * 1e6).round() / 1e6;
        let lat = (rng.random_range(39.0001..44.9999f64) * 1e6).round() / 1e6;
        let lon = if (lon - lon.round()).abs() < 1e-4 {
            lon + 0.001
        } else {
            lon
        };
        let lat = if (lat - lat.round()).abs() < 1e-4 {
            lat + 0.001
        } else {
            lat
        };
        let population = f64::from(rng.random_range(10..20_000));
        let inside = areas.iter().position(|a| within(a, lon, lat)).unwrap();
        let named = if i % 7 == 0 {
            (inside + 1 + rng.random_range(0..areas.len() - 1)) % areas.len()
        } else {
            inside
        };
        // Spaces around the code, as spreadsheets write them, are not part of it.
        csv.push_str(&format!(
            "s{i},{lon},{lat},{population}, {} \n",
            areas[named].code
        ));
        rows.push((lon, lat, population, inside, named));
    }
    let options = CoverageOptions {
        sectors: PACKAGE.to_vec(),
        package: PACKAGE.to_vec(),
        thresholds: Thresholds::default(),
        distances: false,
    };
    let sites_built = Sites::from_records(&sites);
    let area_codes: Vec<&str> = areas.iter().map(|a| a.code.as_str()).collect();

    // The reference: per settlement, covered per sector by the exhaustive geodesic test.
    let covered: Vec<[bool; 4]> = rows
        .iter()
        .map(|&(lon, lat, ..)| {
            PACKAGE.map(|sector| {
                sites
                    .iter()
                    .filter(|f| f.sectors.contains(&sector))
                    .map(|f| Geodesic.distance(Point::new(lon, lat), Point::new(f.lon, f.lat)))
                    .any(|d| d <= Thresholds::default().get(sector))
            })
        })
        .collect();
    let reference = |membership: &dyn Fn(usize) -> usize| {
        let mut table = vec![(0.0, [0.0; 4], 0.0); areas.len()];
        for (i, row) in rows.iter().enumerate() {
            let cell = &mut table[membership(i)];
            cell.0 += row.2;
            for (sum, &yes) in cell.1.iter_mut().zip(&covered[i]) {
                if yes {
                    *sum += row.2;
                }
            }
            if covered[i].iter().all(|&c| c) {
                cell.2 += row.2;
            }
        }
        table
    };
    let check = |run: &analysis::CoverageRun, want: &[(f64, [f64; 4], f64)], label: &str| {
        assert_eq!(run.outside, 0, "{label}");
        for (a, (row, want)) in run.table.areas.iter().zip(want).enumerate() {
            assert_eq!(row.pop_total, want.0, "{label}: district {a} total");
            for (k, s) in row.sectors.iter().enumerate() {
                assert_eq!(s.pop_covered, want.1[k], "{label}: district {a} sector {k}");
                let facilities = sites
                    .iter()
                    .filter(|f| f.sectors.contains(&s.sector) && within(&areas[a], f.lon, f.lat))
                    .count();
                assert_eq!(s.facilities, facilities, "{label}: district {a} sector {k}");
            }
            assert_eq!(row.pop_all, want.2, "{label}: district {a} package");
        }
    };

    // Point-in-polygon.
    let (points, none) = read_population_points_with_codes(csv.as_bytes(), None).unwrap();
    assert!(none.is_none());
    // The facilities placed in the areas during the run, or beforehand (as the CLI does
    // while the population loads): the same counts either way.
    let site_areas = analysis::SiteAreas::locate(&sites_built, &areas);
    let by_polygon_want = reference(&|i| rows[i].3);
    let placed_before = analysis::coverage_of_points(
        &sites_built,
        Some(&site_areas),
        points.clone(),
        &areas,
        &options,
    );
    check(
        &placed_before,
        &by_polygon_want,
        "point-in-polygon, facilities placed before",
    );
    let by_polygon = analysis::coverage_of_points(&sites_built, None, points, &areas, &options);
    check(&by_polygon, &by_polygon_want, "point-in-polygon");

    // The column, on the fast reader and on the quoted-CSV reader.
    let quoted = csv.replacen("id,lon", "\"id\",lon", 1);
    for (text, placed) in [(&csv, None), (&quoted, Some(&site_areas))] {
        let (mut points, codes) =
            read_population_points_with_codes(text.as_bytes(), Some("District")).unwrap();
        let found = codes.unwrap().resolve(&area_codes).unwrap();
        for (p, a) in points.iter_mut().zip(found) {
            p.area = Some(a);
        }
        let by_column =
            analysis::coverage_of_points_in_areas(&sites_built, placed, points, &areas, &options);
        check(&by_column, &reference(&|i| rows[i].4), "column");
        assert_ne!(
            by_column.table.areas, by_polygon.table.areas,
            "the fixture's column disagrees with the polygons"
        );
    }

    // Given areas are a promise: a point without one (or with one out of range) stops
    // the run rather than dropping people from the sums.
    for bad_area in [None, Some(areas.len() as u32)] {
        let (mut points, _) = read_population_points_with_codes(csv.as_bytes(), None).unwrap();
        for (i, p) in points.iter_mut().enumerate() {
            p.area = if i == 1_234 { bad_area } else { Some(0) };
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            analysis::coverage_of_points_in_areas(
                &sites_built,
                Some(&site_areas),
                points,
                &areas,
                &options,
            )
        }));
        let message = run.err().and_then(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        });
        assert!(
            message.is_some_and(|m| m.contains("every population point needs an area")),
            "{bad_area:?}"
        );
    }

    // A code that matches no area: all or nothing, with line, column and value.
    for text in [&csv, &quoted] {
        let bad = text.replacen(", 11 \n", ", 99 \n", 1);
        let at = bad[..bad.find(", 99 \n").unwrap()].matches('\n').count() + 1;
        let (_, codes) =
            read_population_points_with_codes(bad.as_bytes(), Some("district")).unwrap();
        let errors = codes.unwrap().resolve(&area_codes).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].index, Some(at));
        assert_eq!(errors[0].field, "district");
        assert!(
            errors[0].message.contains("\"99\""),
            "{}",
            errors[0].message
        );
    }
    // A missing column.
    let errors = read_population_points_with_codes(csv.as_bytes(), Some("adm2_code")).unwrap_err();
    assert!(
        errors[0].message.contains("adm2_code"),
        "{}",
        errors[0].message
    );
}

#[test]
fn points_across_a_border_or_far_from_every_area_are_left_out_and_listed() {
    // Two Kazakh districts side by side; Kyrgyzstan lies south of them.
    let mut west = rectangle("KZ-W", 74.0, 43.0, 75.0, 44.0);
    let mut east = rectangle("KZ-E", 75.0, 43.0, 76.0, 44.0);
    west.parent = Some("KZ".into());
    east.parent = Some("KZ".into());
    let areas = vec![west, east];
    let settlement = |id: &str, lon: f64, lat: f64, country: Option<&str>| Settlement {
        id: id.into(),
        name: id.into(),
        name_ru: None,
        alt_names: vec![],
        lon,
        lat,
        population: 1_000.0,
        country: country.map(str::to_string),
        adm1: None,
        adm2: None,
    };
    let settlements = vec![
        settlement("inside", 74.5, 43.5, Some("KZ")),
        // Like Tokmok: 0.1° south of the Kazakh district, in Kyrgyzstan.
        settlement("across", 75.3, 42.9, Some("KG")),
        // A sliver 0.1° off the border, in Kazakhstan: snapped.
        settlement("sliver", 75.8, 42.9, Some("KZ")),
        // Country unknown, 0.1° off: snapped to the nearest, the eastern district.
        settlement("unknown", 76.1, 43.5, None),
        // Country unknown but 0.5° off: too far.
        settlement("far", 76.5, 43.5, None),
    ];
    let run = analysis::coverage(
        &Sites::from_records(&[]),
        &settlements,
        &areas,
        &CoverageOptions {
            sectors: PACKAGE.to_vec(),
            package: PACKAGE.to_vec(),
            thresholds: Thresholds::default(),
            distances: false,
        },
    );
    let totals: Vec<f64> = run.table.areas.iter().map(|r| r.pop_total).collect();
    assert_eq!(totals, [1_000.0, 2_000.0]);
    assert_eq!(run.outside, 2);
    let listed: Vec<(&str, &str)> = run
        .left_out
        .iter()
        .map(|p| (settlements[p.index as usize].id.as_str(), p.why.reason()))
        .collect();
    assert_eq!(
        listed,
        [
            ("across", "in another country than the areas near it"),
            ("far", "farther than 0.2° from every area"),
        ]
    );
}
