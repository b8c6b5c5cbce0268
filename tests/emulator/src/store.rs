//! The content blobs: generated ones and those added through the control API.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use axum::body::Bytes;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::content_type::ContentType;
use crate::generate::{Generator, Item};
use crate::records::{MalformedReason, RecordFacts, facts_from_value};
use crate::rng::SplitMix64;

/// How long content can be fetched after `contentCreated`.
pub const RETENTION: Duration = Duration::days(7);

/// Where a blob's body comes from.
#[derive(Clone)]
pub(crate) enum BodySource {
    Stored(Bytes),
    /// Index into the generator's plan; produced on demand.
    Generated(usize),
}

/// What the truth knows about one item of a blob.
// Nearly every item is a record, so boxing the large variant would cost an allocation per
// record and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum ItemFacts {
    Record(RecordFacts),
    Malformed {
        reason: MalformedReason,
        id: Option<String>,
        value: Value,
    },
}

/// A listed blob: a few fixed-size fields, so that a tenant of hundreds of thousands of blobs
/// costs tens of bytes per blob. A generated blob's id, body and facts are rendered from the
/// plan when asked for and never kept; only blobs added through the control API (a handful,
/// in tests) keep theirs.
pub(crate) struct Blob {
    pub content_type: ContentType,
    pub created: OffsetDateTime,
    pub available_at: OffsetDateTime,
    source: Source,
}

enum Source {
    /// Index into the generator's plan.
    Planned(usize),
    Custom(Box<CustomBlob>),
}

struct CustomBlob {
    content_id: String,
    body: Bytes,
    facts: Vec<ItemFacts>,
}

impl Blob {
    pub fn expires(&self) -> OffsetDateTime {
        self.created + RETENTION
    }

    pub fn is_available(&self, now: OffsetDateTime) -> bool {
        self.available_at <= now
    }

    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires() <= now
    }

    /// Listed by `/subscriptions/content` and fetchable right now.
    pub fn is_servable(&self, now: OffsetDateTime) -> bool {
        self.is_available(now) && !self.is_expired(now)
    }
}

/// A position in a content listing: the sort key of the first item of the
/// next page. Keys rather than offsets keep paging stable while late blobs
/// become available between two page requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cursor {
    pub created: OffsetDateTime,
    pub index: usize,
}

impl Cursor {
    /// Shaped like Microsoft's `2015101900R022885001761`: opaque to clients.
    pub fn encode(&self) -> String {
        let t = self.created;
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}{:03}R{:012}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond(),
            self.index
        )
    }

    pub fn decode(token: &str) -> Option<Cursor> {
        let (stamp, index) = token.split_once('R')?;
        if stamp.len() != 17
            || index.len() != 12
            || !stamp
                .bytes()
                .chain(index.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let iso = format!(
            "{}-{}-{}T{}:{}:{}.{}",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[8..10],
            &stamp[10..12],
            &stamp[12..14],
            &stamp[14..17]
        );
        Some(Cursor {
            created: crate::timefmt::parse_query_time(&iso)?,
            index: index.parse().ok()?,
        })
    }
}

pub(crate) struct ContentStore {
    generator: Arc<Generator>,
    blobs: Vec<Blob>,
    /// Bodies rendered at start, by plan index; empty when bodies are rendered on demand.
    rendered: Vec<Bytes>,
    /// Blob index by a hash of its content id: ids are rendered on demand, so the map holds
    /// none of them. A lookup checks the id it finds.
    by_id: HashMap<u64, usize>,
    /// The rare ids whose hash another id already has.
    by_id_collisions: HashMap<String, usize>,
    /// Per content type ordinal: blob indices sorted by (created, index).
    by_type: [Vec<usize>; 5],
    custom_ids: SplitMix64,
    tenant_hex: String,
}

