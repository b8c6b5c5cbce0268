//! The blobs that keep failing: one item each in the state table (`RETRY#{content type}` /
//! `{contentCreated}#{contentId}`), with what is needed to fetch it again, its attempts and its
//! last error. Because the failure is recorded, the watermark need not wait for the blob: every
//! run retries the recorded blobs first, until one is stored (the item goes), or its content
//! expires (it goes to the ledger as `lost`, and the run reports its content id).

use time::OffsetDateTime;

use super::state::ledger_sk;
use super::{Item, Store, StoreError, get_n, get_s, n, s};
use crate::api::{ContentBlob, RETENTION, parse_api_time};
use audit_records::{UtcStyle, format_utc};

/// Retry items read per run and content type, oldest first: a run retries at most this many
/// recorded blobs, so memory stays bounded however many fail; the rest wait for the next run.
pub const RETRIES_PER_RUN: i32 = 512;
/// The last error is kept this long at most.
const ERROR_MAX_BYTES: usize = 1_000;
/// A retry item outlives its blob's expiration by this much (TTL), as a ledger entry does.
const RETRY_GRACE: time::Duration = time::Duration::days(1);

/// One recorded failing blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryEntry {
    /// The blob as listed.
    pub blob: ContentBlob,
    /// Its `contentCreated`, parsed.
    pub created: OffsetDateTime,
    /// Attempts that failed so far.
    pub attempts: u64,
    /// The last failure.
    pub last_error: String,
    /// When the last failure was recorded (to the millisecond).
    pub last_failed: Option<OffsetDateTime>,
}

impl RetryEntry {
    /// When the API stops serving the blob.
    pub fn expires(&self) -> OffsetDateTime {
        expiry(&self.blob, self.created)
    }
}

/// The blob's `contentExpiration`, else 7 days after it was created.
fn expiry(blob: &ContentBlob, created: OffsetDateTime) -> OffsetDateTime {
    blob.content_expiration
        .as_deref()
        .and_then(parse_api_time)
        .unwrap_or(created + RETENTION)
}

impl Store {
    /// Records one more failed attempt of `blob` (created at `created`), with its error.
    /// Returns the attempts so far.
    pub async fn record_failure(
        &self,
        blob: &ContentBlob,
        created: OffsetDateTime,
        error: &str,
    ) -> Result<u64, StoreError> {
        let now = format_utc(OffsetDateTime::now_utc(), UtcStyle::Millis);
        let mut cut = error.len().min(ERROR_MAX_BYTES);
        while !error.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut set = "content_id = :id, content_uri = :uri, content_created = :created, \
                       last_error = :error, last_failed = :now, \
                       first_failed = if_not_exists(first_failed, :now), expires_at = :ttl"
            .to_string();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.state_table)
            .key("pk", s(self.scoped(&retry_pk(&blob.content_type))))
            .key("sk", s(ledger_sk(created, &blob.content_id)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":id", s(&blob.content_id))
            .expression_attribute_values(":uri", s(&blob.content_uri))
            .expression_attribute_values(":created", s(&blob.content_created))
            .expression_attribute_values(":error", s(&error[..cut]))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(
                ":ttl",
                n((expiry(blob, created) + RETRY_GRACE).unix_timestamp()),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew);
        if let Some(expiration) = &blob.content_expiration {
            set.push_str(", content_expiration = :expiration");
            request = request.expression_attribute_values(":expiration", s(expiration));
        }
        let output = request
            .update_expression(format!("ADD attempts :one SET {set}"))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("UpdateItem", &self.state_table, err))?;
        Ok(output
            .attributes
            .as_ref()
            .and_then(|item| get_n(item, "attempts"))
            .map_or(1, |n| n.max(1) as u64))
    }

    /// The oldest recorded failing blobs of `content_type`, at most [`RETRIES_PER_RUN`].
    pub async fn retries(&self, content_type: &str) -> Result<Vec<RetryEntry>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.state_table)
            .consistent_read(true)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(self.scoped(&retry_pk(content_type))))
            .limit(RETRIES_PER_RUN)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("Query", &self.state_table, err))?;
        Ok(output
            .items()
            .iter()
            .filter_map(|item| retry_entry(content_type, item))
            .collect())
    }

    /// Forgets the recorded failures of blobs now settled (stored, gone or lost).
    pub async fn clear_retries(
        &self,
        content_type: &str,
        settled: &[(OffsetDateTime, String)],
    ) -> Result<u32, StoreError> {
        let deletes = settled.iter().map(|(created, id)| {
            let key = Item::from([
                ("pk".into(), s(retry_pk(content_type))),
                ("sk".into(), s(ledger_sk(*created, id))),
            ]);
            let delete = aws_sdk_dynamodb::types::DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .expect("the key is set");
            aws_sdk_dynamodb::types::WriteRequest::builder()
                .delete_request(delete)
                .build()
        });
        self.write_all(&self.state_table, deletes).await
    }
}

fn retry_pk(content_type: &str) -> String {
    format!("RETRY#{content_type}")
}

/// A retry item as an entry; `None` for an item this product did not write.
fn retry_entry(content_type: &str, item: &Item) -> Option<RetryEntry> {
    let content_created = get_s(item, "content_created")?.to_string();
    Some(RetryEntry {
        created: parse_api_time(&content_created)?,
        blob: ContentBlob {
            content_type: content_type.to_string(),
            content_id: get_s(item, "content_id")?.to_string(),
            content_uri: get_s(item, "content_uri")?.to_string(),
            content_created,
            content_expiration: get_s(item, "content_expiration").map(str::to_string),
        },
        attempts: get_n(item, "attempts").unwrap_or(0).max(0) as u64,
        last_error: get_s(item, "last_error").unwrap_or_default().to_string(),
        last_failed: get_s(item, "last_failed").and_then(parse_api_time),
    })
}
