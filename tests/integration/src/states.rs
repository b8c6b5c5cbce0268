//! A small Step Functions interpreter for tests: it runs an Amazon States Language definition
//! (the subset the template's hourly round uses) with Lambda functions the test provides, so a
//! test can drive a scheduled round through the deployed definition itself.
//!
//! It is faithful where the definition depends on it: input and output processing (`InputPath`,
//! `Parameters` / `ItemSelector`, `ResultSelector`, `ResultPath`, `OutputPath`), the optimized
//! Lambda integration's result and error shapes, `Retry` (the first matching retrier with its own
//! attempt count, waiting `IntervalSeconds × BackoffRate^n` scaled by the test's time factor),
//! `Catch`, `States.Runtime` ending the execution whatever `Catch` says, and a Map's concurrency
//! limit as real concurrency. Anything else is refused by [`validate`] before anything runs, so a
//! definition that outgrows the interpreter breaks its tests instead of being half-run.

mod definition;
mod path;
mod validate;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Map, Value, json};

pub use definition::{TemplateStateMachine, placeholders, substitute, template_state_machine};

use path::{Path, apply_template, filter, place_result, select};

/// The Lambda functions of an execution.
pub trait Invoker: Send + Sync {
    /// Invokes `function` (the task's `FunctionName`, after substitution) synchronously with
    /// `payload`, and returns its reply.
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, Result<Value, InvokeError>>;
}

/// Why an invocation gave no reply.
#[derive(Debug, Clone, PartialEq)]
pub enum InvokeError {
    /// The function ran and failed: its error reply, `{"errorType": ..., "errorMessage": ...}`.
    /// The task fails with `Error` = its `errorType` and `Cause` = the reply as a JSON string.
    Function(Value),
    /// Lambda did not run the function: the task fails with this `Error` (e.g.
    /// `Lambda.TooManyRequestsException`) and `Cause`.
    Service { error: String, cause: String },
}

impl InvokeError {
    /// A function's error reply, as the Lambda runtime sends it.
    pub fn function(error_type: &str, message: &str) -> InvokeError {
        InvokeError::Function(json!({ "errorType": error_type, "errorMessage": message }))
    }

    /// Lambda refusing or failing the invocation itself.
    pub fn service(error: &str, cause: &str) -> InvokeError {
        InvokeError::Service {
            error: error.to_string(),
            cause: cause.to_string(),
        }
    }
}

/// Why an execution has no output.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecutionError {
    /// The definition uses something this interpreter does not implement (or breaks a rule of
    /// the language it relies on): one problem a line.
    Unsupported(String),
    /// The execution failed, as Step Functions reports it.
    Failed { error: String, cause: String },
}

impl fmt::Display for ExecutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutionError::Unsupported(problems) => {
                write!(
                    f,
                    "the interpreter does not support the definition:\n{problems}"
                )
            }
            ExecutionError::Failed { error, cause } => {
                write!(f, "the execution failed: {error}: {cause}")
            }
        }
    }
}

impl std::error::Error for ExecutionError {}

/// Checks that the interpreter implements everything `definition` uses (placeholders must be
/// substituted already): `Err` lists every problem, one a line.
pub fn validate(definition: &Value) -> Result<(), String> {
    validate::check(definition)
}

/// Runs `definition` (substituted: see [`substitute`]) on `input` with `invoker`'s functions
/// and returns the execution's output. `time_scale` is real seconds per definition second:
/// `0.001` turns a 60 s retry interval into 60 ms (and scales `TimeoutSeconds` alike).
pub async fn execute(
    definition: &Value,
    input: Value,
    invoker: &dyn Invoker,
    time_scale: f64,
) -> Result<Value, ExecutionError> {
    validate::check(definition).map_err(ExecutionError::Unsupported)?;
    let top = definition.as_object().expect("checked: an object");
    let run = Run {
        invoker,
        time_scale,
        context: json!({ "Execution": { "Input": input.clone() } }),
    };
    let machine = run.machine(top, input);
    let result = match top.get("TimeoutSeconds").and_then(Value::as_u64) {
        Some(seconds) => tokio::time::timeout(run.scaled(seconds as f64), machine)
            .await
            .unwrap_or_else(|_| {
                Err(Failure::new(
                    "States.Timeout",
                    format!("the execution ran past its TimeoutSeconds ({seconds})"),
                ))
            }),
        None => machine.await,
    };
    result.map_err(|failure| ExecutionError::Failed {
        error: failure.error,
        cause: failure.cause,
    })
}

const RUNTIME: &str = "States.Runtime";

