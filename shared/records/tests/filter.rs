//! `OperationFilter`: parsing the configured list, and what each filter keeps.

use audit_records::{AppKind, FilterError, OperationFilter, classify};
use serde_json::value::RawValue;

fn record(record_type: i64, workload: &str, operation: &str, extra: &str) -> Box<RawValue> {
    let json = format!(
        r#"{{"Id":"r","CreationTime":"2026-05-19T13:17:34","RecordType":{record_type},"Workload":"{workload}","Operation":"{operation}"{extra}}}"#
    );
    RawValue::from_string(json).unwrap()
}

fn keeps(filter: &OperationFilter, raw: &RawValue) -> bool {
    classify(raw, filter).expect("valid record").is_some()
}

#[test]
fn parses_a_list() {
    let filter = OperationFilter::parse("LaunchPowerApp,DeletePowerApp").unwrap();
    assert_eq!(
        filter,
        OperationFilter::Operations(vec!["LaunchPowerApp".into(), "DeletePowerApp".into()])
    );
    assert_eq!(filter.to_string(), "LaunchPowerApp,DeletePowerApp");
    assert_eq!(OperationFilter::parse(&filter.to_string()).unwrap(), filter);
}

#[test]
fn trims_entries_and_drops_duplicates() {
    let filter: OperationFilter = " LaunchPowerApp , launchpowerapp,\tDeletePowerApp "
        .parse()
        .unwrap();
    assert_eq!(filter.to_string(), "LaunchPowerApp,DeletePowerApp");
}

#[test]
fn star_means_everything() {
    let filter = OperationFilter::parse(" * ").unwrap();
    assert_eq!(filter, OperationFilter::All);
    assert_eq!(filter.to_string(), "*");
    assert!(keeps(
        &filter,
        &record(2, "Exchange", "MailItemsAccessed", "")
    ));
}

#[test]
fn empty_values_are_errors() {
    for value in ["", " ", "\t\n"] {
        assert_eq!(
            OperationFilter::parse(value),
            Err(FilterError::Empty),
            "{value:?}"
        );
    }
    let err = OperationFilter::parse("").unwrap_err().to_string();
    assert!(err.contains("empty") && err.contains('*'), "{err}");
}

#[test]
fn empty_entries_are_errors() {
    for (value, position) in [("a,,b", 2), ("a,", 2), (",a", 1), ("a, ,b", 2)] {
        assert_eq!(
            OperationFilter::parse(value),
            Err(FilterError::EmptyEntry {
                list: value.to_owned(),
                position
            }),
            "{value:?}"
        );
    }
    assert_eq!(
        OperationFilter::parse("a,,b").unwrap_err().to_string(),
        "the operation list `a,,b` has an empty entry (number 2): remove the stray comma"
    );
}

#[test]
fn malformed_entries_are_errors() {
    assert_eq!(
        OperationFilter::parse("Launch PowerApp"),
        Err(FilterError::Whitespace {
            entry: "Launch PowerApp".into()
        })
    );
    assert_eq!(
        OperationFilter::parse("Launch*"),
        Err(FilterError::PartialWildcard {
            entry: "Launch*".into()
        })
    );
    assert_eq!(
        OperationFilter::parse("*,LaunchPowerApp"),
        Err(FilterError::WildcardWithNames {
            list: "*,LaunchPowerApp".into()
        })
    );
}

#[test]
fn operation_lists_match_case_insensitively_in_any_workload() {
    let filter = OperationFilter::parse("LaunchPowerApp").unwrap();
    assert!(keeps(
        &filter,
        &record(256, "PowerPlatform", "LAUNCHPOWERAPP", "")
    ));
    assert!(keeps(
        &filter,
        &record(45, "PowerApps", "launchpowerapp", "")
    ));
    assert!(!keeps(
        &filter,
        &record(256, "PowerPlatform", "DeletePowerApp", "")
    ));
    assert!(!keeps(
        &filter,
        &record(256, "PowerPlatform", "LaunchPowerApps", "")
    ));
}

#[test]
fn default_keeps_power_platform_record_types() {
    let filter = OperationFilter::default();
    for record_type in [30, 45, 46, 79, 256] {
        assert!(
            keeps(&filter, &record(record_type, "Anything", "X", "")),
            "{record_type}"
        );
    }
}

#[test]
fn default_keeps_power_apps_and_automate_workloads() {
    let filter = OperationFilter::default();
    for workload in ["PowerApps", "MicrosoftFlow", "PowerAutomate", "powerapps"] {
        assert!(
            keeps(&filter, &record(9999, workload, "X", "")),
            "{workload}"
        );
    }
}

#[test]
fn default_drops_other_workloads() {
    let filter = OperationFilter::default();
    assert!(!keeps(
        &filter,
        &record(2, "Exchange", "MailItemsAccessed", "")
    ));
    assert!(!keeps(&filter, &record(20, "PowerBI", "ViewReport", "")));
    assert!(!keeps(
        &filter,
        &record(1, "SharePoint", "FileAccessed", "")
    ));
}

