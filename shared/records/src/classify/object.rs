//! Reading a JSON object into a struct key by key, a repeated key replacing the value
//! it had, as most JSON readers do.
//!
//! This is the one loop over an object that is written by hand, because a derived
//! `Deserialize` for the structs themselves would change what is accepted: it refuses
//! a repeated field where records take the last value, and it also reads an array of
//! values as the struct, where a `PropertyCollection` entry given as a list is not an
//! entry. The structs still name their keys with a derived field identifier.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// A struct that [`deserialize_object`] reads from a JSON object.
pub(super) trait ObjectFields<'de>: Default {
    /// The keys the struct reads, with one catch-all for the keys it skips.
    type Key: Deserialize<'de>;

    /// What the object is, for serde's "expected ..." message.
    const EXPECTING: &'static str;

    /// Reads the value that follows `key`, replacing what an earlier `key` gave.
    ///
    /// Implementations are marked `#[inline]`: this runs once per key, and as a call
    /// it costs about as much as reading a short value.
    fn read_value<A: MapAccess<'de>>(
        &mut self,
        key: Self::Key,
        map: &mut A,
    ) -> Result<(), A::Error>;
}

/// Reads `T` from an object (and only an object), keys in any order, each optional.
pub(super) fn deserialize_object<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: ObjectFields<'de>,
    D: Deserializer<'de>,
{
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: ObjectFields<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut object = T::default();
        while let Some(key) = map.next_key::<T::Key>()? {
            object.read_value(key, &mut map)?;
        }
        Ok(object)
    }
}
