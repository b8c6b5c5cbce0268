//! The unified shape's `PropertyCollection`: the entries we use, by name.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::kind::is_flow_resource_type;
use super::scalar::Scalar;

/// What we use from the unified shape's `PropertyCollection: [{"Name":..,"Value":..}]`.
#[derive(Default)]
pub(super) struct Properties<'a> {
    pub(super) resource_type: Option<Cow<'a, str>>,
    pub(super) app_id: Option<Cow<'a, str>>,
    pub(super) app_display_name: Option<Cow<'a, str>>,
    pub(super) flow_id: Option<Cow<'a, str>>,
    pub(super) flow_display_name: Option<Cow<'a, str>>,
    pub(super) environment_id: Option<Cow<'a, str>>,
    pub(super) principal_name: Option<Cow<'a, str>>,
}

impl<'a> Properties<'a> {
    /// A collection that is not a list of objects is ignored as a whole rather than
    /// rejecting the record: the top-level fields still identify it.
    pub(super) fn read(raw: Option<&'a RawValue>) -> Self {
        raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default()
    }

    pub(super) fn about_app_or_flow(&self) -> bool {
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