impl ContentStore {
    /// Builds the store from the generator's plan; unless `lazy`, every body
    /// is rendered now so that fetches are cheap.
    pub fn new(generator: Generator, lazy: bool, seed: u64, tenant_id: &str) -> Self {
        let generator = Arc::new(generator);
        let planned = generator.blobs();
        let rendered = if lazy {
            Vec::new()
        } else {
            (0..planned.len())
                .map(|index| Bytes::from(generator.body(index)))
                .collect()
        };
        let mut store = ContentStore {
            generator: generator.clone(),
            blobs: Vec::with_capacity(planned.len()),
            rendered,
            by_id: HashMap::with_capacity(planned.len()),
            by_id_collisions: HashMap::new(),
            by_type: Default::default(),
            custom_ids: SplitMix64::derived(seed, &[0xc057_0a11]),
            tenant_hex: tenant_id.chars().filter(|c| *c != '-').collect(),
        };
        for (index, blob) in planned.iter().enumerate() {
            store.insert(Blob {
                content_type: blob.content_type,
                created: blob.created,
                available_at: blob.available_at,
                source: Source::Planned(index),
            });
        }
        store
    }

    pub fn generator(&self) -> &Arc<Generator> {
        &self.generator
    }

    fn insert(&mut self, blob: Blob) -> usize {
        let index = self.blobs.len();
        let list = &mut self.by_type[blob.content_type.ordinal() as usize];
        let key = (blob.created, index);
        // The plan comes sorted, so this is almost always an append.
        let at = if list
            .last()
            .is_none_or(|&i| (self.blobs[i].created, i) < key)
        {
            list.len()
        } else {
            list.partition_point(|&i| (self.blobs[i].created, i) < key)
        };
        list.insert(at, index);
        let content_id = match &blob.source {
            Source::Planned(plan) => self.generator.content_id(*plan),
            Source::Custom(custom) => custom.content_id.clone(),
        };
        self.blobs.push(blob);
        match self.by_id.entry(id_hash(&content_id)) {
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
            Entry::Occupied(_) => {
                self.by_id_collisions.insert(content_id, index);
            }
        }
        index
    }

    /// Adds a blob of arbitrary JSON items; returns its content id. The id
    /// comes from a seeded stream, so scripted tests stay reproducible.
    pub fn add_custom(
        &mut self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        items: Vec<Value>,
    ) -> String {
        let body = serde_json::to_vec(&items).expect("JSON values serialize");
        let facts = items.into_iter().map(value_facts).collect();
        self.insert_custom(content_type, created, available_at, body, facts)
    }

    /// Adds a blob whose body is exactly `body` (hostile bodies: invalid UTF-8, truncated JSON,
    /// huge records). The truth holds no items for it.
    pub fn add_raw(
        &mut self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        body: Vec<u8>,
    ) -> String {
        self.insert_custom(content_type, created, available_at, body, Vec::new())
    }

    fn custom_id(&mut self, content_type: ContentType, created: OffsetDateTime) -> String {
        let number = self.custom_ids.between(100_000_000_000, 999_999_999_999);
        format!(
            "{number}${number}${}{}{:04}{:02}{:02}{:02}${}$04",
            self.tenant_hex,
            content_type.id_tag(),
            created.year(),
            created.month() as u8,
            created.day(),
            created.hour(),
            self.custom_ids.hex(32)
        )
    }

    fn insert_custom(
        &mut self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        body: Vec<u8>,
        facts: Vec<ItemFacts>,
    ) -> String {
        // contentCreated is shown with milliseconds; keep no more than that
        // so what a client reads back is exactly what is stored.
        let created = created
            .replace_nanosecond(created.millisecond() as u32 * 1_000_000)
            .unwrap_or(created);
        let content_id = self.custom_id(content_type, created);
        let blob = Blob {
            content_type,
            created,
            available_at: available_at.unwrap_or(created),
            source: Source::Custom(Box::new(CustomBlob {
                content_id: content_id.clone(),
                body: Bytes::from(body),
                facts,
            })),
        };
        self.insert(blob);
        content_id
    }

    pub fn blobs(&self) -> &[Blob] {
        &self.blobs
    }

    pub fn get(&self, content_id: &str) -> Option<&Blob> {
        self.index_of(content_id).map(|i| &self.blobs[i])
    }

    fn index_of(&self, content_id: &str) -> Option<usize> {
        if let Some(&index) = self.by_id_collisions.get(content_id) {
            return Some(index);
        }
        let index = *self.by_id.get(&id_hash(content_id))?;
        (self.content_id(index) == content_id).then_some(index)
    }

