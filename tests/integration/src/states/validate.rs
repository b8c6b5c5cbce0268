//! The definition checked before anything runs: every state, field, path and transition must
//! be one the interpreter implements, so a definition that grows past it fails its tests with
//! the reason, instead of running with part of it ignored. The checks also cover the rules of
//! the Amazon States Language the interpreter relies on (targets exist, `States.ALL` alone and
//! last, one of `Next`/`End`).

use std::collections::BTreeSet;
use std::fmt::Display;

use serde_json::{Map, Value};

use super::path::{Path, Root, Step};

/// The one task resource: the optimized Lambda integration, request-response.
pub(super) const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// Choice comparison operators and the JSON type of their operand.
const CHOICE_OPERATORS: &[(&str, Operand)] = &[
    ("IsPresent", Operand::Bool),
    ("IsNull", Operand::Bool),
    ("IsNumeric", Operand::Bool),
    ("IsString", Operand::Bool),
    ("IsBoolean", Operand::Bool),
    ("BooleanEquals", Operand::Bool),
    ("StringEquals", Operand::String),
    ("NumericEquals", Operand::Number),
    ("NumericLessThan", Operand::Number),
    ("NumericLessThanEquals", Operand::Number),
    ("NumericGreaterThan", Operand::Number),
    ("NumericGreaterThanEquals", Operand::Number),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    Bool,
    String,
    Number,
}

