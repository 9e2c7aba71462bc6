//! The features of a GeoJSON FeatureCollection, one at a time. The collection is never
//! held whole: a million facilities as one `serde_json::Value` tree take gigabytes,
//! one feature a few kilobytes. A lone Feature (what `GET /api/facilities/{id}`
//! answers) is a collection of one. Members may come in any order; only `features`
//! is streamed, the other top-level members are small and kept.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::ops::ControlFlow;

/// Why a document could not be read as features.
#[derive(Debug, thiserror::Error)]
pub enum FeaturesError {
    /// Not JSON (or the input could not be read), at this position.
    #[error("not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What serde_json says.
        message: String,
    },
    /// JSON, but neither a FeatureCollection with a `features` array nor a Feature.
    #[error("expected a GeoJSON FeatureCollection with a \"features\" array")]
    NotFeatures,
}

/// What a walk hands each feature to, with its index: `Break` stops the walk.
pub type EachFeature<'a> = dyn FnMut(usize, Value) -> ControlFlow<()> + 'a;

/// How a walk over the features ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walked {
    /// Features handed out.
    pub features: usize,
    /// Whether the callback asked to stop before the end.
    pub stopped: bool,
}

/// Hands every feature of `bytes` to `each(index, feature)` in order (`index` counts
/// from 0) until it returns `Break`.
pub fn each_in_slice(
    bytes: &[u8],
    each: &mut dyn FnMut(usize, Value) -> ControlFlow<()>,
) -> Result<Walked, FeaturesError> {
    walk(serde_json::Deserializer::from_slice(bytes), each)
}

/// [`each_in_slice`] for a reader (a file), read through a buffer.
pub fn each_in_reader(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(usize, Value) -> ControlFlow<()>,
) -> Result<Walked, FeaturesError> {
    let reader = std::io::BufReader::with_capacity(1 << 16, reader);
    walk(serde_json::Deserializer::from_reader(reader), each)
}

/// For readers that take any document with a `features` array (whatever its `type`):
/// hands out its features like [`each_in_slice`] and returns the other top-level
/// members (`crs`, …). Errors as [`each_in_slice`]'s.
pub fn each_in_collection(
    bytes: &[u8],
    each: &mut EachFeature<'_>,
) -> Result<Map<String, Value>, FeaturesError> {
    let mut doc = Doc {
        each,
        // Never "Feature": a `features` member is always streamed.
        kind: Some(String::new()),
        others: Map::new(),
        object: false,
        streamed: false,
        count: 0,
        stopped: false,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let walked = de::Deserializer::deserialize_any(&mut de, &mut doc).and_then(|()| de.end());
    match walked {
        _ if doc.stopped => Ok(doc.others),
        Err(e) => Err(FeaturesError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }),
        Ok(()) if doc.streamed => Ok(doc.others),
        Ok(()) => Err(FeaturesError::NotFeatures),
    }
}

fn walk<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    each: &mut dyn FnMut(usize, Value) -> ControlFlow<()>,
) -> Result<Walked, FeaturesError> {
    let mut doc = Doc {
        each,
        kind: None,
        others: Map::new(),
        object: false,
        streamed: false,
        count: 0,
        stopped: false,
    };
    let walked = de::Deserializer::deserialize_any(&mut de, &mut doc).and_then(|()| de.end());
    if doc.stopped {
        return Ok(Walked {
            features: doc.count,
            stopped: true,
        });
    }
    if let Err(e) = walked {
        return Err(FeaturesError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        });
    }
    match doc.kind.as_deref() {
        Some("FeatureCollection") if doc.streamed => Ok(Walked {
            features: doc.count,
            stopped: false,
        }),
        // A Feature with a `features` member read as a collection would have been
        // handed out as several records: refused rather than guessed.
        Some("Feature") if doc.object && !doc.streamed => {
            let stopped = (doc.each)(0, Value::Object(doc.others)).is_break();
            Ok(Walked {
                features: 1,
                stopped,
            })
        }
        _ => Err(FeaturesError::NotFeatures),
    }
}

/// The walk's state, and the visitor of the top-level value.
struct Doc<'a> {
    each: &'a mut dyn FnMut(usize, Value) -> ControlFlow<()>,
    kind: Option<String>,
    others: Map<String, Value>,
    object: bool,
    streamed: bool,
    count: usize,
    stopped: bool,
}

