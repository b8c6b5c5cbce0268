//! Audit record shapes, and the facts the truth reports about a record.
//!
//! Generated records are typed structs rather than `serde_json::Value`s so
//! that the field order matches Microsoft's output (and the samples in
//! `shared/records/tests/fixtures/sample-records.json`) whatever features of
//! `serde_json` another crate in the workspace turns on.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::rng::is_guid;
use crate::timefmt::parse_creation_time;

pub const PROP_APP_ID: &str = "powerplatform.analytics.resource.power_app.id";
pub const PROP_APP_DISPLAY_NAME: &str = "powerplatform.analytics.resource.power_app.display_name";
pub const PROP_ENVIRONMENT_ID: &str = "powerplatform.analytics.resource.environment.id";
pub const PROP_RESOURCE_TYPE: &str = "powerplatform.analytics.resource.type";
pub const PROP_ACTIVITY_NAME: &str = "powerplatform.analytics.activity.name";
pub const PROP_TENANT_ID: &str = "powerplatform.analytics.resource.tenant.id";
pub const PROP_PRINCIPAL_NAME: &str = "enduser.principal_name";
pub const PROP_ENDUSER_ID: &str = "enduser.id";
pub const PROP_ENDUSER_ROLE: &str = "enduser.role";

#[derive(Debug, Clone, Serialize)]
pub struct NameValue {
    #[serde(rename = "Name")]
    pub name: &'static str,
    #[serde(rename = "Value")]
    pub value: String,
}

/// A Power Apps launch in the current shape (RecordType 256).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PowerPlatformLaunch {
    pub property_collection: Vec<NameValue>,
    pub environment_id: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub id: String,
    pub record_type: i64,
    pub creation_time: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub workload: &'static str,
    pub result_status: &'static str,
    pub version: i64,
    pub requires_customer_key_encryption: bool,
}

/// Other RecordType 256 app events (DeletePowerApp, PowerAppPermissionEdited).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PowerPlatformAppEvent {
    pub id: String,
    pub creation_time: String,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub result_status: &'static str,
    pub record_type: i64,
    pub workload: &'static str,
    pub operation: &'static str,
    pub property_collection: Vec<NameValue>,
}

/// A Power Apps launch in the older shape (RecordType 45).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyLaunch {
    pub id: String,
    pub record_type: i64,
    pub creation_time: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub workload: &'static str,
    pub result_status: &'static str,
    pub object_id: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub app_name: String,
    pub environment_name: String,
    pub app_session_id: String,
    pub app_display_name: String,
}

/// A Power Automate event (RecordType 30).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlowEvent {
    pub id: String,
    pub creation_time: String,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub result_status: &'static str,
    pub record_type: i64,
    pub workload: &'static str,
    pub operation: &'static str,
    pub flow_details_url: String,
}

/// Any other workload, in the common-schema order of Microsoft's own
/// samples, followed by workload-specific properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OtherRecord {
    pub creation_time: String,
    pub id: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub record_type: i64,
    pub result_status: &'static str,
    pub user_key: String,
    pub user_type: i64,
    pub version: i64,
    pub workload: &'static str,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub object_id: String,
    pub user_id: String,
    #[serde(flatten)]
    pub details: Properties,
}