    pub fn content_id(&self, index: usize) -> String {
        match &self.blobs[index].source {
            Source::Planned(plan) => self.generator.content_id(*plan),
            Source::Custom(custom) => custom.content_id.clone(),
        }
    }

    pub fn body(&self, blob: &Blob) -> BodySource {
        match &blob.source {
            Source::Planned(plan) => match self.rendered.get(*plan) {
                Some(bytes) => BodySource::Stored(bytes.clone()),
                None => BodySource::Generated(*plan),
            },
            Source::Custom(custom) => BodySource::Stored(custom.body.clone()),
        }
    }

    /// Blob indices of one type in listing order.
    pub fn ordered(&self, content_type: ContentType) -> &[usize] {
        &self.by_type[content_type.ordinal() as usize]
    }

    /// Every blob index, in (created, index) order across content types.
    pub fn all_ordered(&self) -> Vec<usize> {
        let mut all: Vec<usize> = (0..self.blobs.len()).collect();
        all.sort_by_key(|&i| (self.blobs[i].created, i));
        all
    }

    /// The facts of a blob's items: rendered from the plan for a generated blob (and not
    /// kept, so reading the whole truth costs one blob's facts at a time), borrowed for one
    /// added through the control API.
    pub fn facts(&self, index: usize) -> Cow<'_, [ItemFacts]> {
        match &self.blobs[index].source {
            Source::Planned(plan) => Cow::Owned(generated_facts(&self.generator, *plan)),
            Source::Custom(custom) => Cow::Borrowed(&custom.facts),
        }
    }

    /// One page of servable blobs of `content_type` with `start <= created <
    /// end`, from `cursor` on. Returns the page and where the next one starts.
    pub fn list(
        &self,
        content_type: ContentType,
        start: OffsetDateTime,
        end: OffsetDateTime,
        cursor: Option<Cursor>,
        page_size: usize,
        now: OffsetDateTime,
    ) -> (Vec<usize>, Option<Cursor>) {
        let ordered = self.ordered(content_type);
        let from = ordered.partition_point(|&i| {
            let key = Cursor {
                created: self.blobs[i].created,
                index: i,
            };
            self.blobs[i].created < start || cursor.is_some_and(|c| key < c)
        });
        let limit = if page_size == 0 {
            usize::MAX
        } else {
            page_size
        };
        let mut visible = ordered[from..]
            .iter()
            .copied()
            .take_while(|&i| self.blobs[i].created < end)
            .filter(|&i| self.blobs[i].is_servable(now));
        let page: Vec<usize> = visible.by_ref().take(limit).collect();
        let next = visible.next().map(|i| Cursor {
            created: self.blobs[i].created,
            index: i,
        });
        (page, next)
    }
}

/// 64 bits of the id: a collision among a million ids has odds of about 1 in 30 million, and
/// costs only an entry in `by_id_collisions`.
fn id_hash(content_id: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    content_id.hash(&mut hasher);
    hasher.finish()
}

fn generated_facts(generator: &Generator, index: usize) -> Vec<ItemFacts> {
    (0..generator.blobs()[index].record_count)
        .map(|i| match generator.item(index, i) {
            Item::Record(record) => ItemFacts::Record(record.facts()),
            Item::Malformed { value, reason } => ItemFacts::Malformed {
                reason,
                id: value.get("Id").and_then(Value::as_str).map(str::to_string),
                value,
            },
        })
        .collect()
}

fn value_facts(value: Value) -> ItemFacts {
    match facts_from_value(&value) {
        Ok(facts) => ItemFacts::Record(facts),
        Err(reason) => ItemFacts::Malformed {
            reason,
            id: value.get("Id").and_then(Value::as_str).map(str::to_string),
            value,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cursor_round_trips() {
        let cursor = Cursor {
            created: datetime!(2026-05-23 17:35:00.123 UTC),
            index: 1761,
        };
        let token = cursor.encode();
        assert_eq!(token, "20260523173500123R000000001761");
        assert_eq!(Cursor::decode(&token), Some(cursor));
        for bad in [
            "",
            "abc",
            "20260523173500123R",
            "2026052317350012XR000000001761",
            "20261343173500123R000000001761",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