/// A state's failure: an error name and its cause.
#[derive(Debug, Clone, PartialEq)]
struct Failure {
    error: String,
    cause: String,
}

impl Failure {
    fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// What Step Functions reports for input it cannot process (a path naming nothing, ...).
    fn runtime(cause: impl Into<String>) -> Failure {
        Failure::new(RUNTIME, cause)
    }

    /// `States.Runtime` ends the execution: no Retry or Catch takes it, not even `States.ALL`.
    fn ends_execution(&self) -> bool {
        self.error == RUNTIME
    }
}

impl From<InvokeError> for Failure {
    fn from(err: InvokeError) -> Failure {
        match err {
            InvokeError::Function(reply) => {
                // Without an errorType Step Functions cannot name the error either.
                let error = reply["errorType"]
                    .as_str()
                    .filter(|error| !error.is_empty())
                    .unwrap_or("Lambda.Unknown")
                    .to_string();
                Failure::new(error, reply.to_string())
            }
            InvokeError::Service { error, cause } => Failure::new(error, cause),
        }
    }
}

type Object = Map<String, Value>;

/// A state's output and the state to run next (`None`: the machine ends).
type Outcome<'d> = (Value, Option<&'d str>);

/// One execution: the functions, the time scale and the context object (`$$`).
struct Run<'a> {
    invoker: &'a dyn Invoker,
    time_scale: f64,
    context: Value,
}