/// Extra properties in a fixed order (a `Map` would sort them).
#[derive(Debug, Clone, Default)]
pub struct Properties(pub Vec<(&'static str, Value)>);

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Record {
    PowerPlatformLaunch(PowerPlatformLaunch),
    PowerPlatformAppEvent(PowerPlatformAppEvent),
    LegacyLaunch(LegacyLaunch),
    Flow(FlowEvent),
    Other(OtherRecord),
}

/// What the truth says about one valid record. Everything but `id` and
/// `creation_time` is optional because custom blobs may hold any JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    pub id: String,
    /// Exactly as written in the record.
    pub creation_time: String,
    pub operation: Option<String>,
    pub record_type: Option<i64>,
    pub workload: Option<String>,
    pub user_id: Option<String>,
    /// The Power App's id: `PropertyCollection` `...power_app.id`, else `AppName`.
    pub app_id: Option<String>,
    pub app_display_name: Option<String>,
    pub environment_id: Option<String>,
    /// The flow's id, taken from `FlowDetailsUrl`.
    pub flow_id: Option<String>,
}

fn property<'a>(props: &'a [NameValue], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// The last GUID-shaped path segment of a flow URL.
fn flow_id_from_url(url: &str) -> Option<String> {
    url.split(['/', '?', '#'])
        .rev()
        .find(|segment| is_guid(segment))
        .map(str::to_string)
}

impl Record {
    /// Must agree with [`facts_from_value`] on the serialized record; a test
    /// checks that for every generated record.
    pub fn facts(&self) -> RecordFacts {
        match self {
            Record::PowerPlatformLaunch(r) => RecordFacts {
                id: r.id.clone(),
                creation_time: r.creation_time.clone(),
                operation: Some(r.operation.to_string()),
                record_type: Some(r.record_type),
                workload: Some(r.workload.to_string()),
                user_id: Some(r.user_id.clone()),
                app_id: owned(property(&r.property_collection, PROP_APP_ID)),
                app_display_name: owned(property(&r.property_collection, PROP_APP_DISPLAY_NAME)),
                environment_id: Some(r.environment_id.clone()),
                flow_id: None,
            },
            Record::PowerPlatformAppEvent(r) => RecordFacts {
                id: r.id.clone(),
                creation_time: r.creation_time.clone(),
                operation: Some(r.operation.to_string()),
                record_type: Some(r.record_type),
                workload: Some(r.workload.to_string()),
                user_id: Some(r.user_id.clone()),
                app_id: owned(property(&r.property_collection, PROP_APP_ID)),
                app_display_name: owned(property(&r.property_collection, PROP_APP_DISPLAY_NAME)),
                environment_id: owned(property(&r.property_collection, PROP_ENVIRONMENT_ID)),
                flow_id: None,
            },
            Record::LegacyLaunch(r) => RecordFacts {
                id: r.id.clone(),
                creation_time: r.creation_time.clone(),
                operation: Some(r.operation.to_string()),
                record_type: Some(r.record_type),
                workload: Some(r.workload.to_string()),
                user_id: Some(r.user_id.clone()),
                app_id: Some(r.app_name.clone()),
                app_display_name: Some(r.app_display_name.clone()),
                environment_id: Some(r.environment_name.clone()),
                flow_id: None,
            },
            Record::Flow(r) => RecordFacts {
                id: r.id.clone(),
                creation_time: r.creation_time.clone(),
                operation: Some(r.operation.to_string()),
                record_type: Some(r.record_type),
                workload: Some(r.workload.to_string()),
                user_id: Some(r.user_id.clone()),
                app_id: None,
                app_display_name: None,
                environment_id: None,
                flow_id: flow_id_from_url(&r.flow_details_url),
            },
            Record::Other(r) => RecordFacts {
                id: r.id.clone(),
                creation_time: r.creation_time.clone(),
                operation: Some(r.operation.to_string()),
                record_type: Some(r.record_type),
                workload: Some(r.workload.to_string()),
                user_id: Some(r.user_id.clone()),
                app_id: None,
                app_display_name: None,
                environment_id: None,
                flow_id: None,
            },
        }
    }
}

/// Why an item of a blob is not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedReason {
    NotObject,
    MissingId,
    BadCreationTime,
}

/// Classifies any JSON item the way the truth does: an object with a string
/// `Id` and a `CreationTime` in the record format is a record, anything else
/// is malformed.
pub fn facts_from_value(value: &Value) -> Result<RecordFacts, MalformedReason> {
    let object = value.as_object().ok_or(MalformedReason::NotObject)?;
    let id = object
        .get("Id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or(MalformedReason::MissingId)?;
    let creation_time = object
        .get("CreationTime")
        .and_then(Value::as_str)
        .filter(|t| parse_creation_time(t).is_some())
        .ok_or(MalformedReason::BadCreationTime)?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let from_properties = |name: &str| {
        object
            .get("PropertyCollection")
            .and_then(Value::as_array)
            .and_then(|props| {
                props
                    .iter()
                    .find(|p| p.get("Name").and_then(Value::as_str) == Some(name))
            })
            .and_then(|p| p.get("Value"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(RecordFacts {
        id: id.to_string(),
        creation_time: creation_time.to_string(),
        operation: text("Operation"),
        record_type: object.get("RecordType").and_then(Value::as_i64),
        workload: text("Workload"),
        user_id: text("UserId"),
        app_id: from_properties(PROP_APP_ID).or_else(|| text("AppName")),
        app_display_name: from_properties(PROP_APP_DISPLAY_NAME).or_else(|| text("AppDisplayName")),
        environment_id: text("EnvironmentId")
            .or_else(|| from_properties(PROP_ENVIRONMENT_ID))
            .or_else(|| text("EnvironmentName")),
        flow_id: text("FlowDetailsUrl").and_then(|url| flow_id_from_url(&url)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples the records crate is tested with, so that the emulator reads the
    /// same shapes; compiled in, so that without the file the test cannot pass.
    const SAMPLES: &str =
        include_str!("../../../shared/records/tests/fixtures/sample-records.json");

    #[test]
    fn samples_classify_like_the_reference() {
        let samples: Value = serde_json::from_str(SAMPLES).expect("sample-records.json is JSON");
        let samples = samples.as_object().expect("an object of named samples");
        for (name, sample) in samples {
            let result = facts_from_value(sample);
            if name.starts_with("malformed") {
                assert_eq!(result, Err(MalformedReason::MissingId), "{name}");
            } else {
                let facts = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                if name.starts_with("launch") || name.starts_with("app deleted") {
                    assert!(facts.app_id.is_some(), "{name}");
                }
                if name.starts_with("flow") {
                    assert_eq!(
                        facts.flow_id.as_deref(),
                        Some("cafdd23a-bba6-4b36-b1a0-161891166863")
                    );
                }
            }
        }
    }

    #[test]
    fn non_objects_and_bad_times_are_malformed() {
        assert_eq!(
            facts_from_value(&serde_json::json!("x")),
            Err(MalformedReason::NotObject)
        );
        assert_eq!(
            facts_from_value(&serde_json::json!({"Id": "a", "CreationTime": "soon"})),
            Err(MalformedReason::BadCreationTime)
        );
        assert_eq!(
            facts_from_value(&serde_json::json!({"Id": 5, "CreationTime": "2026-01-01T00:00:00"})),
            Err(MalformedReason::MissingId)
        );
    }
}