#[test]
fn default_keeps_power_platform_workload_only_about_apps_or_flows() {
    let filter = OperationFilter::default();
    assert!(!keeps(
        &filter,
        &record(187, "PowerPlatform", "DlpPolicyEdited", "")
    ));
    assert!(!keeps(
        &filter,
        &record(
            187,
            "PowerPlatform",
            "EnvironmentCreated",
            r#","PropertyCollection":[{"Name":"powerplatform.analytics.resource.type","Value":"Environment"}]"#
        )
    ));
    for pc in [
        r#"{"Name":"powerplatform.analytics.resource.type","Value":"PowerApp"}"#,
        r#"{"Name":"powerplatform.analytics.resource.type","Value":"CloudFlow"}"#,
        r#"{"Name":"powerplatform.analytics.resource.power_app.id","Value":"x"}"#,
        r#"{"Name":"powerplatform.analytics.resource.flow.id","Value":"x"}"#,
    ] {
        let raw = record(
            300,
            "PowerPlatform",
            "Something",
            &format!(r#","PropertyCollection":[{pc}]"#),
        );
        assert!(keeps(&filter, &raw), "{pc}");
    }
}

#[test]
fn default_displays_its_rule() {
    let text = OperationFilter::default().to_string();
    assert!(
        text.contains("Power Apps") && text.contains("256"),
        "{text}"
    );
}

#[test]
fn the_default_keeps_copilot_studio_agents_and_their_authoring_not_microsoft_365_copilot() {
    let filter = OperationFilter::default();
    let agent_turn = r#","AgentId":"CopilotStudio.Custom.cr3f1_help","AgentPlatform":"CopilotStudio","PlatformAgentId":"Default-72f988bf-86f1-41af-91ab-2d7cd011db47_0F4C6D3A-1B2C-4D5E-8F90-123456789ABC","CopilotEventData":{"AppHost":"Teams","ThreadId":"19:abc","Messages":[{"Id":"1","isPrompt":true}]}"#;
    let event = classify(
        &record(261, "Copilot", "CopilotInteraction", agent_turn),
        &filter,
    )
    .unwrap()
    .expect("an agent's turn is kept");
    assert_eq!(event.app_kind, AppKind::Agent);
    assert_eq!(
        event.app_id.as_deref(),
        Some("CopilotStudio.Custom.cr3f1_help")
    );
    assert_eq!(
        event.bot_id.as_deref(),
        Some("0f4c6d3a-1b2c-4d5e-8f90-123456789abc")
    );
    assert_eq!(
        event.environment_id.as_deref(),
        Some("Default-72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    assert_eq!(event.conversation_id.as_deref(), Some("19:abc"));
    assert!(event.is_agent_interaction());

    // Copilot in Word names no agent.
    let word = r#","CopilotEventData":{"AppHost":"Word","ThreadId":"t"}"#;
    assert!(!keeps(
        &filter,
        &record(261, "Copilot", "CopilotInteraction", word)
    ));
    // Unless asked for by name.
    let named = OperationFilter::parse("CopilotInteraction").unwrap();
    assert!(keeps(
        &named,
        &record(261, "Copilot", "CopilotInteraction", word)
    ));

    // Authoring names the bot, whatever the workload says; Teams' bots are not agents.
    let delete = classify(
        &record(384, "PowerPlatform", "BotDelete", r#","BotId":"B0-1""#),
        &filter,
    )
    .unwrap()
    .expect("authoring is kept");
    assert_eq!(
        (
            delete.app_kind,
            delete.app_id.as_deref(),
            delete.bot_id.as_deref()
        ),
        (AppKind::Agent, Some("B0-1"), Some("B0-1"))
    );
    for operation in [
        "BotCreate",
        "botupdateoperation-BotPublish",
        "BotComponentUpdate",
    ] {
        assert!(
            keeps(&filter, &record(9999, "Anything", operation, "")),
            "{operation}"
        );
    }
    assert!(!keeps(
        &filter,
        &record(25, "MicrosoftTeams", "BotAddedToTeam", "")
    ));
}

#[test]
fn launches_name_their_environment_in_both_shapes() {
    let filter = OperationFilter::default();
    let current = r#","EnvironmentId":"Default-72f988bf-86f1-41af-91ab-2d7cd011db47","PropertyCollection":[{"Name":"powerplatform.analytics.resource.power_app.id","Value":"a1"},{"Name":"powerplatform.analytics.resource.environment.name","Value":"Contoso (default)"}]"#;
    let event = classify(
        &record(256, "PowerPlatform", "LaunchPowerApp", current),
        &filter,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        event.environment_id.as_deref(),
        Some("Default-72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    assert_eq!(event.environment_name.as_deref(), Some("Contoso (default)"));
    // The older shape's EnvironmentName is the environment's id, not a name.
    let older = r#","AppName":"a1","EnvironmentName":"0F4C6D3A-1B2C-4D5E-8F90-123456789ABC""#;
    let event = classify(&record(45, "PowerApps", "LaunchPowerApp", older), &filter)
        .unwrap()
        .unwrap();
    assert_eq!(
        event.environment_id.as_deref(),
        Some("0f4c6d3a-1b2c-4d5e-8f90-123456789abc")
    );
    assert_eq!(event.environment_name, None);
}