impl Run<'_> {
    fn scaled(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds * self.time_scale)
    }

    /// A machine (the definition, or a Map's item processor) from `StartAt` to its end. Boxed:
    /// a Map runs machines inside a machine.
    fn machine<'r>(
        &'r self,
        machine: &'r Object,
        input: Value,
    ) -> BoxFuture<'r, Result<Value, Failure>> {
        Box::pin(async move {
            let states = machine["States"].as_object().expect("checked: States");
            let mut name = machine["StartAt"].as_str().expect("checked: StartAt");
            let mut data = input;
            loop {
                let state = states[name].as_object().expect("checked: a state");
                match self.state(state, data).await? {
                    (output, Some(next)) => (name, data) = (next, output),
                    (output, None) => return Ok(output),
                }
            }
        })
    }

    async fn state<'r>(&'r self, state: &'r Object, input: Value) -> Result<Outcome<'r>, Failure> {
        match state["Type"].as_str().expect("checked: Type") {
            "Pass" => Ok((self.pass(state, &input)?, next(state))),
            "Task" => {
                self.guarded(state, input, |input| self.task(state, input))
                    .await
            }
            "Map" => {
                self.guarded(state, input, |input| self.map(state, input))
                    .await
            }
            "Choice" => self
                .choose(state, input)
                .map(|(output, next)| (output, Some(next))),
            "Succeed" => {
                let input = filter(state.get("InputPath"), input, "InputPath")?;
                Ok((filter(state.get("OutputPath"), input, "OutputPath")?, None))
            }
            "Fail" => Err(Failure::new(text(state, "Error"), text(state, "Cause"))),
            other => unreachable!("checked: no state of type {other}"),
        }
    }

    /// Runs `attempt` on the state's input under its `Retry` and `Catch`.
    async fn guarded<'r, F, Fut>(
        &self,
        state: &'r Object,
        input: Value,
        attempt: F,
    ) -> Result<Outcome<'r>, Failure>
    where
        F: Fn(Value) -> Fut,
        Fut: Future<Output = Result<Value, Failure>>,
    {
        let retriers = handlers(state, "Retry");
        let mut retried = vec![0u32; retriers.len()];
        loop {
            let failure = match attempt(input.clone()).await {
                Ok(output) => return Ok((output, next(state))),
                Err(failure) if failure.ends_execution() => return Err(failure),
                Err(failure) => failure,
            };
            // Only the first retrier that matches counts, even once its attempts are used up.
            if let Some(index) = retriers.iter().position(|r| handles(r, &failure.error)) {
                let retrier = &retriers[index];
                let max_attempts = retrier["MaxAttempts"].as_u64().unwrap_or(3);
                if u64::from(retried[index]) < max_attempts {
                    let interval = retrier["IntervalSeconds"].as_f64().unwrap_or(1.0);
                    let backoff = retrier["BackoffRate"].as_f64().unwrap_or(2.0);
                    let wait = interval * backoff.powi(retried[index] as i32);
                    tokio::time::sleep(self.scaled(wait)).await;
                    retried[index] += 1;
                    continue;
                }
            }
            return catch(state, &input, failure);
        }
    }

    /// A `lambda:invoke` task, request-response.
    async fn task(&self, state: &Object, raw: Value) -> Result<Value, Failure> {
        let input = filter(state.get("InputPath"), raw.clone(), "InputPath")?;
        let parameters = apply_template(&state["Parameters"], &input, &self.context)?;
        let function = parameters["FunctionName"]
            .as_str()
            .expect("checked: a literal FunctionName");
        let reply = self
            .invoker
            .invoke(function, parameters["Payload"].clone())
            .await?;
        // The optimized integration's result (the real one adds SDK metadata nothing should use).
        let result = json!({ "ExecutedVersion": "$LATEST", "Payload": reply, "StatusCode": 200 });
        self.finish(state, &raw, result)
    }

    /// An inline Map: each item through the item processor, at most the limit at once.
    async fn map(&self, state: &Object, raw: Value) -> Result<Value, Failure> {
        let input = filter(state.get("InputPath"), raw.clone(), "InputPath")?;
        let items = match state.get("ItemsPath").and_then(Value::as_str) {
            Some(path) => select(path, &input, &Value::Null, "ItemsPath")?,
            None => input.clone(),
        };
        let Value::Array(items) = items else {
            return Err(Failure::runtime(format!(
                "the Map state's items must be an array, not {items}"
            )));
        };
        let limit = max_concurrency(state, &input)?;
        let selector = state
            .get("ItemSelector")
            .or_else(|| state.get("Parameters"));
        let iterations = items
            .iter()
            .enumerate()
            .map(|(index, item)| self.item_input(selector, &input, index, item))
            .collect::<Result<Vec<_>, _>>()?;
        let processor = state
            .get("ItemProcessor")
            .or_else(|| state.get("Iterator"))
            .and_then(Value::as_object)
            .expect("checked: an item processor");
        // 0 is no limit. As in Step Functions, an iteration starts as soon as a running one
        // ends, and the first failure stops the others (dropping them) and fails the Map.
        let width = if limit == 0 {
            iterations.len().max(1)
        } else {
            limit
        };
        let mut outputs: Vec<(usize, Value)> = stream::iter(iterations.into_iter().enumerate())
            .map(|(index, item)| async move {
                let output = self.machine(processor, item).await?;
                Ok::<_, Failure>((index, output))
            })
            .buffer_unordered(width)
            .try_collect()
            .await?;
        outputs.sort_by_key(|(index, _)| *index);
        let result = outputs.into_iter().map(|(_, output)| output).collect();
        self.finish(state, &raw, result)
    }

    /// An iteration's input: the item, or the `ItemSelector` with `$$.Map.Item` set.
    fn item_input(
        &self,
        selector: Option<&Value>,
        input: &Value,
        index: usize,
        item: &Value,
    ) -> Result<Value, Failure> {
        let Some(selector) = selector else {
            return Ok(item.clone());
        };
        let mut context = self.context.clone();
        context["Map"] = json!({ "Item": { "Index": index, "Value": item } });
        apply_template(selector, input, &context)
    }

    /// `ResultSelector`, `ResultPath` and `OutputPath` on a task's or a Map's result.
    fn finish(&self, state: &Object, raw: &Value, result: Value) -> Result<Value, Failure> {
        let result = match state.get("ResultSelector") {
            Some(selector) => apply_template(selector, &result, &self.context)?,
            None => result,
        };
        let output = place_result(state.get("ResultPath"), raw, result)?;
        filter(state.get("OutputPath"), output, "OutputPath")
    }

    fn pass(&self, state: &Object, raw: &Value) -> Result<Value, Failure> {
        let input = filter(state.get("InputPath"), raw.clone(), "InputPath")?;
        let input = match state.get("Parameters") {
            Some(parameters) => apply_template(parameters, &input, &self.context)?,
            None => input,
        };
        let result = state.get("Result").cloned().unwrap_or(input);
        let output = place_result(state.get("ResultPath"), raw, result)?;
        filter(state.get("OutputPath"), output, "OutputPath")
    }

    /// The first rule that holds names the next state; else `Default`.
    fn choose<'r>(&self, state: &'r Object, raw: Value) -> Result<(Value, &'r str), Failure> {
        let input = filter(state.get("InputPath"), raw, "InputPath")?;
        let mut chosen = None;
        for rule in state["Choices"].as_array().expect("checked: Choices") {
            if rule_holds(rule, &input)? {
                chosen = rule["Next"].as_str();
                break;
            }
        }
        let next = chosen
            .or_else(|| state.get("Default").and_then(Value::as_str))
            .ok_or_else(|| {
                Failure::new(
                    "States.NoChoiceMatched",
                    format!("no choice rule matched the input '{input}' and there is no Default"),
                )
            })?;
        Ok((filter(state.get("OutputPath"), input, "OutputPath")?, next))
    }
}

