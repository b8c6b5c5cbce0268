//! What one request adds to the endpoint's counts: write requests, event and other items, and
//! their write units as DynamoDB sizes items.

use serde_json::Value;

use super::Counts;
use crate::tenant::POWER_PLATFORM_WORKLOADS;

/// What one request adds to the counts.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Tally {
    write_request: bool,
    event_items: u64,
    event_write_units: u64,
    event_items_not_power_platform: u64,
    other_items: u64,
    other_write_units: u64,
    keys_read: u64,
}

impl Counts {
    pub(super) fn add(&mut self, t: &Tally) {
        self.write_requests += u64::from(t.write_request);
        self.event_write_requests += u64::from(t.event_items > 0);
        self.event_items += t.event_items;
        self.event_write_units += t.event_write_units;
        self.event_items_not_power_platform += t.event_items_not_power_platform;
        self.other_items += t.other_items;
        self.other_write_units += t.other_write_units;
        self.keys_read += t.keys_read;
    }
}

pub(super) fn tally(operation: &str, body: &[u8]) -> Tally {
    let mut tally = Tally::default();
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return tally;
    };
    match operation {
        "BatchWriteItem" => {
            tally.write_request = true;
            let tables = request["RequestItems"].as_object().into_iter().flatten();
            for (_, writes) in tables {
                for write in writes.as_array().into_iter().flatten() {
                    tally.batch_write(write);
                }
            }
        }
        "PutItem" => {
            tally.write_request = true;
            tally.other_items += 1;
            if let Some(item) = request["Item"].as_object() {
                tally.other_write_units += write_units(item_size(item));
            }
        }
        "UpdateItem" | "DeleteItem" => {
            tally.write_request = true;
            tally.other_items += 1;
            let mut size = request["Key"].as_object().map_or(0, item_size);
            if let Some(values) = request["ExpressionAttributeValues"].as_object() {
                size += values.values().map(value_size).sum::<usize>();
            }
            tally.other_write_units += write_units(size);
        }
        "TransactWriteItems" => {
            tally.write_request = true;
            for entry in request["TransactItems"].as_array().into_iter().flatten() {
                let (item, size) = match (
                    entry["Put"]["Item"].as_object(),
                    entry["Update"].as_object(),
                ) {
                    (Some(item), _) => (true, item_size(item)),
                    (None, Some(update)) => (
                        true,
                        update["Key"].as_object().map_or(0, item_size)
                            + update["ExpressionAttributeValues"]
                                .as_object()
                                .map_or(0, |v| v.values().map(value_size).sum::<usize>()),
                    ),
                    _ => (false, 0),
                };
                if item {
                    // A transactional write costs two standard writes.
                    tally.other_items += 1;
                    tally.other_write_units += 2 * write_units(size);
                }
            }
        }
        "BatchGetItem" => {
            let tables = request["RequestItems"].as_object().into_iter().flatten();
            for (_, wanted) in tables {
                tally.keys_read += wanted["Keys"].as_array().map_or(0, |k| k.len() as u64);
            }
        }
        _ => {}
    }
    tally
}

impl Tally {
    /// One put or delete of a BatchWriteItem: an event or a state item.
    fn batch_write(&mut self, write: &Value) {
        if let Some(item) = write["PutRequest"]["Item"].as_object() {
            let units = write_units(item_size(item));
            let attribute = |name: &str| item.get(name).and_then(|v| v["S"].as_str());
            if attribute("pk").is_some_and(|pk| pk.starts_with("APP#")) {
                self.event_items += 1;
                self.event_write_units += units;
                let workload = attribute("workload").unwrap_or("");
                if !POWER_PLATFORM_WORKLOADS.contains(&workload) {
                    self.event_items_not_power_platform += 1;
                }
            } else {
                self.other_items += 1;
                self.other_write_units += units;
            }
        } else if let Some(key) = write["DeleteRequest"]["Key"].as_object() {
            self.other_items += 1;
            self.other_write_units += write_units(item_size(key));
        }
    }
}

/// Standard writes cost one unit per started KiB of the item.
fn write_units(size: usize) -> u64 {
    (size.max(1) as u64).div_ceil(1024)
}

/// An item's size as DynamoDB counts it: attribute names plus values.
fn item_size(item: &serde_json::Map<String, Value>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// A value's size in DynamoDB's accounting (wire form `{"S": ...}`, `{"N": ...}`, ...).
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match (kind.as_str(), inner) {
        ("S", Value::String(s)) => s.len(),
        ("N", Value::String(n)) => number_size(n),
        ("B", Value::String(b64)) => base64_len(b64),
        ("BOOL" | "NULL", _) => 1,
        ("SS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::len).sum(),
        ("NS", Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(number_size)
            .sum(),
        ("BS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(base64_len).sum(),
        ("L", Value::Array(items)) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        ("M", Value::Object(map)) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// About one byte per two significant digits, plus one.
fn number_size(n: &str) -> usize {
    let digits = n
        .trim_start_matches('-')
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    digits.div_ceil(2) + 1
}

fn base64_len(b64: &str) -> usize {
    let padding = b64.bytes().rev().take_while(|&b| b == b'=').count();
    (b64.len() / 4 * 3).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_sizes_follow_dynamodb() {
        let item = json!({"pk": {"S": "APP#a#2026-01-01"}, "n": {"N": "12345"}, "b": {"B": "AAEC"},
                          "users": {"SS": ["ab", "cde"]}})
        .as_object()
        .unwrap()
        .clone();
        // pk: 2 + 16, n: 1 + 4, b: 1 + 3, users: 5 + 5
        assert_eq!(item_size(&item), 18 + 5 + 4 + 10);
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
    }

    #[test]
    fn batch_writes_are_split_into_events_and_the_rest() {
        let big = "x".repeat(1500);
        let body = json!({"RequestItems": {
            "events": [
                {"PutRequest": {"Item": {"pk": {"S": "APP#a#2026-01-01"}, "sk": {"S": "EV#1"},
                                         "workload": {"S": "PowerApps"}, "raw": {"S": big}}}},
                {"PutRequest": {"Item": {"pk": {"S": "APP#b#2026-01-01"}, "sk": {"S": "EV#2"},
                                         "workload": {"S": "Exchange"}}}}
            ],
            "state": [
                {"PutRequest": {"Item": {"pk": {"S": "LEDGER#Audit.General"}, "sk": {"S": "x"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "DIRTY"}, "sk": {"S": "a#2026-01-01"}}}}
            ]
        }});
        let counted = tally("BatchWriteItem", body.to_string().as_bytes());
        assert_eq!(
            counted,
            Tally {
                write_request: true,
                event_items: 2,
                event_write_units: 3,
                event_items_not_power_platform: 1,
                other_items: 2,
                other_write_units: 2,
                keys_read: 0,
            }
        );
        let get =
            json!({"RequestItems": {"events": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]}}});
        assert_eq!(
            tally("BatchGetItem", get.to_string().as_bytes()).keys_read,
            2
        );
    }
}
