//! The JSONPath subset of the definition and the input/output processing built on it: paths
//! (`$`, `$.a.b`, `$['a']`, `$.a[0]`, and `$$...` into the context object), payload templates
//! (`Parameters`, `ItemSelector`, `ResultSelector`: `"key.$": "<path>"`) and `ResultPath`.
//!
//! Filters, wildcards, slices and intrinsic functions (`States.Format(...)`) are refused when
//! the definition is checked, so they never reach evaluation.

use serde_json::{Map, Value};

use super::Failure;

/// Which document a path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
    /// `$`: the state's input (or the task's result, for `ResultSelector`).
    Data,
    /// `$$`: the context object.
    Context,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Field(String),
    Index(usize),
}

/// A parsed path: its root and its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Path {
    pub root: Root,
    pub steps: Vec<Step>,
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let (root, mut rest) = if let Some(rest) = text.strip_prefix("$$") {
            (Root::Context, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (Root::Data, rest)
        } else {
            return Err(format!("{text:?} is not a path (it must start with $)"));
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            let (step, tail) = parse_step(rest).ok_or_else(|| {
                format!(
                    "{text:?}: only .name, ['name'] and [index] steps are supported, not {rest:?}"
                )
            })?;
            steps.push(step);
            rest = tail;
        }
        Ok(Path { root, steps })
    }

    /// The value the path names in `data` (or `context` for `$$` paths); `None` when absent.
    pub fn get<'v>(&self, data: &'v Value, context: &'v Value) -> Option<&'v Value> {
        let start = match self.root {
            Root::Data => data,
            Root::Context => context,
        };
        self.steps.iter().try_fold(start, |value, step| match step {
            Step::Field(name) => value.as_object()?.get(name),
            Step::Index(index) => value.as_array()?.get(*index),
        })
    }

    /// The field names of the steps, or `None` if a step is an index.
    pub fn fields(&self) -> Option<Vec<&str>> {
        self.steps
            .iter()
            .map(|step| match step {
                Step::Field(name) => Some(name.as_str()),
                Step::Index(_) => None,
            })
            .collect()
    }
}

fn parse_step(rest: &str) -> Option<(Step, &str)> {
    if let Some(tail) = rest.strip_prefix('.') {
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(tail.len());
        return (end > 0).then(|| (Step::Field(tail[..end].to_string()), &tail[end..]));
    }
    if let Some(tail) = rest.strip_prefix("['") {
        let end = tail.find("']")?;
        return Some((Step::Field(tail[..end].to_string()), &tail[end + 2..]));
    }
    let tail = rest.strip_prefix('[')?;
    let end = tail.find(']')?;
    let index = tail[..end].parse().ok()?;
    Some((Step::Index(index), &tail[end + 1..]))
}

/// The value `path` (a checked path) names, or the `States.Runtime` failure Step Functions
/// reports when it names nothing.
pub(super) fn select(
    path: &str,
    data: &Value,
    context: &Value,
    field: &str,
) -> Result<Value, Failure> {
    let parsed = Path::parse(path).map_err(Failure::runtime)?;
    parsed.get(data, context).cloned().ok_or_else(|| {
        Failure::runtime(format!(
            "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{data}'"
        ))
    })
}

/// `InputPath` or `OutputPath`: absent keeps the data, `null` makes it `{}`.
pub(super) fn filter(spec: Option<&Value>, data: Value, field: &str) -> Result<Value, Failure> {
    match spec {
        None => Ok(data),
        Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(Value::String(path)) => select(path, &data, &Value::Null, field),
        Some(other) => Err(Failure::runtime(format!("{field} {other} is not a path"))),
    }
}

/// A payload template applied to `data`: every `"key.$": "<path>"` becomes `"key": <value>`,
/// however deeply nested; everything else is copied.
pub(super) fn apply_template(
    template: &Value,
    data: &Value,
    context: &Value,
) -> Result<Value, Failure> {
    match template {
        Value::Object(fields) => {
            let mut out = Map::new();
            for (key, value) in fields {
                match key.strip_suffix(".$") {
                    Some(name) => {
                        let path = value.as_str().ok_or_else(|| {
                            Failure::runtime(format!("the value of {key} must be a path"))
                        })?;
                        out.insert(name.to_string(), select(path, data, context, key)?);
                    }
                    None => {
                        out.insert(key.clone(), apply_template(value, data, context)?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| apply_template(item, data, context))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// `ResultPath`: where `result` goes in the state's raw input. Absent (`$`) replaces the input,
/// `null` discards the result, `$.a.b` sets that field (creating `a` if missing).
pub(super) fn place_result(
    spec: Option<&Value>,
    raw_input: &Value,
    result: Value,
) -> Result<Value, Failure> {
    let path = match spec {
        None => return Ok(result),
        Some(Value::Null) => return Ok(raw_input.clone()),
        Some(Value::String(path)) => path,
        Some(other) => {
            return Err(Failure::runtime(format!(
                "ResultPath {other} is not a path"
            )));
        }
    };
    let parsed = Path::parse(path).map_err(Failure::runtime)?;
    let fields = parsed
        .fields()
        .ok_or_else(|| Failure::runtime(format!("ResultPath {path} has an index step")))?;
    let Some((last, parents)) = fields.split_last() else {
        return Ok(result);
    };
    let mismatch = || {
        Failure::new(
            "States.ResultPathMatchFailure",
            format!("Unable to apply ResultPath '{path}' to input '{raw_input}'"),
        )
    };
    let mut output = raw_input.clone();
    let mut target = output.as_object_mut().ok_or_else(mismatch)?;
    for name in parents {
        target = target
            .entry(name.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(mismatch)?;
    }
    target.insert(last.to_string(), result);
    Ok(output)
}
