//! [`Category`] and [`CategoryRule`]: the `categorize` rules of docs/QUERY.md §8, and their
//! text exactly as aw-webui writes it into a query.

use serde::Deserialize;
use serde_json::Value;

/// How a category matches events (docs/QUERY.md §8.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CategoryRule {
    /// Never matches; used for parent categories such as `["Media"]`.
    None,
    /// Matches when `regex` finds a match in any of the event's data values.
    Regex {
        /// The pattern (Rust `regex` syntax).
        regex: String,
        /// Case-insensitive match; `None` leaves the key out, as aw-webui does.
        #[serde(default)]
        ignore_case: Option<bool>,
        /// Only look at these data keys; `None` leaves the key out.
        #[serde(default)]
        select_keys: Option<Vec<String>>,
    },
}

/// A named rule: `name` is the path of the category, e.g. `["Work", "Programming"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The category path, from the top level down.
    pub name: Vec<String>,
    /// How it matches.
    pub rule: CategoryRule,
}

impl Category {
    /// A regex category without `ignore_case`.
    pub fn regex(name: &[&str], regex: &str) -> Category {
        Category::with_rule(
            name,
            CategoryRule::Regex {
                regex: regex.to_string(),
                ignore_case: None,
                select_keys: None,
            },
        )
    }

    /// A case-insensitive regex category (`"ignore_case": true`).
    pub fn regex_ignore_case(name: &[&str], regex: &str) -> Category {
        Category::with_rule(
            name,
            CategoryRule::Regex {
                regex: regex.to_string(),
                ignore_case: Some(true),
                select_keys: None,
            },
        )
    }

    /// A category that never matches by itself (a parent such as `["Media"]`).
    pub fn none(name: &[&str]) -> Category {
        Category::with_rule(name, CategoryRule::None)
    }

    fn with_rule(name: &[&str], rule: CategoryRule) -> Category {
        Category {
            name: name.iter().map(|part| part.to_string()).collect(),
            rule,
        }
    }
}

/// aw-webui's default categories, in its order (the ones docs/QUERY.md §9.1 sends).
pub fn default_categories() -> Vec<Category> {
    vec![
        Category::regex(&["Work"], "Google Docs|libreoffice|ReText"),
        Category::regex(
            &["Work", "Programming"],
            "GitHub|Stack Overflow|BitBucket|Gitlab|vim|Spyder|kate|Ghidra|Scite",
        ),
        Category::regex_ignore_case(&["Work", "Programming", "ActivityWatch"], "ActivityWatch|aw-"),
        Category::regex(&["Work", "Image"], "GIMP|Inkscape"),
        Category::regex(&["Work", "Video"], "Kdenlive"),
        Category::regex(&["Work", "Audio"], "Audacity"),
        Category::regex(&["Work", "3D"], "Blender"),
        Category::none(&["Media"]),
        Category::regex(&["Media", "Games"], "Minecraft|RimWorld"),
        Category::regex(&["Media", "Video"], "YouTube|Plex|VLC"),
        Category::regex_ignore_case(
            &["Media", "Social Media"],
            "reddit|Facebook|Twitter|Instagram|devRant",
        ),
        Category::regex_ignore_case(&["Media", "Music"], "Spotify|Deezer"),
        Category::none(&["Comms"]),
        Category::regex(
            &["Comms", "IM"],
            "Messenger|Telegram|Signal|WhatsApp|Rambox|Slack|Riot|Element|Discord|Nheko|NeoChat|Mattermost",
        ),
        Category::regex(&["Comms", "Email"], "Gmail|Thunderbird|mutt|alpine"),
    ]
}

/// The categories stored by aw-webui in the `classes` setting
/// (`[{"name": [...], "rule": {"type": …}, …}, …]`), as its `classes_for_query` picks
/// them: entries whose rule type is `null`, or that do not parse, are skipped.
pub fn categories_from_settings(classes: &Value) -> Vec<Category> {
    let Some(entries) = classes.as_array() else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let name = Vec::<String>::deserialize(entry.get("name")?).ok()?;
            let rule = CategoryRule::deserialize(entry.get("rule")?).ok()?;
            Some(Category { name, rule })
        })
        .collect()
}

/// The rules as aw-webui writes them into `categorize(events, …)`:
/// `JSON.stringify(categories)` with every `\\` then replaced by `\`, so that a regex
/// typed as `\w` reaches the server as `\w` (the query language has no `\\` escape).
pub(crate) fn categories_to_query_text(categories: &[Category]) -> String {
    let pairs: Vec<String> = categories
        .iter()
        .map(|category| {
            let name = Value::from(category.name.clone());
            format!("[{name},{}]", rule_json(&category.rule))
        })
        .collect();
    format!("[{}]", pairs.join(",")).replace("\\\\", "\\")
}

/// The rule object with keys in aw-webui's order (`type`, `regex`, `ignore_case`,
/// `select_keys`). Written by hand because `serde_json::Value` would sort the keys.
fn rule_json(rule: &CategoryRule) -> String {
    match rule {
        CategoryRule::None => r#"{"type":"none"}"#.to_string(),
        CategoryRule::Regex {
            regex,
            ignore_case,
            select_keys,
        } => {
            let mut text = format!(
                r#"{{"type":"regex","regex":{}"#,
                Value::from(regex.as_str())
            );
            if let Some(ignore_case) = ignore_case {
                text.push_str(&format!(r#","ignore_case":{ignore_case}"#));
            }
            if let Some(select_keys) = select_keys {
                text.push_str(&format!(
                    r#","select_keys":{}"#,
                    Value::from(select_keys.clone())
                ));
            }
            text.push('}');
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_written_like_json_stringify() {
        let categories = vec![
            Category::regex(&["Work"], "a\"b"),
            Category::regex_ignore_case(&["Work", "Pro"], r"\w+;x"),
            Category::none(&["Media"]),
            Category {
                name: vec!["Sel".into()],
                rule: CategoryRule::Regex {
                    regex: "t".into(),
                    ignore_case: Some(false),
                    select_keys: Some(vec!["title".into()]),
                },
            },
        ];
        assert_eq!(
            categories_to_query_text(&categories),
            r#"[[["Work"],{"type":"regex","regex":"a\"b"}],[["Work","Pro"],{"type":"regex","regex":"\w+;x","ignore_case":true}],[["Media"],{"type":"none"}],[["Sel"],{"type":"regex","regex":"t","ignore_case":false,"select_keys":["title"]}]]"#
        );
        assert_eq!(categories_to_query_text(&[]), "[]");
    }

    #[test]
    fn settings_classes_are_read_as_aw_webui_does() {
        let classes = serde_json::json!([
            {"id": 0, "name": ["Work"], "rule": {"type": "regex", "regex": "vim", "ignore_case": true}, "data": {"color": "#0F0"}},
            {"id": 1, "name": ["Media"], "rule": {"type": "none"}},
            {"id": 2, "name": ["Unset"], "rule": {"type": null}},
            {"id": 3, "name": "not a list", "rule": {"type": "none"}},
        ]);
        assert_eq!(
            categories_from_settings(&classes),
            vec![
                Category::regex_ignore_case(&["Work"], "vim"),
                Category::none(&["Media"]),
            ]
        );
        assert!(categories_from_settings(&Value::Null).is_empty());
    }
}
