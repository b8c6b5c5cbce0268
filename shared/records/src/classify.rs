//! One record: validation, filtering and extraction of the stored fields.
//!
//! A record is read once, into a probe that borrows its strings from the JSON text and
//! skips every other field with `IgnoredAny`; no `serde_json::Value` is built. The
//! `PropertyCollection` is only captured as raw text and read when the record is kept
//! (or when the filter needs it), since most of an `Audit.General` blob is other
//! workloads that the default filter drops.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::filter::OperationFilter;
use crate::model::{AppKind, AuditEvent, record_type};
use crate::rejection::{Rejection, RejectionKind, quote};
use crate::timestamp::parse_timestamp;

/// An `Id` longer than this is refused: it is the storage key (DynamoDB allows 2 KiB
/// per partition key) and real ones are GUIDs.
pub const MAX_ID_BYTES: usize = 512;

/// Validates one record and, if the filter keeps it, extracts the stored fields.
///
/// `Ok(None)`: a valid record the filter does not keep (the app/flow fields are not
/// worked out for it). `Err`: a malformed record, i.e. not a JSON object, or without a
/// usable `Id`, `CreationTime` or integer `RecordType`. Unknown fields and unknown
/// `RecordType` numbers are fine.
pub fn classify(raw: &RawValue, filter: &OperationFilter) -> Result<Option<AuditEvent>, Rejection> {
    Ok(extract(raw.get(), filter)?.map(|mut event| {
        event.raw = raw.get().to_owned();
        event
    }))
}

/// [`classify`], moving the JSON text into the event instead of copying it.
pub(crate) fn classify_owned(
    raw: Box<RawValue>,
    filter: &OperationFilter,
) -> Result<Option<AuditEvent>, Rejection> {
    Ok(extract(raw.get(), filter)?.map(|mut event| {
        event.raw = Box::<str>::from(raw).into_string();
        event
    }))
}

/// Everything but `raw`, which the callers fill in from what they own.
fn extract(text: &str, filter: &OperationFilter) -> Result<Option<AuditEvent>, Rejection> {
    let mut probe = Probe::read(text)?;

    let id = match probe.id.take() {
        None | Some(Scalar::Null) => return Err(Rejection::new(RejectionKind::MissingId)),
        Some(Scalar::Str(id)) if id.trim().is_empty() => {
            return Err(Rejection::new(RejectionKind::MissingId));
        }
        Some(Scalar::Str(id)) if id.len() > MAX_ID_BYTES => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidId,
                format!("{} bytes, at most {MAX_ID_BYTES} allowed", id.len()),
            ));
        }
        Some(Scalar::Str(id)) => id,
        Some(other) => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidId,
                format!("got {other}"),
            ));
        }
    };

    let creation_time = match &probe.creation_time {
        None | Some(Scalar::Null) => {
            return Err(Rejection::with_detail(
                RejectionKind::MissingCreationTime,
                format!("record {}", quote(&id)),
            ));
        }
        Some(Scalar::Str(text)) => parse_timestamp(text).ok_or_else(|| {
            Rejection::with_detail(
                RejectionKind::InvalidCreationTime,
                format!("record {}: got {}", quote(&id), quote(text)),
            )
        })?,
        Some(other) => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidCreationTime,
                format!("record {}: got {other}", quote(&id)),
            ));
        }
    };

    let record_type = match &probe.record_type {
        Some(Scalar::Int(n)) => *n,
        None | Some(Scalar::Null) => {
            return Err(Rejection::with_detail(
                RejectionKind::MissingRecordType,
                format!("record {}", quote(&id)),
            ));
        }
        Some(other) => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidRecordType,
                format!("record {}: got {other}", quote(&id)),
            ));
        }
    };

    let operation = probe.operation.as_deref().unwrap_or("");
    let workload = probe.workload.as_deref().unwrap_or("");
    let mut properties = None;
    let kept = filter.keeps(operation, workload, record_type, || {
        properties
            .get_or_insert_with(|| Properties::read(probe.property_collection))
            .about_app_or_flow()
    });
    if !kept {
        return Ok(None);
    }
    let props = properties.unwrap_or_else(|| Properties::read(probe.property_collection));

    let app_kind = app_kind(&probe, &props, record_type);
    let app_id = match app_kind {
        AppKind::PowerApp => non_empty(&props.app_id)
            .or_else(|| non_empty(&probe.app_name))
            .or_else(|| non_empty(&probe.object_id).filter(|id| is_guid(id))),
        AppKind::Flow => non_empty(&props.flow_id)
            .or_else(|| {
                probe
                    .flow_details_url
                    .as_deref()
                    .and_then(|url| path_segment_after(url, "/flows/"))
                    .filter(|id| is_guid(id))
            })
            .or_else(|| non_empty(&probe.object_id)),
        AppKind::Other => None,
    }
    .map(normalize_id);
    let app_display_name = match app_kind {
        AppKind::Flow => non_empty(&props.flow_display_name),
        _ => non_empty(&props.app_display_name),
    }
    .or_else(|| non_empty(&probe.app_display_name))
    .map(str::to_owned);
    let environment_id = non_empty(&props.environment_id)
        .or_else(|| non_empty(&probe.environment_id))
        .or_else(|| non_empty(&probe.environment_name))
        .or_else(|| {
            probe
                .flow_details_url
                .as_deref()
                .and_then(|url| path_segment_after(url, "/environments/"))
                .filter(|env| !env.is_empty())
        })
        .map(str::to_owned);
    let user_upn = non_empty(&probe.user_id)
        .or_else(|| non_empty(&props.principal_name))
        .map(str::to_owned);

    Ok(Some(AuditEvent {
        id: id.into_owned(),
        creation_time,
        operation: operation.to_owned(),
        workload: workload.to_owned(),
        record_type,
        app_id,
        app_kind,
        app_display_name,
        environment_id,
        user_upn,
        user_key: non_empty(&probe.user_key).map(str::to_owned),
        result_status: non_empty(&probe.result_status).map(str::to_owned),
        client_ip: non_empty(&probe.client_ip).map(str::to_owned),
        raw: String::new(),
    }))
}

