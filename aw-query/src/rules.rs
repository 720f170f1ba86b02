//! Category and tag rules: validation with upstream's messages (docs/QUERY.md §8) and matching.

use std::rc::Rc;

use aw_models::JsonMap;
use fancy_regex::Regex;

use crate::error::{QueryError, Result};
use crate::functions::convert::{to_list, to_string};
use crate::regex_cache;
use crate::value::DataType;

/// A compiled rule.
pub enum Rule {
    /// `{"type": "none"}`: never matches.
    None,
    /// `{"type": "regex", …}`.
    Regex {
        /// The compiled pattern (with `(?i)` when `ignore_case`).
        regex: Rc<Regex>,
        /// The data keys to try; `None` means every top-level value.
        select_keys: Option<Vec<String>>,
    },
}

impl Rule {
    /// Whether the rule matches an event with `data`: some tried value is a string
    /// with a regex match. A match error (backtrack limit) counts as no match.
    pub fn matches(&self, data: &JsonMap) -> bool {
        let Rule::Regex { regex, select_keys } = self else {
            return false;
        };
        let is_match = |value: &serde_json::Value| {
            value
                .as_str()
                .is_some_and(|text| regex.is_match(text).unwrap_or(false))
        };
        match select_keys {
            Some(keys) => keys.iter().filter_map(|key| data.get(key)).any(is_match),
            None => data.values().any(is_match),
        }
    }
}

fn invalid(text: impl Into<String>) -> QueryError {
    QueryError::InvalidFunctionParameters(text.into())
}

/// `categorize`'s `[[name, rule], …]`, the name a list of strings.
pub fn category_rules(value: DataType) -> Result<Vec<(Vec<String>, Rule)>> {
    rule_pairs(value, "category", |name| {
        to_list(name)?.into_iter().map(to_string).collect()
    })
}

/// `tag`'s `[[tag, rule], …]`, the tag a string.
pub fn tag_rules(value: DataType) -> Result<Vec<(String, Rule)>> {
    rule_pairs(value, "tag", to_string)
}

/// The outer list of pairs, checked in upstream's order (§8.2).
fn rule_pairs<N>(
    value: DataType,
    what: &str,
    convert_name: impl Fn(DataType) -> Result<N>,
) -> Result<Vec<(N, Rule)>> {
    let tuple_error = |detail: String| {
        invalid(format!(
            "Expected function parameter of type list of ({what}, rule) tuples, {detail}"
        ))
    };
    let mut pairs = Vec::new();
    for pair in to_list(value)? {
        let DataType::List(items) = pair else {
            return Err(tuple_error(format!("got {pair:?}")));
        };
        if items.len() < 2 {
            if let Some(first) = items.first() {
                convert_name(first.clone())?;
            }
            return Err(tuple_error(format!("list contains {items:?}")));
        }
        let mut items = items.into_iter();
        let (Some(name), Some(rule)) = (items.next(), items.next()) else {
            return Err(tuple_error("list contains []".to_string()));
        };
        pairs.push((convert_name(name)?, parse_rule(rule)?));
    }
    Ok(pairs)
}

/// One rule dict.
fn parse_rule(value: DataType) -> Result<Rule> {
    let DataType::Dict(mut dict) = value else {
        return Err(invalid(format!("Expected rule dict, got {value:?}")));
    };
    let rule_type = match dict.remove("type") {
        None => return Err(invalid("rule does not have a type")),
        Some(DataType::String(rule_type)) => rule_type,
        Some(_) => return Err(invalid("rule type is not a string")),
    };
    match rule_type.as_str() {
        "none" => Ok(Rule::None),
        "regex" => parse_regex_rule(dict),
        other => Err(invalid(format!("Unknown rule type '{other}'"))),
    }
}

fn parse_regex_rule(mut dict: std::collections::BTreeMap<String, DataType>) -> Result<Rule> {
    let pattern = match dict.remove("regex") {
        None => return Err(invalid("regex rule is missing the 'regex' field")),
        Some(DataType::String(pattern)) => pattern,
        Some(_) => return Err(invalid("the regex field of the regex rule is not a string")),
    };
    let ignore_case = match dict.remove("ignore_case") {
        None => false,
        Some(DataType::Bool(flag)) => flag,
        Some(_) => {
            return Err(invalid(
                "the ignore_case field of the regex rule is not a bool",
            ))
        }
    };
    let select_keys = match dict.remove("select_keys") {
        None => None,
        Some(DataType::List(keys)) => Some(
            keys.into_iter()
                .map(|key| match key {
                    DataType::String(key) => Ok(key),
                    _ => Err(invalid(
                        "the select_keys field of the regex rule must contain only strings",
                    )),
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(_) => {
            return Err(invalid(
                "the select_keys field of the regex rule is not a list",
            ))
        }
    };
    let compile_error = |detail: String| {
        QueryError::RegexCompileError(format!(
            "Failed to compile regex string '{pattern}': '{detail}"
        ))
    };
    if select_keys.as_ref().is_some_and(Vec::is_empty) {
        return Err(compile_error(
            "ParseError(0, GeneralParseError(\"select_keys must not be empty\"))".to_string(),
        ));
    }
    let full_pattern = if ignore_case {
        format!("(?i){pattern}")
    } else {
        pattern.clone()
    };
    let regex =
        regex_cache::compile(&full_pattern).map_err(|err| compile_error(format!("{err:?}")))?;
    Ok(Rule::Regex { regex, select_keys })
}
