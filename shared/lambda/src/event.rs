//! From the bytes or JSON of an invocation to the handler's typed event.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest event read in command-line mode; real events are a few hundred bytes.
pub const MAX_EVENT_BYTES: u64 = 1024 * 1024;

/// An event the function cannot read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// More than [`MAX_EVENT_BYTES`].
    #[error("the event is larger than {MAX_EVENT_BYTES} bytes; events are small JSON objects")]
    TooLarge,
    /// Not JSON at all.
    #[error("the event is not valid JSON: {0}")]
    NotJson(serde_json::Error),
    /// JSON, but not what this function takes; serde's message names the field and what it
    /// expects.
    #[error("invalid event: {0}")]
    Shape(serde_json::Error),
    /// Standard input could not be read.
    #[error("could not read the event from stdin: {0}")]
    Stdin(std::io::Error),
}

/// An empty event means `{}`; anything else must be one JSON value of reasonable size.
pub fn parse_event(text: &str) -> Result<Value, EventError> {
    if text.len() as u64 > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge);
    }
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text).map_err(EventError::NotJson)
}

/// The typed event. `null` (what some invokers send for "no event") means `{}`.
pub fn decode<E: DeserializeOwned>(payload: Value) -> Result<E, EventError> {
    let payload = match payload {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    serde_json::from_value(payload).map_err(EventError::Shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Event {
        start: Option<String>,
    }

    #[test]
    fn empty_and_null_mean_an_empty_object() {
        assert_eq!(parse_event("  \n").unwrap(), json!({}));
        assert_eq!(decode::<Event>(Value::Null).unwrap(), Event::default());
        assert_eq!(
            decode::<Event>(parse_event(r#"{"start":"x"}"#).unwrap()).unwrap(),
            Event {
                start: Some("x".into())
            }
        );
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        assert!(matches!(parse_event("{"), Err(EventError::NotJson(_))));
        let huge = " ".repeat(MAX_EVENT_BYTES as usize + 1);
        assert!(matches!(parse_event(&huge), Err(EventError::TooLarge)));
        let err = decode::<Event>(json!({"strat": "x"})).unwrap_err();
        assert!(err.to_string().contains("unknown field `strat`"), "{err}");
        assert!(decode::<Event>(json!([1])).is_err());
    }
}