/// Every problem of `definition`, one a line (`/States/X/Field: what`), or `Ok`.
pub fn check(definition: &Value) -> Result<(), String> {
    let mut checker = Checker::default();
    checker.placeholders(definition, "");
    match definition.as_object() {
        Some(top) => {
            let allowed = [
                "Comment",
                "StartAt",
                "States",
                "TimeoutSeconds",
                "QueryLanguage",
                "Version",
            ];
            checker.fields(top, "", &allowed);
            checker.query_language(top, "");
            if let Some(timeout) = top.get("TimeoutSeconds") {
                checker.positive_integer(timeout, "/TimeoutSeconds");
            }
            checker.machine(top, "");
        }
        None => checker.problem("", "the definition is not an object"),
    }
    if checker.problems.is_empty() {
        Ok(())
    } else {
        Err(checker.problems.join("\n"))
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<String>,
}

impl Checker {
    fn problem(&mut self, at: &str, what: impl Display) {
        let at = if at.is_empty() { "/" } else { at };
        self.problems.push(format!("{at}: {what}"));
    }

    fn fields(&mut self, object: &Map<String, Value>, at: &str, allowed: &[&str]) {
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.problem(at, format!("field {key} is not supported"));
            }
        }
    }

    /// A `${Name}` left in a string: the definition was not substituted.
    fn placeholders(&mut self, value: &Value, at: &str) {
        match value {
            Value::String(text) if text.contains("${") => self.problem(
                at,
                format!(
                    "{text:?} holds an unsubstituted placeholder (substitute the definition first)"
                ),
            ),
            Value::Object(fields) => {
                for (key, item) in fields {
                    self.placeholders(item, &format!("{at}/{key}"));
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.placeholders(item, &format!("{at}/{index}"));
                }
            }
            _ => {}
        }
    }

    fn query_language(&mut self, object: &Map<String, Value>, at: &str) {
        if let Some(language) = object.get("QueryLanguage")
            && language != "JSONPath"
        {
            self.problem(
                at,
                format!("QueryLanguage {language} is not supported (JSONPath only)"),
            );
        }
    }

    fn positive_integer(&mut self, value: &Value, at: &str) {
        if value.as_u64().is_none_or(|n| n == 0) {
            self.problem(at, format!("{value} is not a positive integer"));
        }
    }

    fn non_negative_integer(&mut self, value: &Value, at: &str) {
        if value.as_u64().is_none() {
            self.problem(at, format!("{value} is not a non-negative integer"));
        }
    }

    /// A state machine or a Map's item processor: `StartAt` and `States`.
    fn machine(&mut self, machine: &Map<String, Value>, at: &str) {
        let Some(states) = machine
            .get("States")
            .and_then(Value::as_object)
            .filter(|states| !states.is_empty())
        else {
            self.problem(at, "States must be a non-empty object");
            return;
        };
        let start = machine.get("StartAt").and_then(Value::as_str);
        if !start.is_some_and(|start| states.contains_key(start)) {
            self.problem(at, format!("StartAt {start:?} names no state of States"));
        }
        let names: BTreeSet<&str> = states.keys().map(String::as_str).collect();
        for (name, state) in states {
            let at = format!("{at}/States/{name}");
            match state.as_object() {
                Some(state) => self.state(state, &at, &names),
                None => self.problem(&at, "a state must be an object"),
            }
        }
    }

    fn state(&mut self, state: &Map<String, Value>, at: &str, names: &BTreeSet<&str>) {
        let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
        let specific: &[&str] = match kind {
            "Pass" => &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "Result",
                "ResultPath",
                "Next",
                "End",
            ],
            "Task" => &[
                "Resource",
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "Retry",
                "Catch",
                "Next",
                "End",
            ],
            "Map" => &[
                "InputPath",
                "OutputPath",
                "ItemsPath",
                "ItemSelector",
                "Parameters",
                "ItemProcessor",
                "Iterator",
                "MaxConcurrency",
                "MaxConcurrencyPath",
                "ResultSelector",
                "ResultPath",
                "Retry",
                "Catch",
                "Next",
                "End",
            ],
            "Choice" => &["InputPath", "OutputPath", "Choices", "Default"],
            "Succeed" => &["InputPath", "OutputPath"],
            "Fail" => &["Error", "Cause"],
            other => {
                self.problem(at, format!("state type {other:?} is not supported"));
                return;
            }
        };
        let allowed: Vec<&str> = ["Type", "Comment", "QueryLanguage"]
            .iter()
            .chain(specific)
            .copied()
            .collect();
        self.fields(state, at, &allowed);
        self.query_language(state, at);
        self.io_paths(state, at);
        match kind {
            "Pass" => {
                self.transition(state, at, names);
                if let Some(parameters) = state.get("Parameters") {
                    self.template(parameters, &format!("{at}/Parameters"), false);
                }
            }
            "Task" => {
                self.transition(state, at, names);
                self.task(state, at);
                self.errors(state, at, names);
            }
            "Map" => {
                self.transition(state, at, names);
                self.map(state, at);
                self.errors(state, at, names);
            }
            "Choice" => self.choice(state, at, names),
            "Fail" => {
                if !state.contains_key("Error") {
                    self.problem(at, "a Fail state without Error is not supported");
                }
                for field in ["Error", "Cause"] {
                    if state.get(field).is_some_and(|v| !v.is_string()) {
                        self.problem(at, format!("{field} must be a string"));
                    }
                }
            }
            _ => {}
        }
    }

    /// `InputPath`, `OutputPath` (paths or null) and `ResultPath` (field steps only, or null).
    fn io_paths(&mut self, state: &Map<String, Value>, at: &str) {
        for field in ["InputPath", "OutputPath"] {
            if let Some(path) = state.get(field).filter(|v| !v.is_null()) {
                self.data_path(path, &format!("{at}/{field}"));
            }
        }
        if let Some(path) = state.get("ResultPath").filter(|v| !v.is_null()) {
            self.result_path(path, &format!("{at}/ResultPath"));
        }
    }

    fn data_path(&mut self, path: &Value, at: &str) -> Option<Path> {
        let Some(text) = path.as_str() else {
            self.problem(at, format!("{path} is not a path"));
            return None;
        };
        match Path::parse(text) {
            Ok(parsed) if parsed.root == Root::Data => Some(parsed),
            Ok(_) => {
                self.problem(
                    at,
                    format!("{text:?}: the context object ($$) is not supported here"),
                );
                None
            }
            Err(err) => {
                self.problem(at, err);
                None
            }
        }
    }

    fn result_path(&mut self, path: &Value, at: &str) {
        if let Some(parsed) = self.data_path(path, at)
            && parsed.fields().is_none()
        {
            self.problem(at, format!("{path}: a ResultPath takes field steps only"));
        }
    }

    /// Exactly one of `Next` (a state of the same machine) and `"End": true`.
    fn transition(&mut self, state: &Map<String, Value>, at: &str, names: &BTreeSet<&str>) {
        match (state.get("Next"), state.get("End")) {
            (Some(next), None) => self.target(next, &format!("{at}/Next"), names),
            (None, Some(Value::Bool(true))) => {}
            _ => self.problem(at, "needs exactly one of Next and \"End\": true"),
        }
    }

    fn target(&mut self, next: &Value, at: &str, names: &BTreeSet<&str>) {
        if !next.as_str().is_some_and(|next| names.contains(next)) {
            self.problem(at, format!("{next} names no state of this machine"));
        }
    }

    fn task(&mut self, state: &Map<String, Value>, at: &str) {
        let resource = state.get("Resource").and_then(Value::as_str);
        if resource != Some(LAMBDA_INVOKE) {
            self.problem(
                at,
                format!("Resource {resource:?} is not supported (only {LAMBDA_INVOKE})"),
            );
        }
        let at_parameters = format!("{at}/Parameters");
        match state.get("Parameters").and_then(Value::as_object) {
            Some(parameters) => {
                self.fields(
                    parameters,
                    &at_parameters,
                    &["FunctionName", "Payload", "Payload.$"],
                );
                if !parameters.get("FunctionName").is_some_and(Value::is_string) {
                    self.problem(&at_parameters, "FunctionName must be a string");
                }
                if parameters.contains_key("Payload") == parameters.contains_key("Payload.$") {
                    self.problem(&at_parameters, "needs exactly one of Payload and Payload.$");
                }
                self.template(&Value::Object(parameters.clone()), &at_parameters, false);
            }
            None => self.problem(
                at,
                "Parameters must be an object with FunctionName and Payload",
            ),
        }
        if let Some(selector) = state.get("ResultSelector") {
            self.template(selector, &format!("{at}/ResultSelector"), false);
        }
    }

    fn map(&mut self, state: &Map<String, Value>, at: &str) {
        if let Some(path) = state.get("ItemsPath") {
            self.data_path(path, &format!("{at}/ItemsPath"));
        }
        match (state.get("ItemSelector"), state.get("Parameters")) {
            (Some(_), Some(_)) => self.problem(at, "ItemSelector and Parameters are exclusive"),
            (Some(selector), None) => self.template(selector, &format!("{at}/ItemSelector"), true),
            (None, Some(parameters)) => {
                self.template(parameters, &format!("{at}/Parameters"), true)
            }
            (None, None) => {}
        }
        match (state.get("MaxConcurrency"), state.get("MaxConcurrencyPath")) {
            (Some(_), Some(_)) => {
                self.problem(at, "MaxConcurrency and MaxConcurrencyPath are exclusive")
            }
            (Some(limit), None) => {
                self.non_negative_integer(limit, &format!("{at}/MaxConcurrency"))
            }
            (None, Some(path)) => {
                self.data_path(path, &format!("{at}/MaxConcurrencyPath"));
            }
            (None, None) => {}
        }
        if let Some(selector) = state.get("ResultSelector") {
            self.template(selector, &format!("{at}/ResultSelector"), false);
        }
        let (field, processor) = match (state.get("ItemProcessor"), state.get("Iterator")) {
            (Some(processor), None) => ("ItemProcessor", processor),
            (None, Some(iterator)) => ("Iterator", iterator),
            _ => {
                self.problem(at, "needs exactly one of ItemProcessor and Iterator");
                return;
            }
        };
        let at = format!("{at}/{field}");
        let Some(processor) = processor.as_object() else {
            self.problem(&at, "must be an object");
            return;
        };
        let allowed: &[&str] = match field {
            "ItemProcessor" => &["Comment", "StartAt", "States", "ProcessorConfig"],
            _ => &["Comment", "StartAt", "States"],
        };
        self.fields(processor, &at, allowed);
        if let Some(config) = processor.get("ProcessorConfig") {
            let inline = config.as_object().is_some_and(|config| {
                config.len() == 1 && config.get("Mode").and_then(Value::as_str) == Some("INLINE")
            });
            if !inline {
                self.problem(
                    &at,
                    format!(
                        "ProcessorConfig {config} is not supported (only {{\"Mode\": \"INLINE\"}})"
                    ),
                );
            }
        }
        self.machine(processor, &at);
    }

    fn choice(&mut self, state: &Map<String, Value>, at: &str, names: &BTreeSet<&str>) {
        match state.get("Choices").and_then(Value::as_array) {
            Some(rules) if !rules.is_empty() => {
                for (index, rule) in rules.iter().enumerate() {
                    self.rule(rule, &format!("{at}/Choices/{index}"), Some(names));
                }
            }
            _ => self.problem(at, "Choices must be a non-empty array"),
        }
        if let Some(default) = state.get("Default") {
            self.target(default, &format!("{at}/Default"), names);
        }
    }

    /// A choice rule; `names` is given for a top-level rule, which alone has (and needs) `Next`.
    fn rule(&mut self, rule: &Value, at: &str, names: Option<&BTreeSet<&str>>) {
        let Some(rule) = rule.as_object() else {
            self.problem(at, "a choice rule must be an object");
            return;
        };
        match (names, rule.get("Next")) {
            (Some(names), Some(next)) => self.target(next, &format!("{at}/Next"), names),
            (Some(_), None) => self.problem(at, "a top-level choice rule needs Next"),
            (None, Some(_)) => self.problem(at, "a nested choice rule takes no Next"),
            (None, None) => {}
        }
        let body: Vec<&str> = rule
            .keys()
            .map(String::as_str)
            .filter(|key| *key != "Next")
            .collect();
        match body.as_slice() {
            ["And"] | ["Or"] => match rule[body[0]].as_array() {
                Some(rules) if !rules.is_empty() => {
                    for (index, nested) in rules.iter().enumerate() {
                        self.rule(nested, &format!("{at}/{}/{index}", body[0]), None);
                    }
                }
                _ => self.problem(
                    at,
                    format!("{} must be a non-empty array of rules", body[0]),
                ),
            },
            ["Not"] => self.rule(&rule["Not"], &format!("{at}/Not"), None),
            _ => self.comparison(rule, at),
        }
    }

    /// `Variable` and one supported operator with an operand of its type.
    fn comparison(&mut self, rule: &Map<String, Value>, at: &str) {
        match rule.get("Variable") {
            Some(variable) => {
                self.data_path(variable, &format!("{at}/Variable"));
            }
            None => self.problem(at, "a comparison needs Variable"),
        }
        let operators: Vec<&String> = rule
            .keys()
            .filter(|key| !["Variable", "Next"].contains(&key.as_str()))
            .collect();
        let [operator] = operators.as_slice() else {
            self.problem(at, format!("needs exactly one operator, has {operators:?}"));
            return;
        };
        let Some((_, operand)) = CHOICE_OPERATORS.iter().find(|(name, _)| name == operator) else {
            self.problem(at, format!("operator {operator} is not supported"));
            return;
        };
        let value = &rule[operator.as_str()];
        let fits = match operand {
            Operand::Bool => value.is_boolean(),
            Operand::String => value.is_string(),
            Operand::Number => value.is_number(),
        };
        if !fits {
            self.problem(
                at,
                format!("{operator} takes a {operand:?} operand, not {value}"),
            );
        }
    }

    fn errors(&mut self, state: &Map<String, Value>, at: &str, names: &BTreeSet<&str>) {
        if let Some(retry) = state.get("Retry") {
            self.handlers(
                retry,
                &format!("{at}/Retry"),
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "Comment",
                ],
            );
            for (index, retrier) in retry.as_array().into_iter().flatten().enumerate() {
                let at = format!("{at}/Retry/{index}");
                if let Some(interval) = retrier.get("IntervalSeconds") {
                    self.positive_integer(interval, &format!("{at}/IntervalSeconds"));
                }
                if let Some(attempts) = retrier.get("MaxAttempts") {
                    self.non_negative_integer(attempts, &format!("{at}/MaxAttempts"));
                }
                if let Some(rate) = retrier.get("BackoffRate")
                    && !rate.as_f64().is_some_and(|rate| rate >= 1.0)
                {
                    self.problem(
                        &at,
                        format!("BackoffRate {rate} must be a number of at least 1.0"),
                    );
                }
            }
        }
        if let Some(catch) = state.get("Catch") {
            self.handlers(
                catch,
                &format!("{at}/Catch"),
                &["ErrorEquals", "Next", "ResultPath", "Comment"],
            );
            for (index, catcher) in catch.as_array().into_iter().flatten().enumerate() {
                let at = format!("{at}/Catch/{index}");
                match catcher.get("Next") {
                    Some(next) => self.target(next, &format!("{at}/Next"), names),
                    None => self.problem(&at, "a catcher needs Next"),
                }
                if let Some(path) = catcher.get("ResultPath").filter(|v| !v.is_null()) {
                    self.result_path(path, &format!("{at}/ResultPath"));
                }
            }
        }
    }

    /// What retriers and catchers share: known fields and `ErrorEquals`, with `States.ALL`
    /// alone in the last one.
    fn handlers(&mut self, list: &Value, at: &str, allowed: &[&str]) {
        let Some(handlers) = list.as_array() else {
            self.problem(at, "must be an array");
            return;
        };
        for (index, handler) in handlers.iter().enumerate() {
            let at = format!("{at}/{index}");
            let Some(handler) = handler.as_object() else {
                self.problem(&at, "must be an object");
                continue;
            };
            self.fields(handler, &at, allowed);
            let errors: Option<Vec<&str>> = handler
                .get("ErrorEquals")
                .and_then(Value::as_array)
                .filter(|errors| !errors.is_empty())
                .and_then(|errors| errors.iter().map(Value::as_str).collect());
            let Some(errors) = errors else {
                self.problem(&at, "ErrorEquals must be a non-empty array of error names");
                continue;
            };
            if errors.contains(&"States.ALL") && (errors.len() > 1 || index + 1 < handlers.len()) {
                self.problem(
                    &at,
                    "States.ALL must be alone in ErrorEquals, in the last entry",
                );
            }
        }
    }

    /// A payload template: `.$` fields hold supported paths; the context object is limited to
    /// `$$.Execution.Input` and, in a Map's `ItemSelector`, `$$.Map.Item.Value` / `.Index`.
    fn template(&mut self, template: &Value, at: &str, map_item: bool) {
        match template {
            Value::Object(fields) => {
                for (key, value) in fields {
                    let at = format!("{at}/{key}");
                    match key.strip_suffix(".$") {
                        Some(name) => {
                            if fields.contains_key(name) {
                                self.problem(&at, format!("both {name} and {key} are set"));
                            }
                            self.template_path(value, &at, map_item);
                        }
                        None => self.template(value, &at, map_item),
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.template(item, &format!("{at}/{index}"), map_item);
                }
            }
            _ => {}
        }
    }

    fn template_path(&mut self, value: &Value, at: &str, map_item: bool) {
        let Some(text) = value.as_str() else {
            self.problem(at, format!("{value} is not a path"));
            return;
        };
        if text.starts_with("States.") {
            self.problem(
                at,
                format!("intrinsic functions are not supported ({text})"),
            );
            return;
        }
        let parsed = match Path::parse(text) {
            Ok(parsed) => parsed,
            Err(err) => {
                self.problem(at, err);
                return;
            }
        };
        if parsed.root == Root::Context && !context_path_supported(&parsed, map_item) {
            self.problem(
                at,
                format!("{text}: only $$.Execution.Input and (in a Map's ItemSelector) $$.Map.Item.Value and $$.Map.Item.Index are supported"),
            );
        }
    }
}

fn context_path_supported(path: &Path, map_item: bool) -> bool {
    let names: Vec<Option<&str>> = path
        .steps
        .iter()
        .map(|step| match step {
            Step::Field(name) => Some(name.as_str()),
            Step::Index(_) => None,
        })
        .collect();
    match names.as_slice() {
        [Some("Execution"), Some("Input"), ..] => true,
        [Some("Map"), Some("Item"), Some("Value"), ..] => map_item,
        [Some("Map"), Some("Item"), Some("Index")] => map_item,
        _ => false,
    }
}