fn app_kind(probe: &Probe<'_>, props: &Properties<'_>, record_type: i64) -> AppKind {
    let resource_type = props.resource_type.as_deref().unwrap_or("");
    if props.app_id.is_some() || resource_type.eq_ignore_ascii_case("PowerApp") {
        return AppKind::PowerApp;
    }
    if props.flow_id.is_some() || is_flow_resource_type(resource_type) {
        return AppKind::Flow;
    }
    match record_type {
        record_type::POWER_APPS_APP
        | record_type::POWER_APPS_PLAN
        | record_type::POWER_APPS_RESOURCE => return AppKind::PowerApp,
        record_type::MICROSOFT_FLOW => return AppKind::Flow,
        _ => {}
    }
    let workload = probe.workload.as_deref().unwrap_or("");
    if workload.eq_ignore_ascii_case("PowerApps") {
        AppKind::PowerApp
    } else if workload.eq_ignore_ascii_case("MicrosoftFlow")
        || workload.eq_ignore_ascii_case("PowerAutomate")
    {
        AppKind::Flow
    } else {
        AppKind::Other
    }
}

fn is_flow_resource_type(resource_type: &str) -> bool {
    resource_type.eq_ignore_ascii_case("CloudFlow") || resource_type.eq_ignore_ascii_case("Flow")
}

fn non_empty<'s>(value: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// GUIDs are lower-cased so that an app is one key whichever shape named it.
fn normalize_id(id: &str) -> String {
    if is_guid(id) {
        id.to_ascii_lowercase()
    } else {
        id.to_owned()
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits in any case.
pub(crate) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The path segment following the last `marker` in `url` (`.../flows/<this>/details`).
fn path_segment_after<'u>(url: &'u str, marker: &str) -> Option<&'u str> {
    let start = url.rfind(marker)? + marker.len();
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The fields of a record that classification looks at.
#[derive(Default)]
struct Probe<'a> {
    id: Option<Scalar<'a>>,
    creation_time: Option<Scalar<'a>>,
    record_type: Option<Scalar<'a>>,
    operation: Option<Cow<'a, str>>,
    workload: Option<Cow<'a, str>>,
    user_id: Option<Cow<'a, str>>,
    user_key: Option<Cow<'a, str>>,
    result_status: Option<Cow<'a, str>>,
    client_ip: Option<Cow<'a, str>>,
    object_id: Option<Cow<'a, str>>,
    app_name: Option<Cow<'a, str>>,
    app_display_name: Option<Cow<'a, str>>,
    environment_id: Option<Cow<'a, str>>,
    environment_name: Option<Cow<'a, str>>,
    flow_details_url: Option<Cow<'a, str>>,
    property_collection: Option<&'a RawValue>,
}

