//! Publishing the page: it is written to a private S3 bucket and shared as a pre-signed GET URL,
//! so whoever gets the link can read that one page for a limited time, and nobody else can.

use std::time::Duration;

use audit_records::{UtcStyle, format_utc};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use time::OffsetDateTime;

use crate::env::table::{REPORT_BUCKET, REPORT_PREFIX, REPORT_URL_SECONDS};
use crate::env::{ConfigError, Env};

/// SigV4 pre-signed URLs are valid for at most seven days.
pub const MAX_URL_SECONDS: u64 = 7 * 24 * 3600;

/// Where published pages go and how long their links work, from the report function's
/// variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishConfig {
    /// The S3 bucket (`AUDIT_LOGS_REPORT_BUCKET`, the stack's `ReportBucket`).
    pub bucket: String,
    /// Empty, or ending with `/`.
    pub prefix: String,
    /// How long a link works, in seconds (`AUDIT_LOGS_REPORT_URL_SECONDS`, at most 7 days).
    pub url_seconds: u64,
}

impl PublishConfig {
    /// From the process environment.
    pub fn from_env() -> Result<PublishConfig, ConfigError> {
        PublishConfig::read(&Env::process())
    }

    /// From any variable source; tests pass a map.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<PublishConfig, ConfigError> {
        PublishConfig::read(&Env::new(lookup))
    }

    /// Reads and checks the publishing variables.
    pub fn read(env: &Env) -> Result<PublishConfig, ConfigError> {
        let bucket = env.required(
            &REPORT_BUCKET,
            "the name of the S3 bucket the report page is published to (the stack's ReportBucket)",
        )?;
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid_bucket {
            return Err(ConfigError::Invalid {
                var: REPORT_BUCKET.name,
                value: bucket,
                expected: "a bucket name (3 to 63 lower-case letters, digits, '-' or '.'), not an ARN or URL"
                    .into(),
            });
        }
        Ok(PublishConfig {
            bucket,
            prefix: key_prefix(&env.text_or_default(&REPORT_PREFIX).unwrap_or_default()),
            url_seconds: env.number(&REPORT_URL_SECONDS, 1..=MAX_URL_SECONDS)?,
        })
    }

    /// Where the page of one range (and app, if the report was narrowed to one) is kept. The
    /// same range overwrites the same key, so daily publishing keeps one page per range.
    pub fn key(&self, tenant: Option<&str>, from: &str, to: &str, app_id: Option<&str>) -> String {
        let app = app_id
            .map(|id| {
                let safe: String = id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                format!("-{safe}")
            })
            .unwrap_or_default();
        // A registered tenant's pages sit in a folder of their own.
        let tenant = tenant.map(|t| format!("{t}/")).unwrap_or_default();
        format!("{}{tenant}usage-{from}-{to}{app}.html", self.prefix)
    }
}

/// Empty, or ending with `/`. A leading slash would make an empty first path segment in the
/// key; S3 keeps it.
fn key_prefix(prefix: &str) -> String {
    let prefix = prefix.trim_start_matches('/');
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

/// Where the page went and how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// The bucket the page is in.
    pub bucket: String,
    /// The page's key, e.g. `reports/usage-2026-11-01-2026-11-30.html`.
    pub key: String,
    /// A pre-signed GET URL: anyone holding it can read this page until it expires.
    pub url: String,
    /// When the link stops working, UTC `YYYY-MM-DDTHH:MM:SSZ`.
    pub url_expires_at: String,
    /// How long the link works from its signing, in seconds.
    pub url_expires_in_seconds: u64,
}

/// Why a page could not be published; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The bucket does not exist: the stack is not deployed, or `AUDIT_LOGS_REPORT_BUCKET` names
    /// another.
    #[error(
        "the S3 bucket {bucket:?} does not exist: deploy infra/template.yaml (ReportBucket) or fix \
         AUDIT_LOGS_REPORT_BUCKET"
    )]
    MissingBucket {
        /// The bucket named.
        bucket: String,
    },
    /// The function's role may not write the page: it needs `s3:PutObject` on the key, and
    /// `s3:GetObject` for the link to work. The template grants both under `reports/` only, so
    /// another `AUDIT_LOGS_REPORT_PREFIX` is refused.
    #[error(
        "S3 refused PutObject of {key:?} in bucket {bucket:?}: the report function's role needs \
         s3:PutObject (and s3:GetObject, for the link) on arn:aws:s3:::{bucket}/{key}: {detail}"
    )]
    Denied {
        /// The bucket.
        bucket: String,
        /// The key refused.
        key: String,
        /// What S3 said.
        detail: String,
    },
    /// Any other S3 failure of the upload.
    #[error("S3 PutObject of {key:?} in bucket {bucket:?} failed: {detail}")]
    Put {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// What the SDK reported.
        detail: String,
    },
    /// The page is written but its link could not be signed (the function's credentials, or a
    /// link lifetime the signer refuses).
    #[error("could not pre-sign the link to {key:?}: {detail}")]
    Presign {
        /// The page's key.
        key: String,
        /// What the signer reported.
        detail: String,
    },
}