/// What a top-level value other than an object is: not features. Each visitor
/// method accepts it, so the walk ends in [`FeaturesError::NotFeatures`], as it did
/// when the whole document was parsed first.
macro_rules! accept_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

impl<'de> Visitor<'de> for &mut Doc<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }

    accept_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.object = true;
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" && self.kind.as_deref() != Some("Feature") {
                self.streamed |= map.next_value_seed(Features(&mut *self))?;
            } else {
                let value: Value = map.next_value()?;
                if key == "type" && self.kind.as_deref() != Some("") {
                    self.kind = value.as_str().map(str::to_string);
                }
                self.others.insert(key, value);
            }
        }
        Ok(())
    }
}

/// The `features` member: streamed when it is an array (`true`), skipped otherwise.
struct Features<'a, 'b>(&'a mut Doc<'b>);

impl<'de> DeserializeSeed<'de> for Features<'_, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    accept_scalars!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let doc = self.0;
        while let Some(feature) = seq.next_element::<Value>()? {
            let index = doc.count;
            doc.count += 1;
            if (doc.each)(index, feature).is_break() {
                doc.stopped = true;
                // Unwinds the parse; `walk` sees `stopped` and reports no error.
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<(usize, Value)>, FeaturesError> {
        let mut out = Vec::new();
        each_in_slice(text.as_bytes(), &mut |i, f| {
            out.push((i, f));
            ControlFlow::Continue(())
        })?;
        let mut again = Vec::new();
        each_in_reader(text.as_bytes(), &mut |i, f| {
            again.push((i, f));
            ControlFlow::Continue(())
        })?;
        assert_eq!(out, again, "slice and reader differ");
        Ok(out)
    }

    #[test]
    fn features_in_any_member_order() {
        let a = all(r#"{"type":"FeatureCollection","features":[{"a":1},{"b":2}]}"#).unwrap();
        let b =
            all(r#"{"features":[{"a":1},{"b":2}],"name":"x","type":"FeatureCollection"}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1], (1, serde_json::json!({"b": 2})));
    }

    #[test]
    fn a_lone_feature_is_one() {
        let one = all(r#"{"type":"Feature","properties":{"id":"x"},"geometry":null}"#).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].1["properties"]["id"], "x");
    }

    #[test]
    fn not_a_collection_is_named() {
        for text in [
            "[1, 2]",
            "3",
            r#"{"type":"FeatureCollection"}"#,
            r#"{"type":"FeatureCollection","features":{}}"#,
            r#"{"type":"Topology","features":[]}"#,
            r#"{"features":[{}],"type":"Feature"}"#,
        ] {
            assert!(
                matches!(all(text), Err(FeaturesError::NotFeatures)),
                "{text}"
            );
        }
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"a\":1},\n{\"b\":]}";
        let Err(FeaturesError::Syntax { line, .. }) = all(text) else {
            panic!("a syntax error");
        };
        assert_eq!(line, 3);
        assert!(matches!(
            all(r#"{"type":"FeatureCollection","features":[]} x"#),
            Err(FeaturesError::Syntax { .. })
        ));
    }

    #[test]
    fn a_collection_needs_only_its_features_array() {
        let text = r#"{"crs":{"type":"name"},"features":[{"a":1},{"b":2}],"type":"Feature"}"#;
        let mut seen = Vec::new();
        let others = each_in_collection(text.as_bytes(), &mut |i, f| {
            seen.push((i, f));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(others["crs"]["type"], "name");
        for text in ["[]", r#"{"type":"FeatureCollection"}"#, r#"{"features":3}"#] {
            let r = each_in_collection(text.as_bytes(), &mut |_, _| ControlFlow::Continue(()));
            assert!(matches!(r, Err(FeaturesError::NotFeatures)), "{text}");
        }
    }

    #[test]
    fn stopping_ends_the_walk_without_error() {
        let mut seen = 0;
        let walked = each_in_slice(
            br#"{"type":"FeatureCollection","features":[{},{},{},{}], broken"#,
            &mut |_, _| {
                seen += 1;
                if seen == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        assert_eq!(
            walked,
            Walked {
                features: 2,
                stopped: true
            }
        );
    }
}