impl<'a> Probe<'a> {
    fn read(text: &'a str) -> Result<Self, Rejection> {
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

/// Any JSON value, reduced to what validation distinguishes. Arrays and objects are
/// skipped, not built.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Null,
    Other(&'static str),
}

impl<'a> Scalar<'a> {
    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Scalar<'_> {
    /// What the value is, for a rejection message ("got a boolean").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Str(s) => write!(f, "the string {}", quote(s)),
            Scalar::Int(n) => write!(f, "the number {n}"),
            Scalar::Null => f.write_str("null"),
            Scalar::Other(what) => f.write_str(what),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other("an integer too large"), Scalar::Int))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Other("a fractional number"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other("a boolean"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an object"))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// What we use from the unified shape's `PropertyCollection: [{"Name":..,"Value":..}]`.
#[derive(Default)]
struct Properties<'a> {
    resource_type: Option<Cow<'a, str>>,
    app_id: Option<Cow<'a, str>>,
    app_display_name: Option<Cow<'a, str>>,
    flow_id: Option<Cow<'a, str>>,
    flow_display_name: Option<Cow<'a, str>>,
    environment_id: Option<Cow<'a, str>>,
    principal_name: Option<Cow<'a, str>>,
}

impl<'a> Properties<'a> {
    /// A collection that is not a list of objects is ignored as a whole rather than
    /// rejecting the record: the top-level fields still identify it.
    fn read(raw: Option<&'a RawValue>) -> Self {
        raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default()
    }

    fn about_app_or_flow(&self) -> bool {
        let resource_type = self.resource_type.as_deref().unwrap_or("");
        self.app_id.is_some()
            || self.flow_id.is_some()
            || resource_type.eq_ignore_ascii_case("PowerApp")
            || is_flow_resource_type(resource_type)
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<Cow<'a, str>>> {
        // The flow names are not documented by Microsoft; these follow the
        // `power_app.*` convention and are matched in case they appear.
        Some(match name {
            "powerplatform.analytics.resource.type" => &mut self.resource_type,
            "powerplatform.analytics.resource.power_app.id" => &mut self.app_id,
            "powerplatform.analytics.resource.power_app.display_name" => &mut self.app_display_name,
            "powerplatform.analytics.resource.cloud_flow.id"
            | "powerplatform.analytics.resource.flow.id" => &mut self.flow_id,
            "powerplatform.analytics.resource.cloud_flow.display_name"
            | "powerplatform.analytics.resource.flow.display_name" => &mut self.flow_display_name,
            "powerplatform.analytics.resource.environment.id" => &mut self.environment_id,
            "enduser.principal_name" => &mut self.principal_name,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Properties<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = Properties<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of {Name, Value} objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut props = Properties::default();
                while let Some(Property { name, value }) = seq.next_element()? {
                    let (Some(name), Some(value)) = (name, value) else {
                        continue;
                    };
                    if let Some(slot) = props.slot(&name) {
                        // The first non-empty value wins.
                        if slot.is_none() && !value.trim().is_empty() {
                            *slot = Some(value);
                        }
                    }
                }
                Ok(props)
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

struct Property<'a> {
    name: Option<Cow<'a, str>>,
    value: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for Property<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PropertyVisitor;
        impl<'de> Visitor<'de> for PropertyVisitor {
            type Value = Property<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a {Name, Value} object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut property = Property {
                    name: None,
                    value: None,
                };
                while let Some(key) = map.next_key::<PropertyKey>()? {
                    match key {
                        PropertyKey::Name => {
                            property.name = map.next_value::<Scalar>()?.into_text()
                        }
                        PropertyKey::Value => {
                            property.value = map.next_value::<Scalar>()?.into_text();
                        }
                        PropertyKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(property)
            }
        }
        deserializer.deserialize_map(PropertyVisitor)
    }
}

enum PropertyKey {
    Name,
    Value,
    Other,
}

impl<'de> Deserialize<'de> for PropertyKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = PropertyKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<PropertyKey, E> {
                Ok(match key {
                    "Name" => PropertyKey::Name,
                    "Value" => PropertyKey::Value,
                    _ => PropertyKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        assert!(is_guid("baa1c6f1-404b-4eaf-962a-01dec28753f8"));
        assert!(is_guid("BAA1C6F1-404B-4EAF-962A-01DEC28753F8"));
        assert!(!is_guid("baa1c6f1-404b-4eaf-962a-01dec28753f"));
        assert!(!is_guid("baa1c6f1x404b-4eaf-962a-01dec28753f8"));
        assert!(!is_guid("gaa1c6f1-404b-4eaf-962a-01dec28753f8"));
        assert!(!is_guid(""));
    }

    #[test]
    fn segments_after_markers() {
        let url = "https://make.powerautomate.com/environments/Default-7d2b/flows/CAFDD23A-bba6-4b36-b1a0-161891166863/details?x=1";
        assert_eq!(
            path_segment_after(url, "/flows/"),
            Some("CAFDD23A-bba6-4b36-b1a0-161891166863")
        );
        assert_eq!(
            path_segment_after(url, "/environments/"),
            Some("Default-7d2b")
        );
        assert_eq!(path_segment_after("https://x/flows/", "/flows/"), Some(""));
        assert_eq!(path_segment_after("https://x/apps/1", "/flows/"), None);
    }
}
