//! The template's state machine definition, as `scripts/tables.py state-machine` prints it, and
//! its `${Name}` placeholders (CloudFormation's `DefinitionSubstitutions`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::{repo_root, venv_tool};

/// The template's one state machine.
#[derive(Debug, Clone)]
pub struct TemplateStateMachine {
    /// Its logical id, e.g. `SyncRoundStateMachine`.
    pub logical_id: String,
    /// Its `Definition`, placeholders unsubstituted.
    pub definition: Value,
    /// The names its `DefinitionSubstitutions` give a value.
    pub substitutions: BTreeSet<String>,
}

/// Reads the definition from `infra/template.yaml` through `scripts/tables.py state-machine`.
pub fn template_state_machine() -> TemplateStateMachine {
    let output = std::process::Command::new(venv_tool("python"))
        .arg(repo_root().join("scripts/tables.py"))
        .arg("state-machine")
        .output()
        .expect("scripts/tables.py runs");
    assert!(
        output.status.success(),
        "scripts/tables.py state-machine failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value =
        serde_json::from_slice(&output.stdout).expect("tables.py state-machine prints JSON");
    let substitutions = printed["substitutions"]
        .as_array()
        .expect("substitutions is a list")
        .iter()
        .map(|name| name.as_str().expect("a substitution name").to_string())
        .collect();
    TemplateStateMachine {
        logical_id: printed["logical_id"]
            .as_str()
            .expect("logical_id")
            .to_string(),
        definition: printed["definition"].clone(),
        substitutions,
    }
}

/// The names of the `${Name}` placeholders in every string of `definition`.
pub fn placeholders(definition: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    visit_strings(definition, &mut |text| {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let tail = &rest[start + 2..];
            let Some(end) = tail.find('}') else { break };
            found.insert(tail[..end].to_string());
            rest = &tail[end + 1..];
        }
    });
    found
}

/// `definition` with each `${Name}` replaced by `values[Name]`, as CloudFormation substitutes
/// it; a placeholder without a value is an error.
pub fn substitute(definition: &Value, values: &BTreeMap<&str, &str>) -> Result<Value, String> {
    let missing: Vec<String> = placeholders(definition)
        .into_iter()
        .filter(|name| !values.contains_key(name.as_str()))
        .collect();
    if !missing.is_empty() {
        return Err(format!("no value for the placeholders {missing:?}"));
    }
    Ok(map_strings(definition, &|text| {
        values.iter().fold(text.to_string(), |text, (name, value)| {
            text.replace(&format!("${{{name}}}"), value)
        })
    }))
}

fn visit_strings(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter().for_each(|item| visit_strings(item, visit)),
        Value::Object(fields) => fields.values().for_each(|item| visit_strings(item, visit)),
        _ => {}
    }
}

fn map_strings(value: &Value, map: &impl Fn(&str) -> String) -> Value {
    match value {
        Value::String(text) => Value::String(map(text)),
        Value::Array(items) => items.iter().map(|item| map_strings(item, map)).collect(),
        Value::Object(fields) => fields
            .iter()
            .map(|(key, item)| (key.clone(), map_strings(item, map)))
            .collect(),
        other => other.clone(),
    }
}