fn next(state: &Object) -> Option<&str> {
    state.get("Next").and_then(Value::as_str)
}

fn text(state: &Object, field: &str) -> String {
    state
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn handlers<'r>(state: &'r Object, field: &str) -> &'r [Value] {
    state
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Whether a retrier's or catcher's `ErrorEquals` takes `error` (never `States.Runtime`: that
/// ends the execution before any handler is asked).
fn handles(handler: &Value, error: &str) -> bool {
    handler["ErrorEquals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|name| match name {
            "States.ALL" => true,
            "States.TaskFailed" => error != "States.Timeout",
            name => name == error,
        })
}

/// The first catcher that takes the failure: the error output `{"Error", "Cause"}` placed in
/// the state's raw input by its `ResultPath`, for its `Next`. No catcher: the state fails.
fn catch<'r>(state: &'r Object, raw: &Value, failure: Failure) -> Result<Outcome<'r>, Failure> {
    let Some(catcher) = handlers(state, "Catch")
        .iter()
        .find(|catcher| handles(catcher, &failure.error))
    else {
        return Err(failure);
    };
    let error_output = json!({ "Error": failure.error, "Cause": failure.cause });
    let output = place_result(catcher.get("ResultPath"), raw, error_output)?;
    Ok((output, catcher["Next"].as_str()))
}

/// `MaxConcurrency`, or the non-negative integer `MaxConcurrencyPath` names; 0 = no limit.
fn max_concurrency(state: &Object, input: &Value) -> Result<usize, Failure> {
    let Some(path) = state.get("MaxConcurrencyPath").and_then(Value::as_str) else {
        return Ok(state["MaxConcurrency"].as_u64().unwrap_or(0) as usize);
    };
    let value = select(path, input, &Value::Null, "MaxConcurrencyPath")?;
    value.as_u64().map(|limit| limit as usize).ok_or_else(|| {
        Failure::runtime(format!(
            "MaxConcurrencyPath {path} must name a non-negative integer, not {value}"
        ))
    })
}

/// A choice rule on the choice state's input. A comparison other than `IsPresent` on a path
/// that names nothing is a runtime error, as in Step Functions.
fn rule_holds(rule: &Value, input: &Value) -> Result<bool, Failure> {
    if let Some(rules) = rule.get("And").and_then(Value::as_array) {
        for rule in rules {
            if !rule_holds(rule, input)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(rules) = rule.get("Or").and_then(Value::as_array) {
        for rule in rules {
            if rule_holds(rule, input)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(inner) = rule.get("Not") {
        return Ok(!rule_holds(inner, input)?);
    }
    let variable = rule["Variable"].as_str().expect("checked: Variable");
    let value = Path::parse(variable)
        .expect("checked: a path")
        .get(input, &Value::Null);
    let (operator, operand) = rule
        .as_object()
        .into_iter()
        .flatten()
        .find(|(key, _)| !["Variable", "Next"].contains(&key.as_str()))
        .expect("checked: an operator");
    if operator == "IsPresent" {
        return Ok(value.is_some() == operand.as_bool().expect("checked: a boolean"));
    }
    let Some(value) = value else {
        return Err(Failure::runtime(format!(
            "Invalid path '{variable}': The choice state's condition path references an invalid value."
        )));
    };
    let is = |test: bool| test == operand.as_bool().expect("checked: a boolean");
    let number = |compare: fn(f64, f64) -> bool| {
        value
            .as_f64()
            .zip(operand.as_f64())
            .is_some_and(|(value, operand)| compare(value, operand))
    };
    Ok(match operator.as_str() {
        "IsNull" => is(value.is_null()),
        "IsNumeric" => is(value.is_number()),
        "IsString" => is(value.is_string()),
        "IsBoolean" => is(value.is_boolean()),
        "BooleanEquals" => value.is_boolean() && value == operand,
        "StringEquals" => value.is_string() && value == operand,
        "NumericEquals" => number(|a, b| a == b),
        "NumericLessThan" => number(|a, b| a < b),
        "NumericLessThanEquals" => number(|a, b| a <= b),
        "NumericGreaterThan" => number(|a, b| a > b),
        "NumericGreaterThanEquals" => number(|a, b| a >= b),
        other => unreachable!("checked: no operator {other}"),
    })
}
