//! Converting argument values to the declared [`ArgType`]s, with upstream's messages (§5.5).

use crate::error::{QueryError, Result};
use crate::functions::{Arg, ArgType, EventsIn, Input};
use crate::rules;
use crate::value::DataType;

/// Converts one argument; the first failing argument's message is reported. A borrowed
/// value is copied unless the parameter only reads events.
pub fn convert(ty: ArgType, input: Input<'_>) -> Result<Arg<'_>> {
    match (ty, input) {
        (ArgType::EventsRead, Input::Borrowed(value)) => {
            borrow_events(value).map(|list| Arg::EventsIn(EventsIn::Borrowed(list)))
        }
        (ArgType::EventsRead, Input::Owned(value)) => {
            to_events(value).map(|list| Arg::EventsIn(EventsIn::Owned(list)))
        }
        (ty, Input::Borrowed(value)) => convert_owned(ty, value.clone()),
        (ty, Input::Owned(value)) => convert_owned(ty, value),
    }
}

fn convert_owned(ty: ArgType, value: DataType) -> Result<Arg<'static>> {
    match ty {
        ArgType::Any => Ok(Arg::Any(value)),
        ArgType::String => to_string(value).map(Arg::String),
        ArgType::Number => to_number(value).map(Arg::Number),
        // `as` saturates and maps NaN to 0, the cast upstream applies.
        ArgType::Count => to_number(value).map(|number| Arg::Count(number as usize)),
        ArgType::Strings => to_list(value)?
            .into_iter()
            .map(to_string)
            .collect::<Result<_>>()
            .map(Arg::Strings),
        ArgType::Events => to_events(value).map(Arg::Events),
        ArgType::EventsRead => to_events(value).map(|list| Arg::EventsIn(EventsIn::Owned(list))),
        ArgType::JsonValues => to_list(value)?
            .into_iter()
            .map(to_json)
            .collect::<Result<_>>()
            .map(Arg::Json),
        ArgType::CategoryRules => rules::category_rules(value).map(Arg::Categories),
        ArgType::TagRules => rules::tag_rules(value).map(Arg::Tags),
    }
}

fn invalid(text: String) -> QueryError {
    QueryError::InvalidFunctionParameters(text)
}

/// A String, else upstream's (oddly worded) error.
pub fn to_string(value: DataType) -> Result<String> {
    match value {
        DataType::String(text) => Ok(text),
        other => Err(invalid(format!(
            "Expected function parameter of type String, list contains {other:?}"
        ))),
    }
}

fn to_number(value: DataType) -> Result<f64> {
    match value {
        DataType::Number(number) => Ok(number),
        other => Err(invalid(format!(
            "Expected function parameter of type Number, got {other:?}"
        ))),
    }
}

/// A List, else the List error.
pub fn to_list(value: DataType) -> Result<Vec<DataType>> {
    match value {
        DataType::List(items) => Ok(items),
        other => Err(invalid(format!(
            "Expected function parameter of type List, got {other:?}"
        ))),
    }
}

/// A borrowed List of Events, with the same checks and messages as [`to_events`].
fn borrow_events(value: &DataType) -> Result<Vec<&aw_models::SharedEvent>> {
    let DataType::List(items) = value else {
        return Err(invalid(format!(
            "Expected function parameter of type List, got {value:?}"
        )));
    };
    items
        .iter()
        .map(|item| match item {
            DataType::Event(event) => Ok(event),
            other => Err(invalid(format!(
                "Expected function parameter of type List of Events, list contains {other:?}"
            ))),
        })
        .collect()
}

/// A List of Events; the events are moved out of their wrappers, not copied.
fn to_events(value: DataType) -> Result<Vec<aw_models::SharedEvent>> {
    to_list(value)?
        .into_iter()
        .map(|item| match item {
            DataType::Event(event) => Ok(event),
            other => Err(invalid(format!(
                "Expected function parameter of type List of Events, list contains {other:?}"
            ))),
        })
        .collect()
}

/// A value of a `filter_keyvals` list as JSON. Numbers become JSON floats. NaN and
/// infinities, which upstream panics on, are refused with the same message as Dicts.
fn to_json(value: DataType) -> Result<serde_json::Value> {
    let unsupported = |value: &DataType| {
        invalid(format!(
            "Query2 support for parsing values is limited, does not support parsing {value:?}"
        ))
    };
    match value {
        DataType::None => Ok(serde_json::Value::Null),
        DataType::Bool(flag) => Ok(serde_json::Value::Bool(flag)),
        DataType::Number(number) => serde_json::Number::from_f64(number)
            .map(serde_json::Value::Number)
            .ok_or_else(|| unsupported(&value)),
        DataType::String(text) => Ok(serde_json::Value::String(text)),
        DataType::List(items) => items
            .into_iter()
            .map(to_json)
            .collect::<Result<_>>()
            .map(serde_json::Value::Array),
        other => Err(unsupported(&other)),
    }
}
