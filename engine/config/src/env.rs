//! Environment overrides: `RINGWAY_<SECTION>__<KEY>` variables applied to the parsed file tree before it is
//! deserialized.
//!
//! A variable name is split on `__` into key segments (lowercased); a numeric segment addresses an entry of a list
//! of tables. Each value is converted to the type of the default value at that key, found by walking the
//! serialized [`Config::default`] in parallel with the file tree.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use crate::load::kind;
use crate::{Config, ConfigError};

/// The prefix of the environment variables that override configuration keys (matched case-insensitively).
pub const ENV_PREFIX: &str = "RINGWAY_";

/// Variables with the [`ENV_PREFIX`] that are not configuration keys by design and are always ignored by
/// [`load`](crate::load). Variables without `__` after the prefix are ignored too.
pub const IGNORED_ENV_VARS: [&str; 4] = [
    "RINGWAY_DEFAULT_ADMIN_USERNAME",
    "RINGWAY_DEFAULT_ADMIN_PASSWORD",
    "RINGWAY_BIN",
    "RINGWAY_LOG_LEVEL",
];

/// The variables of the process environment whose names start with [`ENV_PREFIX`] (in any case), ready to be
/// passed to [`load`](crate::load).
///
/// # Errors
///
/// [`ConfigError::Env`] if such a variable's name or value is not valid UTF-8.
pub fn process_env() -> Result<Vec<(String, String)>, ConfigError> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let lossy = name.to_string_lossy();
        if !has_prefix(&lossy) {
            continue;
        }
        let var = lossy.into_owned();
        let not_utf8 = |what: &str| ConfigError::Env {
            var: var.clone(),
            message: format!("{what} is not valid UTF-8"),
        };
        let name = name.into_string().map_err(|_| not_utf8("the name"))?;
        let value = value.into_string().map_err(|_| not_utf8("the value"))?;
        vars.push((name, value));
    }
    Ok(vars)
}

/// An override that was applied: the variable and the key path it set, e.g. `sftpd.bindings[1].port`.
#[derive(Debug)]
pub(crate) struct Applied {
    pub(crate) var: String,
    pub(crate) key: String,
}

/// A variable that names a configuration key.
struct Candidate {
    var: String,
    segments: Vec<String>,
    value: String,
}

