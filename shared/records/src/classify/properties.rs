//! The unified shape's `PropertyCollection`: the entries we use, by name.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::kind::is_flow_resource_type;
use super::object::{ObjectFields, deserialize_object};
use super::scalar::next_text;

/// What we use from the unified shape's `PropertyCollection: [{"Name":..,"Value":..}]`.
#[derive(Default)]
pub(super) struct Properties<'a> {
    pub(super) resource_type: Option<Cow<'a, str>>,
    pub(super) app_id: Option<Cow<'a, str>>,
    pub(super) app_display_name: Option<Cow<'a, str>>,
    pub(super) flow_id: Option<Cow<'a, str>>,
    pub(super) flow_display_name: Option<Cow<'a, str>>,
    pub(super) environment_id: Option<Cow<'a, str>>,
    pub(super) environment_name: Option<Cow<'a, str>>,
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

    /// The first non-empty value given for a name wins.
    fn add(&mut self, Property { name, value }: Property<'a>) {
        let (Some(name), Some(value)) = (name, value) else {
            return;
        };
        if let Some(slot) = self.slot(&name)
            && slot.is_none()
            && !value.trim().is_empty()
        {
            *slot = Some(value);
        }
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
            "powerplatform.analytics.resource.environment.name" => &mut self.environment_name,
            "enduser.principal_name" => &mut self.principal_name,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Properties<'de> {
    /// Hand-written rather than read as a derived `Vec<Property>`: the entries are
    /// folded into their slots as they are read, so no list is built.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = Properties<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of {Name, Value} objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut props = Properties::default();
                while let Some(property) = seq.next_element()? {
                    props.add(property);
                }
                Ok(props)
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

/// One entry of the collection. A `Name` or `Value` that is not a string counts as
/// absent, and an entry without both is skipped, not fatal.
#[derive(Default)]
struct Property<'a> {
    name: Option<Cow<'a, str>>,
    value: Option<Cow<'a, str>>,
}

/// The keys of an entry; any other is skipped unparsed.
#[derive(Deserialize)]
#[serde(field_identifier)]
pub(super) enum PropertyKey {
    Name,
    Value,
    #[serde(other)]
    Other,
}

impl<'de> ObjectFields<'de> for Property<'de> {
    type Key = PropertyKey;

    const EXPECTING: &'static str = "a {Name, Value} object";

    #[inline]
    fn read_value<A: MapAccess<'de>>(
        &mut self,
        key: PropertyKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            PropertyKey::Name => self.name = next_text(map)?,
            PropertyKey::Value => self.value = next_text(map)?,
            PropertyKey::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Property<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_object(deserializer)
    }
}
