//! Validation and extraction rules of `classify`, one rule per test.

use audit_records::{AppKind, AuditEvent, OperationFilter, Rejection, RejectionKind, classify};
use serde_json::value::RawValue;
use time::macros::datetime;

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned()).expect("test JSON is valid")
}

fn classify_all(json: &str) -> Result<Option<AuditEvent>, Rejection> {
    classify(&raw(json), &OperationFilter::All)
}

fn event(json: &str) -> AuditEvent {
    classify_all(json).expect("valid").expect("kept by *")
}

fn rejection(json: &str) -> Rejection {
    classify_all(json).expect_err("malformed")
}

const BASE: &str = r#""Id":"1b5a3e3c-0000-4000-8000-000000000001","CreationTime":"2026-05-19T13:17:34","RecordType":256"#;

fn with_base(extra: &str) -> String {
    if extra.is_empty() {
        format!("{{{BASE}}}")
    } else {
        format!("{{{BASE},{extra}}}")
    }
}

#[test]
fn minimal_record_is_valid() {
    let e = event(&with_base(""));
    assert_eq!(e.id, "1b5a3e3c-0000-4000-8000-000000000001");
    assert_eq!(e.creation_time, datetime!(2026-05-19 13:17:34 UTC));
    assert_eq!(e.record_type, 256);
    assert_eq!(e.operation, "");
    assert_eq!(e.workload, "");
    assert_eq!(e.app_kind, AppKind::Other);
    assert_eq!(e.app_id, None);
    assert_eq!(e.user_upn, None);
}

