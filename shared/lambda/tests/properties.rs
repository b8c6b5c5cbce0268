//! Whatever an invoker sends, each function answers with its request or an input error that
//! says what is wrong, never a panic and never another error type.

mod refusals;

use proptest::prelude::*;
use refusals::refusals;
use serde_json::Value;

/// Arbitrary JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 :.\\-]{0,24}".prop_map(Value::String),
        Just(Value::String("start".into())),
        Just(Value::String("2026-11-20".into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("operation".to_string()),
                    Just("content_types".to_string()),
                    Just("start".to_string()),
                    Just("end".to_string()),
                    Just("from".to_string()),
                    Just("to".to_string()),
                    Just("by_day".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_event_is_a_request_or_an_input_error(event in json_value()) {
        for error in refusals(&event) {
            prop_assert_eq!(error.error_type, "InputError");
            prop_assert!(!error.message.is_empty());
        }
    }
}
