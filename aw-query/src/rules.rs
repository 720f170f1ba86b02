//! Category and tag rules: validation with upstream's messages (docs/QUERY.md §8) and matching.

use std::rc::Rc;

use aw_models::JsonMap;
use fancy_regex::Regex;
use regex::RegexSet;

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

/// Rules matched together against one data at a time. The regex rules that try every
/// value and whose pattern is plain text (letters, digits, `|`, `.` and a few
/// punctuation marks, optionally after `(?i)`) go through one [`RegexSet`] scan per
/// string value instead of one search per rule; the others match as [`Rule::matches`].
///
/// What must stay true: [`RuleMatches::rule`] answers what [`Rule::matches`] answers.
/// fancy-regex runs a pattern without look-around or back-references on the same
/// engine (regex-automata) a `RegexSet` uses, and a plain pattern has none, so both
/// read it alike (a property test compares them on tricky text).
pub struct RuleMatcher<'r> {
    rules: Vec<&'r Rule>,
    /// For each rule, its pattern's index in `set`, if it is in it.
    in_set: Vec<Option<usize>>,
    set: Option<Rc<RegexSet>>,
}

impl<'r> RuleMatcher<'r> {
    /// A matcher for `rules`, in order.
    pub fn new(rules: impl IntoIterator<Item = &'r Rule>) -> RuleMatcher<'r> {
        let rules: Vec<&Rule> = rules.into_iter().collect();
        let mut patterns = Vec::new();
        let in_set = rules
            .iter()
            .map(|rule| match rule {
                Rule::Regex {
                    regex,
                    select_keys: None,
                } if is_plain(regex.as_str()) => {
                    patterns.push(regex.as_str());
                    Some(patterns.len() - 1)
                }
                _ => None,
            })
            .collect();
        // Fewer than two gain nothing over searching alone.
        let set = (patterns.len() >= 2)
            .then(|| regex_cache::compile_set(&patterns))
            .flatten();
        let in_set = match set {
            Some(_) => in_set,
            None => vec![None; rules.len()],
        };
        RuleMatcher { rules, in_set, set }
    }

    /// The rules' answers for `data`.
    pub fn matches<'m>(&'m self, data: &'m JsonMap) -> RuleMatches<'m> {
        let mut set_hits = Vec::new();
        if let Some(set) = &self.set {
            set_hits = vec![false; set.len()];
            for text in data.values().filter_map(serde_json::Value::as_str) {
                for hit in set.matches(text).iter() {
                    if let Some(slot) = set_hits.get_mut(hit) {
                        *slot = true;
                    }
                }
            }
        }
        RuleMatches {
            matcher: self,
            data,
            set_hits,
        }
    }
}

/// Which rules of a [`RuleMatcher`] match one data.
pub struct RuleMatches<'m> {
    matcher: &'m RuleMatcher<'m>,
    data: &'m JsonMap,
    set_hits: Vec<bool>,
}

impl RuleMatches<'_> {
    /// Whether rule `idx` (in the matcher's order) matches.
    pub fn rule(&self, idx: usize) -> bool {
        match self.matcher.in_set.get(idx).copied().flatten() {
            Some(hit) => self.set_hits.get(hit).copied().unwrap_or(false),
            None => self
                .matcher
                .rules
                .get(idx)
                .is_some_and(|rule| rule.matches(self.data)),
        }
    }
}

/// A pattern of literal text, alternatives and `.` only, optionally case-insensitive.
fn is_plain(pattern: &str) -> bool {
    let body = pattern.strip_prefix("(?i)").unwrap_or(pattern);
    body.chars()
        .all(|c| c.is_ascii_alphanumeric() || " |.-_/:,'&@".contains(c))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn rule(pattern: &str, select_keys: Option<Vec<String>>) -> Rule {
        Rule::Regex {
            regex: regex_cache::compile(pattern).unwrap(),
            select_keys,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Rules matched in one set scan answer as each rule alone does, also for text
        /// whose case folding is tricky (ſ, the Kelvin sign, ß, dotted İ, newlines).
        #[test]
        fn a_set_scan_answers_as_each_rule_alone(
            patterns in prop::collection::vec(("(\\(\\?i\\))?", "[aAsSkK.| :-]{0,6}"), 1..5),
            keyed in prop::collection::vec(any::<bool>(), 5),
            texts in prop::collection::vec("[aAsSkKſKßİi\\n. |-]{0,8}", 1..3),
        ) {
            let rules: Vec<Rule> = patterns
                .iter()
                .zip(&keyed)
                .map(|((flag, body), &keyed)| {
                    rule(&format!("{flag}{body}"), keyed.then(|| vec!["k0".to_string()]))
                })
                .collect();
            let mut data = JsonMap::new();
            for (idx, text) in texts.iter().enumerate() {
                data.insert(format!("k{idx}"), json!(text));
            }
            data.insert("n".to_string(), json!(1));
            let matcher = RuleMatcher::new(&rules);
            let matches = matcher.matches(&data);
            for (idx, rule) in rules.iter().enumerate() {
                prop_assert_eq!(matches.rule(idx), rule.matches(&data), "{:?} {:?}", patterns, texts);
            }
        }
    }

    #[test]
    fn plain_patterns_share_a_set_and_others_match_alone() {
        let rules = [
            rule("vim|emacs", None),
            rule("(?i)youtube", None),
            rule("(?=x)x", None),
            rule("git", Some(vec!["title".to_string()])),
            rule("a\\d", None),
        ];
        let matcher = RuleMatcher::new(&rules);
        assert!(matcher.set.is_some());
        assert_eq!(matcher.in_set, vec![Some(0), Some(1), None, None, None]);
        let data = JsonMap::from_iter([
            ("app".to_string(), json!("YouTube - a1")),
            ("title".to_string(), json!("gitx")),
        ]);
        let matches = matcher.matches(&data);
        let answers: Vec<bool> = (0..rules.len()).map(|idx| matches.rule(idx)).collect();
        assert_eq!(answers, vec![false, true, true, true, true]);
    }
}