#[test]
fn id_must_be_a_non_empty_string() {
    let no_id = r#"{"CreationTime":"2026-05-19T13:17:34","RecordType":1}"#;
    assert_eq!(rejection(no_id).kind(), RejectionKind::MissingId);
    for id in ["null", "\"\"", "\"   \""] {
        let json = format!(r#"{{"Id":{id},"CreationTime":"2026-05-19T13:17:34","RecordType":1}}"#);
        assert_eq!(rejection(&json).kind(), RejectionKind::MissingId, "{id}");
    }
    for (id, said) in [
        ("42", "the number 42"),
        ("true", "a boolean"),
        ("[\"a\"]", "an array"),
        ("{\"a\":1}", "an object"),
        ("1.5", "a fractional number"),
    ] {
        let json = format!(r#"{{"Id":{id},"CreationTime":"2026-05-19T13:17:34","RecordType":1}}"#);
        let r = rejection(&json);
        assert_eq!(r.kind(), RejectionKind::InvalidId, "{id}");
        assert_eq!(
            r.to_string(),
            format!("record Id is not a usable string (got {said})")
        );
    }
}

#[test]
fn overlong_id_is_refused() {
    let id = "x".repeat(audit_records::MAX_ID_BYTES + 1);
    let json = format!(r#"{{"Id":"{id}","CreationTime":"2026-05-19T13:17:34","RecordType":1}}"#);
    assert_eq!(rejection(&json).kind(), RejectionKind::InvalidId);
    let id = "x".repeat(audit_records::MAX_ID_BYTES);
    let json = format!(r#"{{"Id":"{id}","CreationTime":"2026-05-19T13:17:34","RecordType":1}}"#);
    assert_eq!(event(&json).id, id);
}

#[test]
fn creation_time_must_be_a_timestamp() {
    let r = rejection(r#"{"Id":"a","RecordType":1}"#);
    assert_eq!(r.kind(), RejectionKind::MissingCreationTime);
    assert_eq!(r.detail(), Some("record \"a\""));

    let r = rejection(r#"{"Id":"a","CreationTime":"19/05/2026 13:17","RecordType":1}"#);
    assert_eq!(r.kind(), RejectionKind::InvalidCreationTime);
    assert_eq!(
        r.to_string(),
        "record CreationTime is not a UTC timestamp like 2026-05-19T13:17:34 \
         (record \"a\": got \"19/05/2026 13:17\")"
    );

    let r = rejection(r#"{"Id":"a","CreationTime":1747660654,"RecordType":1}"#);
    assert_eq!(r.kind(), RejectionKind::InvalidCreationTime);
    let r = rejection(r#"{"Id":"a","CreationTime":null,"RecordType":1}"#);
    assert_eq!(r.kind(), RejectionKind::MissingCreationTime);
}

#[test]
fn creation_time_variants_are_read_as_utc() {
    for (text, expected) in [
        ("2026-05-19T13:17:34", datetime!(2026-05-19 13:17:34 UTC)),
        ("2026-05-19T13:17:34Z", datetime!(2026-05-19 13:17:34 UTC)),
        (
            "2026-05-19T13:17:34.25",
            datetime!(2026-05-19 13:17:34.25 UTC),
        ),
        (
            "2026-05-19T13:17:34.1234567Z",
            datetime!(2026-05-19 13:17:34.1234567 UTC),
        ),
    ] {
        let json = format!(r#"{{"Id":"a","CreationTime":"{text}","RecordType":1}}"#);
        let e = event(&json);
        assert_eq!(e.creation_time, expected, "{text}");
        assert_eq!(e.creation_time_iso(), "2026-05-19T13:17:34Z");
    }
}

#[test]
fn a_rejection_quotes_long_values_briefly() {
    let long = "9".repeat(500);
    let json = format!(r#"{{"Id":"a","CreationTime":"{long}","RecordType":1}}"#);
    let r = rejection(&json);
    assert!(r.to_string().len() < 200, "{r}");
}

#[test]
fn record_type_must_be_an_integer() {
    assert_eq!(
        rejection(r#"{"Id":"a","CreationTime":"2026-05-19T13:17:34"}"#).kind(),
        RejectionKind::MissingRecordType
    );
    for bad in ["\"256\"", "256.5", "true", "[256]", "18446744073709551615"] {
        let json =
            format!(r#"{{"Id":"a","CreationTime":"2026-05-19T13:17:34","RecordType":{bad}}}"#);
        assert_eq!(
            rejection(&json).kind(),
            RejectionKind::InvalidRecordType,
            "{bad}"
        );
    }
    let e = event(r#"{"Id":"a","CreationTime":"2026-05-19T13:17:34","RecordType":-7}"#);
    assert_eq!(e.record_type, -7);
}

#[test]
fn unknown_record_types_are_valid() {
    let json = r#"{"Id":"a","CreationTime":"2026-05-19T13:17:34","RecordType":99999,"Workload":"Exchange"}"#;
    assert_eq!(event(json).record_type, 99999);
    assert_eq!(classify(&raw(json), &OperationFilter::default()), Ok(None));
}

#[test]
fn non_objects_are_rejected() {
    for (json, said) in [
        ("[]", "got an array"),
        ("\"Id\"", "got a string"),
        ("12", "got a number"),
        ("-1", "got a number"),
        ("null", "got null"),
        ("false", "got a boolean"),
    ] {
        let r = rejection(json);
        assert_eq!(r.kind(), RejectionKind::NotAnObject, "{json}");
        assert_eq!(r.detail(), Some(said));
    }
}

#[test]
fn unknown_and_nested_fields_are_ignored() {
    let e = event(&with_base(
        r#""Extra":{"deep":[1,{"x":[null,true,"s"]}]},"Numbers":[1e300,-0.5],"Operation":"LaunchPowerApp""#,
    ));
    assert_eq!(e.operation, "LaunchPowerApp");
}

#[test]
fn escaped_strings_are_decoded() {
    let e = event(
        r#"{"Id":"a\u0062c","CreationTime":"2026-05-19T13:17:34","RecordType":1,"UserId":"Jos\u00e9@contoso.com","Oper\u0061tion":"X\"Y"}"#,
    );
    assert_eq!(e.id, "abc");
    assert_eq!(e.user_upn.as_deref(), Some("José@contoso.com"));
    assert_eq!(e.user_upn_lower().as_deref(), Some("josé@contoso.com"));
    assert_eq!(e.operation, "X\"Y");
}

#[test]
fn duplicate_keys_take_the_last_value() {
    let e = event(&with_base(r#""Operation":"A","Operation":"B""#));
    assert_eq!(e.operation, "B");
}

#[test]
fn optional_text_fields_of_other_types_are_absent() {
    let e = event(&with_base(
        r#""UserId":7,"ClientIP":null,"UserKey":"","ResultStatus":{"a":1},"Operation":false"#,
    ));
    assert_eq!(e.user_upn, None);
    assert_eq!(e.client_ip, None);
    assert_eq!(e.user_key, None);
    assert_eq!(e.result_status, None);
    assert_eq!(e.operation, "");
}

#[test]
fn upn_falls_back_to_the_property_collection() {
    let e = event(&with_base(
        r#""PropertyCollection":[{"Name":"enduser.principal_name","Value":"Someone@Contoso.com"}]"#,
    ));
    assert_eq!(e.user_upn.as_deref(), Some("Someone@Contoso.com"));
    assert_eq!(e.user_upn_lower().as_deref(), Some("someone@contoso.com"));

    let e = event(&with_base(
        r#""UserId":"top@contoso.com","PropertyCollection":[{"Name":"enduser.principal_name","Value":"pc@contoso.com"}]"#,
    ));
    assert_eq!(e.user_upn.as_deref(), Some("top@contoso.com"));
}

#[test]
fn property_collection_wins_over_top_level_fields() {
    let e = event(&with_base(
        r#""EnvironmentId":"env-top","AppName":"11111111-1111-1111-1111-111111111111","PropertyCollection":[
            {"Name":"powerplatform.analytics.resource.environment.id","Value":"env-pc"},
            {"Name":"powerplatform.analytics.resource.power_app.id","Value":"22222222-2222-2222-2222-222222222222"},
            {"Name":"powerplatform.analytics.resource.power_app.display_name","Value":"PC name"}
        ],"AppDisplayName":"top name""#,
    ));
    assert_eq!(e.environment_id.as_deref(), Some("env-pc"));
    assert_eq!(
        e.app_id.as_deref(),
        Some("22222222-2222-2222-2222-222222222222")
    );
    assert_eq!(e.app_display_name.as_deref(), Some("PC name"));
}

#[test]
fn a_broken_property_collection_is_ignored() {
    for pc in [
        r#""PropertyCollection":"oops""#,
        r#""PropertyCollection":{"Name":"x"}"#,
        r#""PropertyCollection":[1,2]"#,
        r#""PropertyCollection":null"#,
    ] {
        let e = event(&with_base(&format!(
            r#"{pc},"Workload":"PowerApps","AppName":"33333333-3333-3333-3333-333333333333""#
        )));
        assert_eq!(e.app_kind, AppKind::PowerApp, "{pc}");
        assert_eq!(
            e.app_id.as_deref(),
            Some("33333333-3333-3333-3333-333333333333"),
            "{pc}"
        );
    }
    // Entries without a string Name or Value are skipped, not fatal.
    let e = event(&with_base(
        r#""PropertyCollection":[{"Name":1,"Value":"x"},{"Name":"powerplatform.analytics.resource.power_app.id"},{"Name":"powerplatform.analytics.resource.power_app.id","Value":"44444444-4444-4444-4444-444444444444","Extra":[1]}]"#,
    ));
    assert_eq!(
        e.app_id.as_deref(),
        Some("44444444-4444-4444-4444-444444444444")
    );
}

#[test]
fn power_apps_object_id_is_used_only_when_it_is_a_guid() {
    let e = event(&with_base(
        r#""Workload":"PowerApps","ObjectId":"ABCDEF01-2345-6789-ABCD-EF0123456789""#,
    ));
    assert_eq!(e.app_kind, AppKind::PowerApp);
    assert_eq!(
        e.app_id.as_deref(),
        Some("abcdef01-2345-6789-abcd-ef0123456789")
    );

    let e = event(&with_base(
        r#""Workload":"PowerApps","ObjectId":"not a guid""#,
    ));
    assert_eq!(e.app_id, None);
}

#[test]
fn flow_ids_from_properties_url_or_object_id() {
    let e = event(&with_base(
        r#""Workload":"PowerPlatform","PropertyCollection":[{"Name":"powerplatform.analytics.resource.type","Value":"CloudFlow"},{"Name":"powerplatform.analytics.resource.cloud_flow.id","Value":"55555555-5555-5555-5555-555555555555"},{"Name":"powerplatform.analytics.resource.cloud_flow.display_name","Value":"Nightly"}]"#,
    ));
    assert_eq!(e.app_kind, AppKind::Flow);
    assert_eq!(
        e.app_id.as_deref(),
        Some("55555555-5555-5555-5555-555555555555")
    );
    assert_eq!(e.app_display_name.as_deref(), Some("Nightly"));

    let e = event(
        r#"{"Id":"a","CreationTime":"2026-05-19T13:17:34","RecordType":30,"Workload":"MicrosoftFlow","FlowDetailsUrl":"https://make.powerautomate.com/environments/Default-7d2b9f3e/flows/66666666-6666-6666-6666-666666666666/details"}"#,
    );
    assert_eq!(e.app_kind, AppKind::Flow);
    assert_eq!(
        e.app_id.as_deref(),
        Some("66666666-6666-6666-6666-666666666666")
    );
    assert_eq!(e.environment_id.as_deref(), Some("Default-7d2b9f3e"));

    let e = event(
        r#"{"Id":"a","CreationTime":"2026-05-19T13:17:34","RecordType":30,"FlowDetailsUrl":"https://example.com/nothing-here","ObjectId":"flow-object"}"#,
    );
    assert_eq!(e.app_id.as_deref(), Some("flow-object"));
}

#[test]
fn other_records_have_no_app() {
    let e = event(&with_base(
        r#""Workload":"PowerPlatform","AppName":"x","ObjectId":"77777777-7777-7777-7777-777777777777""#,
    ));
    assert_eq!(e.app_kind, AppKind::Other);
    assert_eq!(e.app_id, None);
}

#[test]
fn deep_values_do_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = event(&with_base(&format!(r#""Unknown":{deep},"UserId":"u@x""#)));
    assert_eq!(e.user_upn.as_deref(), Some("u@x"));
    let e = event(&with_base(&format!(r#""UserId":{deep}"#)));
    assert_eq!(e.user_upn, None);
    let r = rejection(&deep);
    assert_eq!(r.kind(), RejectionKind::NotAnObject);
}

#[test]
fn helpers_are_case_insensitive() {
    let e = event(&with_base(r#""Operation":"launchpowerapp""#));
    assert!(e.is_launch());
    let e = event(&with_base(r#""Operation":"DELETEPOWERAPP""#));
    assert!(e.is_app_deletion());
}

#[test]
fn creation_times_no_tenant_can_have_are_rejected() {
    let record = |time: &str| {
        format!(
            r#"{{"Id":"a","CreationTime":"{time}","RecordType":45,"Operation":"LaunchPowerApp"}}"#
        )
    };
    let ahead = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap();
    for bad in [
        "1999-12-31T23:59:59",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59",
        &ahead,
    ] {
        let r = rejection(&record(bad));
        assert_eq!(r.kind(), RejectionKind::ImplausibleCreationTime, "{bad}");
        assert!(
            r.to_string().contains(bad),
            "the message names the value: {r}"
        );
    }
    // Clock skew of a few hours is not implausible.
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::hours(20))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap();
    for good in ["2000-01-01T00:00:00", soon.as_str()] {
        assert!(classify_all(&record(good)).is_ok(), "{good}");
    }
}

#[test]
fn app_ids_and_users_that_cannot_be_keys_are_rejected() {
    let launch = |app: &str, user: &str| {
        serde_json::json!({"Id": "a", "CreationTime": "2026-05-19T13:17:34", "RecordType": 45,
            "Operation": "LaunchPowerApp", "Workload": "PowerApps", "AppName": app, "UserId": user})
        .to_string()
    };
    let long = "a".repeat(audit_records::MAX_APP_ID_BYTES + 1);
    for bad in [long.as_str(), "app#1", "app\u{7}1", "app\n1"] {
        assert_eq!(
            rejection(&launch(bad, "ana@contoso.com")).kind(),
            RejectionKind::InvalidAppId,
            "{bad:?}"
        );
    }
    let long_user = format!("{}@contoso.com", "u".repeat(audit_records::MAX_USER_BYTES));
    for bad in [long_user.as_str(), "ana\u{0}@contoso.com"] {
        assert_eq!(
            rejection(&launch("b0b0b0b0-0000-4000-8000-000000000001", bad)).kind(),
            RejectionKind::InvalidUser
        );
    }
    // A guest's UPN carries '#': it is no delimiter inside a user, so it is fine.
    let guest = event(&launch(
        "b0b0b0b0-0000-4000-8000-000000000001",
        "ana_fabrikam.com#EXT#@contoso.onmicrosoft.com",
    ));
    assert!(guest.user_upn.unwrap().contains("#EXT#"));
}