/// Applies every overriding variable of `env` to `tree`, lower list indices first, and returns what was set.
pub(crate) fn apply(
    tree: &mut Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Applied>, ConfigError> {
    let mut candidates: Vec<Candidate> = env
        .into_iter()
        .filter_map(|(var, value)| {
            let segments = segments(&var)?;
            Some(Candidate {
                var,
                segments,
                value,
            })
        })
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // Sorted so that `…__1__…` is applied before `…__2__…` (a list grows one entry at a time) and so that two
    // spellings of one key end up next to each other.
    candidates
        .sort_by(|a, b| compare_segments(&a.segments, &b.segments).then_with(|| a.var.cmp(&b.var)));
    if let Some(pair) = candidates
        .windows(2)
        .find(|pair| pair[0].segments == pair[1].segments)
    {
        return Err(ConfigError::Env {
            var: pair[1].var.clone(),
            message: format!("sets the same key as {}; remove one of them", pair[0].var),
        });
    }

    let defaults = serde_json::to_value(Config::default()).map_err(|err| {
        ConfigError::invalid(
            ".",
            format!("internal error: the defaults are not serializable: {err}"),
        )
    })?;
    let mut applied = Vec::with_capacity(candidates.len());
    for Candidate {
        var,
        segments,
        value,
    } in candidates
    {
        let mut walk = Walk {
            var: &var,
            key: String::new(),
        };
        walk.set(tree, &defaults, &segments, &value)
            .map_err(|message| ConfigError::Env {
                var: var.clone(),
                message,
            })?;
        let key = walk.key;
        applied.push(Applied { var, key });
    }
    Ok(applied)
}

/// Whether `name` starts with [`ENV_PREFIX`], in any case.
fn has_prefix(name: &str) -> bool {
    name.get(..ENV_PREFIX.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(ENV_PREFIX))
}

/// The lowercased key segments of an overriding variable, `None` for a variable that is not one.
fn segments(var: &str) -> Option<Vec<String>> {
    if !has_prefix(var)
        || IGNORED_ENV_VARS
            .iter()
            .any(|ignored| ignored.eq_ignore_ascii_case(var))
    {
        return None;
    }
    let rest = var.get(ENV_PREFIX.len()..)?.to_ascii_lowercase();
    rest.contains("__")
        .then(|| rest.split("__").map(str::to_owned).collect())
}

/// Orders key segments, numerically where both are numbers.
fn compare_segments(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// One variable being applied; `key` grows with the reference-style path walked so far.
struct Walk<'a> {
    var: &'a str,
    key: String,
}

impl Walk<'_> {
    /// Sets `segments` below `node`, whose default is `default`, to the converted `raw` value.
    fn set(
        &mut self,
        node: &mut Value,
        default: &Value,
        segments: &[String],
        raw: &str,
    ) -> Result<(), String> {
        let Some((segment, rest)) = segments.split_first() else {
            *node = self.convert(raw, default)?;
            return Ok(());
        };
        if segment.is_empty() {
            return Err("empty key name between `__` separators".to_owned());
        }
        match default {
            Value::Object(defaults) => {
                let Some(child_default) = defaults.get(segment) else {
                    let names: Vec<&str> = defaults.keys().map(String::as_str).collect();
                    let place = if self.key.is_empty() {
                        "sections".to_owned()
                    } else {
                        format!("keys of `{}`", self.key)
                    };
                    return Err(format!(
                        "unknown key `{segment}`, the {place} are: {}",
                        names.join(", ")
                    ));
                };
                let Value::Object(map) = node else {
                    return Err(format!(
                        "`{}` in the config file is {}, not a table",
                        self.key,
                        kind(node)
                    ));
                };
                self.push(segment);
                let child = map
                    .entry(segment.clone())
                    .or_insert_with(|| match child_default {
                        // An absent list stands for its default, so `__0__` addresses the default entry.
                        Value::Array(_) => child_default.clone(),
                        _ => Value::Object(Map::new()),
                    });
                self.set(child, child_default, rest, raw)
            }
            Value::Array(items) => {
                let Some(template @ Value::Object(_)) = items.first() else {
                    return Err(format!(
                        "`{}` is a list of values, set it as a whole with a comma-separated value",
                        self.key
                    ));
                };
                let Ok(index) = segment.parse::<usize>() else {
                    return Err(format!(
                        "`{}` is a list, address its entries by number, e.g. `__0__`",
                        self.key
                    ));
                };
                let Value::Array(list) = node else {
                    return Err(format!(
                        "`{}` in the config file is {}, not a list",
                        self.key,
                        kind(node)
                    ));
                };
                let len = list.len();
                if index > len {
                    return Err(format!(
                        "index {index} is past the end of `{}`, which has {len} entries; use index {len} to add one",
                        self.key
                    ));
                }
                if index == len {
                    // Missing keys of a new entry take the struct's defaults when deserialized.
                    list.push(Value::Object(Map::new()));
                }
                self.key.push_str(&format!("[{index}]"));
                self.set(&mut list[index], template, rest, raw)
            }
            _ => Err(format!(
                "`{}` is a single value, it has no key `{segment}`",
                self.key
            )),
        }
    }

    /// Appends a key name to the path.
    fn push(&mut self, name: &str) {
        if !self.key.is_empty() {
            self.key.push('.');
        }
        self.key.push_str(name);
    }

    /// Converts `raw` to the type of `default`.
    fn convert(&self, raw: &str, default: &Value) -> Result<Value, String> {
        let key = &self.key;
        match default {
            Value::Bool(_) => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(format!(
                    "`{key}` is a boolean, expected true, false, 1 or 0, got {raw:?}"
                )),
            },
            Value::Number(n) => parse_number(raw.trim(), n.is_f64())
                .map(Value::Number)
                .ok_or_else(|| format!("`{key}` is a number, got {raw:?}")),
            Value::Null | Value::String(_) => Ok(Value::String(raw.to_owned())),
            Value::Array(items) => match items.first() {
                Some(Value::Object(map)) => Err(format!(
                    "`{key}` is a list of tables and cannot be set from one variable; set each entry's keys, e.g. {}__0__{}",
                    self.var,
                    first_key(map)
                )),
                template => {
                    let template = template.unwrap_or(&Value::Null);
                    raw.split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(|item| self.convert(item, template))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Value::Array)
                }
            },
            Value::Object(map) => Err(format!(
                "`{key}` is a table; set its keys individually, e.g. {}__{}",
                self.var,
                first_key(map)
            )),
        }
    }
}

/// Parses an integer (or, when `float`, a finite decimal number).
fn parse_number(text: &str, float: bool) -> Option<Number> {
    if float {
        return text.parse::<f64>().ok().and_then(Number::from_f64);
    }
    text.parse::<i64>()
        .map(Number::from)
        .or_else(|_| text.parse::<u64>().map(Number::from))
        .ok()
}

/// The first key of a table in uppercase, for examples in messages.
fn first_key(map: &Map<String, Value>) -> String {
    map.keys()
        .next()
        .map(|k| k.to_ascii_uppercase())
        .unwrap_or_default()
}