/// The S3 client and where pages go, built once per cold start.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: aws_sdk_s3::Client,
    /// The bucket, key prefix and link lifetime pages are published with.
    pub config: PublishConfig,
}

impl Publisher {
    /// The publisher for `config`, with an S3 client from `sdk`. A custom endpoint (a local S3)
    /// is addressed by path, not by per-bucket host names.
    pub fn new(sdk: &aws_config::SdkConfig, config: PublishConfig) -> Publisher {
        let mut builder = aws_sdk_s3::config::Builder::from(sdk);
        // A custom endpoint (moto, a local S3) has no per-bucket host names to resolve.
        if sdk.endpoint_url().is_some() {
            builder = builder.force_path_style(true);
        }
        Publisher {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
            config,
        }
    }

    /// Writes `html` under `key` and returns a pre-signed GET URL for it.
    pub async fn publish(
        &self,
        key: &str,
        html: String,
        now: OffsetDateTime,
    ) -> Result<Published, PublishError> {
        let bucket = &self.config.bucket;
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(html.into_bytes()))
            .content_type("text/html; charset=utf-8")
            // Each publication replaces the page under the same key; a cached copy would be stale.
            .cache_control("no-cache")
            .send()
            .await
            .map_err(|err| put_error(bucket, key, err))?;

        let expires_in = Duration::from_secs(self.config.url_seconds);
        let presigning = PresigningConfig::builder()
            .start_time(now.into())
            .expires_in(expires_in)
            .build()
            .map_err(|err| PublishError::Presign {
                key: key.to_string(),
                detail: err.to_string(),
            })?;
        let request = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|err| PublishError::Presign {
                key: key.to_string(),
                detail: DisplayErrorContext(&err).to_string(),
            })?;
        let expires_at = format_utc(now + expires_in, UtcStyle::Seconds);
        Ok(Published {
            bucket: bucket.clone(),
            key: key.to_string(),
            url: request.uri().to_string(),
            url_expires_at: expires_at,
            url_expires_in_seconds: self.config.url_seconds,
        })
    }
}

fn put_error<E, R>(bucket: &str, key: &str, err: SdkError<E, R>) -> PublishError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (bucket, key) = (bucket.to_string(), key.to_string());
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_string);
    let detail = DisplayErrorContext(&err).to_string();
    match code.as_deref() {
        Some("NoSuchBucket") => PublishError::MissingBucket { bucket },
        Some("AccessDenied") => PublishError::Denied {
            bucket,
            key,
            detail,
        },
        _ => PublishError::Put {
            bucket,
            key,
            detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const REPORT_BUCKET: &str = super::REPORT_BUCKET.name;
    const REPORT_PREFIX: &str = super::REPORT_PREFIX.name;
    const REPORT_URL_SECONDS: &str = super::REPORT_URL_SECONDS.name;

    fn config(vars: &[(&str, &str)]) -> Result<PublishConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PublishConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_bucket_is_required_and_named_in_the_error() {
        let err = config(&[]).unwrap_err();
        assert!(err.to_string().contains(REPORT_BUCKET), "{err}");
        let err = config(&[(REPORT_BUCKET, "  ")]).unwrap_err();
        assert!(err.to_string().contains(REPORT_BUCKET), "{err}");
        let err = config(&[(REPORT_BUCKET, "arn:aws:s3:::reports")]).unwrap_err();
        assert!(err.to_string().contains("not an ARN"), "{err}");
    }

    #[test]
    fn defaults_and_prefixes() {
        let c = config(&[(REPORT_BUCKET, "my-reports")]).unwrap();
        assert_eq!(
            c,
            PublishConfig {
                bucket: "my-reports".into(),
                prefix: "reports/".into(),
                url_seconds: 3600,
            }
        );
        assert_eq!(
            c.key(None, "2026-11-01", "2026-11-30", None),
            "reports/usage-2026-11-01-2026-11-30.html"
        );
        assert_eq!(
            c.key(Some("0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e"), "a", "b", None),
            "reports/0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e/usage-a-b.html"
        );
        assert_eq!(
            c.key(None, "2026-11-01", "2026-11-30", Some("ab/c d")),
            "reports/usage-2026-11-01-2026-11-30-ab_c_d.html"
        );
        let c = config(&[
            (REPORT_BUCKET, "b.example"),
            (REPORT_PREFIX, "/dash"),
            (REPORT_URL_SECONDS, "600"),
        ])
        .unwrap();
        assert_eq!((c.prefix.as_str(), c.url_seconds), ("dash/", 600));
        let c = config(&[(REPORT_BUCKET, "bbb"), (REPORT_PREFIX, "/")]).unwrap();
        assert_eq!(c.key(None, "a", "b", None), "usage-a-b.html");
        for bad in ["0", "604801", "an hour"] {
            let err = config(&[(REPORT_BUCKET, "bbb"), (REPORT_URL_SECONDS, bad)]).unwrap_err();
            assert!(err.to_string().contains(REPORT_URL_SECONDS), "{err}");
        }
    }
}
