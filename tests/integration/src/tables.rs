//! The DynamoDB tables of one test, created in moto from the template's definitions, and
//! reading a whole table back.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use serde_json::Value;

use crate::{Moto, free_port, repo_root, venv_tool};

/// Table names for one test: unique, so tests may share nothing by accident.
#[derive(Debug, Clone)]
pub struct Tables {
    pub events: String,
    pub state: String,
}

impl Tables {
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AUDIT_LOGS_TABLE".into(), self.events.clone()),
            ("AUDIT_LOGS_STATE_TABLE".into(), self.state.clone()),
        ]
    }
}

/// Creates the tables exactly as `infra/template.yaml` defines them (read through
/// `scripts/tables.py describe`, the same definition `make tables` uses), in moto.
pub async fn create_tables(moto: &Moto) -> Tables {
    let definitions = described_tables();
    let suffix = format!("{}-{}", std::process::id(), free_port());
    let tables = Tables {
        events: format!("events-{suffix}"),
        state: format!("state-{suffix}"),
    };
    let client = Client::new(&moto.sdk_config().await);
    for definition in &definitions {
        let name = match definition["env_var"].as_str() {
            Some("AUDIT_LOGS_TABLE") => &tables.events,
            Some("AUDIT_LOGS_STATE_TABLE") => &tables.state,
            other => panic!("unexpected table variable {other:?}"),
        };
        create_table(&client, name, definition).await;
    }
    tables
}

/// The template's table definitions, as `scripts/tables.py describe` prints them.
fn described_tables() -> Vec<Value> {
    let output = std::process::Command::new(venv_tool("python"))
        .arg(repo_root().join("scripts/tables.py"))
        .arg("describe")
        .output()
        .expect("scripts/tables.py runs");
    assert!(
        output.status.success(),
        "scripts/tables.py describe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let described: Value =
        serde_json::from_slice(&output.stdout).expect("tables.py describe prints JSON");
    let Value::Array(definitions) = described else {
        panic!("a list of tables");
    };
    assert_eq!(
        definitions.len(),
        2,
        "the template defines the events and the state table"
    );
    definitions
}

/// One table as the template defines it: on demand, with its keys, and its TTL if it has one.
async fn create_table(client: &Client, name: &str, definition: &Value) {
    let mut create = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for key in key_schema(definition) {
        create = create.key_schema(key);
    }
    for attribute in attribute_definitions(definition) {
        create = create.attribute_definitions(attribute);
    }
    create.send().await.expect("moto creates the table");
    if let Some(ttl) = definition["ttl_attribute"].as_str() {
        enable_ttl(client, name, ttl).await;
    }
}

fn key_schema(definition: &Value) -> Vec<KeySchemaElement> {
    definition["key_schema"]
        .as_array()
        .expect("key_schema")
        .iter()
        .map(|key| {
            KeySchemaElement::builder()
                .attribute_name(key["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(key["KeyType"].as_str().unwrap()))
                .build()
                .unwrap()
        })
        .collect()
}

fn attribute_definitions(definition: &Value) -> Vec<AttributeDefinition> {
    definition["attribute_definitions"]
        .as_array()
        .expect("attribute_definitions")
        .iter()
        .map(|attribute| {
            AttributeDefinition::builder()
                .attribute_name(attribute["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    attribute["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap()
        })
        .collect()
}

async fn enable_ttl(client: &Client, name: &str, attribute: &str) {
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(attribute)
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("moto sets the TTL");
}

/// Every item of a table (a Scan: only tests look at a whole table).
pub async fn scan_all(
    moto: &Moto,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let client = Client::new(&moto.sdk_config().await);
    let mut pages = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    let mut items = Vec::new();
    while let Some(item) = pages.next().await {
        items.push(item.expect("scan works"));
    }
    items
}
