//! [`DataType`]: the values a query computes, their equality, Debug form and JSON form.

use std::collections::BTreeMap;
use std::fmt;

use aw_models::time::{duration_to_secs, format_datetime};
use aw_models::SharedEvent;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::error::{QueryError, Result};
use crate::functions::Builtin;
use crate::transform::memo::MeasureMemo;

/// A query value (docs/QUERY.md §5.1).
///
/// Serialises to the JSON upstream sends: `None` as `[]`, numbers as floats, events as
/// `{"data","duration","id","timestamp"}`, dict keys sorted. A `Function` cannot be
/// serialised; [`crate::query`] refuses such results before they reach a serializer.
#[derive(Clone)]
pub enum DataType {
    /// The value of `print(…)` and of `return x = 1;`.
    None,
    /// `true` / `false`.
    Bool(bool),
    /// Every number is an f64.
    Number(f64),
    /// A string.
    String(String),
    /// An event, made only by functions.
    Event(SharedEvent),
    /// A list.
    List(Vec<DataType>),
    /// A dict; keys iterate sorted.
    Dict(BTreeMap<String, DataType>),
    /// A built-in function.
    Function(&'static Builtin),
}

impl DataType {
    /// Equality as the nested rule of §4.5: never an error, different types are
    /// unequal, `None` equals `None`, functions never equal.
    pub fn nested_eq(&self, other: &DataType) -> bool {
        match (self, other) {
            (DataType::None, DataType::None) => true,
            (DataType::Bool(a), DataType::Bool(b)) => a == b,
            (DataType::Number(a), DataType::Number(b)) => a == b,
            (DataType::String(a), DataType::String(b)) => a == b,
            (DataType::Event(a), DataType::Event(b)) => a == b,
            (DataType::List(a), DataType::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.nested_eq(y))
            }
            (DataType::Dict(a), DataType::Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.nested_eq(vb))
            }
            _ => false,
        }
    }

    /// `==` at the top level (§4.5): `None == None` is false, different types or two
    /// functions are an `InvalidType` error.
    pub fn top_eq(&self, other: &DataType) -> Result<bool> {
        match (self, other) {
            (DataType::None, DataType::None) => Ok(false),
            (DataType::Function(_), _) | (_, DataType::Function(_)) => {
                Err(cannot_compare(self, other))
            }
            _ if std::mem::discriminant(self) == std::mem::discriminant(other) => {
                Ok(self.nested_eq(other))
            }
            _ => Err(cannot_compare(self, other)),
        }
    }

    /// How deep lists and dicts nest inside this value (a scalar is 0).
    pub fn depth(&self) -> usize {
        match self {
            DataType::List(items) => 1 + items.iter().map(DataType::depth).max().unwrap_or(0),
            DataType::Dict(map) => 1 + map.values().map(DataType::depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Estimated memory of this value in bytes (the query budget's measure): the size
    /// of a value slot per node, plus string contents, plus each event's data (each
    /// distinct data measured once, but counted for every event holding it).
    pub fn approx_bytes(&self) -> usize {
        self.approx_bytes_with(&mut MeasureMemo::new())
    }

    /// [`DataType::approx_bytes`], measuring each distinct data once across calls sharing `memo`.
    pub(crate) fn approx_bytes_with<'a>(&'a self, memo: &mut MeasureMemo<'a, usize>) -> usize {
        let node = std::mem::size_of::<DataType>();
        match self {
            DataType::String(text) => node.saturating_add(text.len()),
            DataType::Event(event) => crate::budget::event_bytes(event, memo),
            DataType::List(items) => items
                .iter()
                .map(|item| item.approx_bytes_with(memo))
                .fold(node, usize::saturating_add),
            DataType::Dict(map) => map
                .iter()
                .map(|(key, value)| key.len().saturating_add(value.approx_bytes_with(memo)))
                .fold(node.saturating_mul(2), usize::saturating_add),
            DataType::None | DataType::Bool(_) | DataType::Number(_) | DataType::Function(_) => {
                node
            }
        }
    }

    /// The first function value inside this value, if any.
    pub fn find_function(&self) -> Option<&'static Builtin> {
        match self {
            DataType::Function(builtin) => Some(builtin),
            DataType::List(items) => items.iter().find_map(DataType::find_function),
            DataType::Dict(map) => map.values().find_map(DataType::find_function),
            _ => None,
        }
    }
}

/// A number as upstream prints it: the shortest digits that read back as the same
/// f64, with an exponent from 1e16 and below 1e-5 and **no `+`** in a positive
/// exponent (`1e16`, `1.2345678901234568e17`), as serde_json printed it with ryu.
/// Today's serde_json writes `1e+16`; only that `+` differs, so it is dropped.
/// Non-finite numbers stay `null`, as before.
fn serialize_number<S: Serializer>(value: f64, ser: S) -> std::result::Result<S::Ok, S::Error> {
    let text = serde_json::to_string(&value).map_err(S::Error::custom)?;
    if !text.contains("e+") {
        return ser.serialize_f64(value);
    }
    let raw = serde_json::value::RawValue::from_string(text.replacen("e+", "e", 1))
        .map_err(S::Error::custom)?;
    raw.serialize(ser)
}

fn cannot_compare(left: &DataType, right: &DataType) -> QueryError {
    QueryError::InvalidType(format!(
        "Cannot compare values of different types {left:?} and {right:?}"
    ))
}

/// The Debug form upstream embeds in error messages (§5.1, §5.4): `Number(1)`,
/// `String(abc)`, `List([…])`, `None()`, `Function(print)`.
impl fmt::Debug for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::None => write!(f, "None()"),
            DataType::Bool(value) => write!(f, "Bool({value})"),
            DataType::Number(value) => write!(f, "Number({value})"),
            DataType::String(value) => write!(f, "String({value})"),
            DataType::Event(event) => write!(f, "Event({:?})", EventDebug(event)),
            DataType::List(items) => write!(f, "List({items:?})"),
            DataType::Dict(map) => write!(f, "Dict({map:?})"),
            DataType::Function(builtin) => write!(f, "Function({})", builtin.name),
        }
    }
}

