//! The top-level fields of a record that classification looks at, read in one pass
//! that borrows strings from the JSON text and skips everything else unparsed.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::scalar::Scalar;
use crate::rejection::{Rejection, RejectionKind};

/// The fields of a record that classification looks at.
#[derive(Default)]
pub(super) struct Probe<'a> {
    pub(super) id: Option<Scalar<'a>>,
    pub(super) creation_time: Option<Scalar<'a>>,
    pub(super) record_type: Option<Scalar<'a>>,
    pub(super) operation: Option<Cow<'a, str>>,
    pub(super) workload: Option<Cow<'a, str>>,
    pub(super) user_id: Option<Cow<'a, str>>,
    pub(super) user_key: Option<Cow<'a, str>>,
    pub(super) result_status: Option<Cow<'a, str>>,
    pub(super) client_ip: Option<Cow<'a, str>>,
    pub(super) object_id: Option<Cow<'a, str>>,
    pub(super) app_name: Option<Cow<'a, str>>,
    pub(super) app_display_name: Option<Cow<'a, str>>,
    pub(super) environment_id: Option<Cow<'a, str>>,
    pub(super) environment_name: Option<Cow<'a, str>>,
    pub(super) flow_details_url: Option<Cow<'a, str>>,
    pub(super) property_collection: Option<&'a RawValue>,
}

impl<'a> Probe<'a> {
    pub(super) fn read(text: &'a str) -> Result<Self, Rejection> {
        let text = text.trim_start_matches([' ', '\t', '\n', '\r']);
        let what = match text.as_bytes().first() {
            Some(b'{') => None,
            Some(b'[') => Some("an array"),
            Some(b'"') => Some("a string"),
            Some(b't' | b'f') => Some("a boolean"),
            Some(b'n') => Some("null"),
            Some(_) => Some("a number"),
            None => Some("nothing"),
        };
        if let Some(what) = what {
            return Err(Rejection::with_detail(
                RejectionKind::NotAnObject,
                format!("got {what}"),
            ));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        Probe::deserialize(&mut de)
            .map_err(|e| Rejection::with_detail(RejectionKind::InvalidJson, e.to_string()))
    }
}

/// Top-level keys we read; everything else is skipped unparsed.
enum Field {
    Id,
    CreationTime,
    RecordType,
    Operation,
    Workload,
    UserId,
    UserKey,
    ResultStatus,
    ClientIp,
    ObjectId,
    AppName,
    AppDisplayName,
    EnvironmentId,
    EnvironmentName,
    FlowDetailsUrl,
    PropertyCollection,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
                Ok(match key {
                    "Id" => Field::Id,
                    "CreationTime" => Field::CreationTime,
                    "RecordType" => Field::RecordType,
                    "Operation" => Field::Operation,
                    "Workload" => Field::Workload,
                    "UserId" => Field::UserId,
                    "UserKey" => Field::UserKey,
                    "ResultStatus" => Field::ResultStatus,
                    "ClientIP" => Field::ClientIp,
                    "ObjectId" => Field::ObjectId,
                    "AppName" => Field::AppName,
                    "AppDisplayName" => Field::AppDisplayName,
                    "EnvironmentId" => Field::EnvironmentId,
                    "EnvironmentName" => Field::EnvironmentName,
                    "FlowDetailsUrl" => Field::FlowDetailsUrl,
                    "PropertyCollection" => Field::PropertyCollection,
                    _ => Field::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProbeVisitor;
        impl<'de> Visitor<'de> for ProbeVisitor {
            type Value = Probe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an audit record object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe<'de>, A::Error> {
                let mut probe = Probe::default();
                // Duplicate keys: the last one wins, as in most JSON readers.
                while let Some(field) = map.next_key::<Field>()? {
                    let slot = match field {
                        Field::Id => {
                            probe.id = Some(map.next_value()?);
                            continue;
                        }
                        Field::CreationTime => {
                            probe.creation_time = Some(map.next_value()?);
                            continue;
                        }
                        Field::RecordType => {
                            probe.record_type = Some(map.next_value()?);
                            continue;
                        }
                        Field::PropertyCollection => {
                            probe.property_collection = Some(map.next_value()?);
                            continue;
                        }
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                        Field::Operation => &mut probe.operation,
                        Field::Workload => &mut probe.workload,
                        Field::UserId => &mut probe.user_id,
                        Field::UserKey => &mut probe.user_key,
                        Field::ResultStatus => &mut probe.result_status,
                        Field::ClientIp => &mut probe.client_ip,
                        Field::ObjectId => &mut probe.object_id,
                        Field::AppName => &mut probe.app_name,
                        Field::AppDisplayName => &mut probe.app_display_name,
                        Field::EnvironmentId => &mut probe.environment_id,
                        Field::EnvironmentName => &mut probe.environment_name,
                        Field::FlowDetailsUrl => &mut probe.flow_details_url,
                    };
                    // Optional text fields of another JSON type are treated as absent.
                    *slot = map.next_value::<Scalar>()?.into_text();
                }
                Ok(probe)
            }
        }
        deserializer.deserialize_map(ProbeVisitor)
    }
}
