//! The table of variables in `audit_core::env::table` is the one truth: the README's
//! configuration table is rendered from it, the template sets only variables it lists (for the
//! functions it names, with its defaults), and the code names no variable outside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit_core::env::table::{self, VARS};
use audit_core::env::{DefaultValue, Function};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[test]
fn the_readme_table_is_the_code_table() {
    let readme = read("README.md");
    let header = "| Variable | Functions | Default | Meaning |";
    let start = readme
        .find(header)
        .expect("the README has a configuration table");
    let shown: String = readme[start..]
        .lines()
        .take_while(|line| line.starts_with('|'))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        shown == table::markdown(),
        "README.md's configuration table differs from audit_core::env::table; paste this:\n{}",
        table::markdown()
    );
}

#[test]
fn every_variable_the_readme_names_exists() {
    for name in variable_names(&read("README.md")) {
        assert!(
            table::find(&name).is_some(),
            "README.md names {name}, which no function reads"
        );
    }
}

#[test]
fn the_code_names_no_variable_outside_the_table() {
    for dir in ["shared/core/src", "shared/lambda/src", "functions"] {
        for file in rust_files(&repo().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in variable_names(&text) {
                assert!(
                    table::find(&name).is_some(),
                    "{} names {name}; add it to audit_core::env::table",
                    file.display()
                );
            }
        }
    }
}

/// A function's environment block in the template, and the template's parameter defaults.
struct Template {
    environments: BTreeMap<String, Vec<(String, String)>>,
    parameter_defaults: BTreeMap<String, String>,
}

#[test]
fn the_template_sets_what_the_table_says() {
    let template = parse_template(&read("infra/template.yaml"));
    for function in [Function::Subscription, Function::Sync, Function::Report] {
        let binary = function.binary();
        let set = template
            .environments
            .get(binary)
            .unwrap_or_else(|| panic!("the template has no environment for {binary}"));
        for (name, value) in set {
            let var = table::find(name).unwrap_or_else(|| {
                panic!("the template sets {name} for {binary}; the table does not know it")
            });
            assert!(
                var.functions.contains(&function),
                "the template sets {name} for {binary}, which does not read it"
            );
            let literal = match value.strip_prefix("!Ref ") {
                Some(parameter) => template.parameter_defaults.get(parameter).cloned(),
                None => Some(value.clone()),
            };
            if let (Some(literal), DefaultValue::Value(default)) = (literal, var.default)
                && !literal.is_empty()
            {
                assert_eq!(literal, default, "{binary}: {name}'s default");
            }
        }
        for var in VARS.iter().filter(|v| v.functions.contains(&function)) {
            if var.default == DefaultValue::Required {
                assert!(
                    set.iter().any(|(name, _)| name == var.name),
                    "the template does not set {} for {binary}, which requires it",
                    var.name
                );
            }
        }
    }
}

/// Reads just enough of the template: each function's `Binary:` and `Environment.Variables`,
/// and each parameter's `Default:`.
fn parse_template(text: &str) -> Template {
    let mut environments: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut parameter_defaults = BTreeMap::new();
    let (mut section, mut resource, mut binary) = (String::new(), String::new(), None::<String>);
    let mut variables_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent == 0 {
            section = trimmed.trim_end_matches(':').to_string();
            continue;
        }
        if indent == 2 {
            resource = trimmed.trim_end_matches(':').to_string();
            (binary, variables_indent) = (None, None);
            continue;
        }
        let (key, value) = trimmed.split_once(':').unwrap_or((trimmed, ""));
        let value = value.trim().trim_matches('"').to_string();
        if section == "Parameters" && key == "Default" {
            parameter_defaults.insert(resource.clone(), value);
        } else if key == "Binary" {
            binary = Some(value);
        } else if key == "Variables" {
            variables_indent = Some(indent);
        } else if let (Some(at), Some(binary)) = (variables_indent, &binary) {
            if indent <= at {
                variables_indent = None;
            } else {
                let entry = (key.to_string(), value);
                environments.entry(binary.clone()).or_default().push(entry);
            }
        }
    }
    Template {
        environments,
        parameter_defaults,
    }
}

fn variable_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("AUDIT_LOGS_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        // `AUDIT_LOGS_...` in prose stands for any of them.
        let name = tail[..end].trim_end_matches('_');
        if name.len() > "AUDIT_LOGS_".len() {
            names.push(name.to_string());
        }
        rest = &tail[end..];
    }
    names
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