/// An event's Debug form as upstream prints its `Event` (the struct is named
/// `Event` whether or not its data is shared).
struct EventDebug<'a>(&'a SharedEvent);

impl fmt::Debug for EventDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.0.id)
            .field("timestamp", &self.0.timestamp)
            .field("duration", &self.0.duration)
            .field("data", &*self.0.data)
            .finish()
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            DataType::None => ser.serialize_seq(Some(0))?.end(),
            DataType::Bool(value) => ser.serialize_bool(*value),
            DataType::Number(value) => serialize_number(*value, ser),
            DataType::String(value) => ser.serialize_str(value),
            DataType::Event(event) => serialize_event(event, ser),
            DataType::List(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            DataType::Dict(map) => {
                let mut out = ser.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    out.serialize_entry(key, value)?;
                }
                out.end()
            }
            DataType::Function(builtin) => Err(S::Error::custom(format!(
                "a function value cannot be serialised: {}",
                builtin.name
            ))),
        }
    }
}

/// An event with its keys in sorted order, as upstream's `serde_json::Value` detour gives.
fn serialize_event<S: Serializer>(
    event: &SharedEvent,
    ser: S,
) -> std::result::Result<S::Ok, S::Error> {
    let mut out = ser.serialize_map(Some(4))?;
    out.serialize_entry("data", &SortedData(&event.data))?;
    out.serialize_entry("duration", &duration_to_secs(&event.duration))?;
    out.serialize_entry("id", &event.id)?;
    out.serialize_entry("timestamp", &format_datetime(&event.timestamp))?;
    out.end()
}

/// Event data with sorted keys at every level, whatever order the map keeps.
struct SortedData<'a>(&'a aw_models::JsonMap);

impl Serialize for SortedData<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        let mut entries: Vec<_> = self.0.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = ser.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            out.serialize_entry(key, &SortedValue(value))?;
        }
        out.end()
    }
}

struct SortedValue<'a>(&'a serde_json::Value);

impl Serialize for SortedValue<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0 {
            serde_json::Value::Object(map) => SortedData(map).serialize(ser),
            serde_json::Value::Array(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&SortedValue(item))?;
                }
                seq.end()
            }
            other => other.serialize(ser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_forms_match_upstream() {
        let cases = [
            (DataType::None, "None()"),
            (DataType::Number(1.0), "Number(1)"),
            (DataType::Number(f64::NAN), "Number(NaN)"),
            (DataType::Number(f64::INFINITY), "Number(inf)"),
            (DataType::String("abc".into()), "String(abc)"),
            (
                DataType::List(vec![DataType::Number(1.5), DataType::Bool(true)]),
                "List([Number(1.5), Bool(true)])",
            ),
            (
                DataType::Dict(BTreeMap::from([("k".to_string(), DataType::None)])),
                r#"Dict({"k": None()})"#,
            ),
        ];
        for (value, text) in cases {
            assert_eq!(format!("{value:?}"), text);
        }
    }

    #[test]
    fn equality_rules() {
        let none_list = DataType::List(vec![DataType::None]);
        assert!(none_list.top_eq(&none_list).unwrap());
        assert!(!DataType::None.top_eq(&DataType::None).unwrap());
        assert_eq!(
            DataType::Bool(true)
                .top_eq(&DataType::Number(1.0))
                .unwrap_err()
                .to_string(),
            r#"InvalidType("Cannot compare values of different types Bool(true) and Number(1)")"#
        );
        assert!(!DataType::Number(f64::NAN).nested_eq(&DataType::Number(f64::NAN)));
    }
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn numbers_print_as_upstream() {
        let cases = [
            (1e16, "1e16"),
            (1.2345678901234568e17, "1.2345678901234568e17"),
            (1e23, "1e23"),
            (-2.5e300, "-2.5e300"),
            (1e15, "1000000000000000.0"),
            (1e-7, "1e-7"),
            (0.1, "0.1"),
            (2.0, "2.0"),
            (f64::NAN, "null"),
        ];
        for (value, text) in cases {
            let json = serde_json::to_string(&DataType::Number(value)).unwrap();
            assert_eq!(json, text, "{value:?}");
        }
        let list = DataType::List(vec![DataType::Number(1e16), DataType::Number(1.0)]);
        assert_eq!(serde_json::to_string(&list).unwrap(), "[1e16,1.0]");
    }
}
