//! Reading variables: text, bounded numbers, GUIDs and endpoint URLs, each with an error that
//! names the variable and what it expects.

use std::net::IpAddr;
use std::ops::RangeInclusive;

use url::Url;

use super::table::Var;

/// A variable that is missing or malformed; the message says what to set.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{var} is not set: expected {expected}")]
    Missing {
        /// The variable's name.
        var: &'static str,
        /// What it should hold.
        expected: &'static str,
    },
    /// A variable holds something it cannot be.
    #[error("{var} is {value:?}: expected {expected}")]
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What it holds.
        value: String,
        /// What it should hold.
        expected: String,
    },
    /// A registered tenant's field is missing or malformed.
    #[error(
        "\"{field}\" of tenant {tenant_id} is {value:?}: expected {expected}; replace the tenant \
         with add_tenant"
    )]
    TenantField {
        /// The tenant.
        tenant_id: String,
        /// The registry field, e.g. `cloud`.
        field: &'static str,
        /// What it holds (empty when missing).
        value: String,
        /// What it should hold.
        expected: String,
    },
    /// Neither secret variable is set.
    #[error(
        "no client credential configured: set AUDIT_LOGS_CLIENT_CERTIFICATE_ARN to a Secrets \
         Manager secret holding the app's certificate and key, or {arn} to one holding its client \
         secret, or {plain} to the secret itself"
    )]
    NoSecret {
        /// The Secrets Manager reference's variable.
        arn: &'static str,
        /// The plain secret's variable.
        plain: &'static str,
    },
}

/// Looks a variable up by name.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// A source of variables: the process environment, or a map in tests.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl Env<'static> {
    /// The process environment.
    pub fn process() -> Env<'static> {
        Env::new(|name| std::env::var(name).ok())
    }
}

impl<'a> Env<'a> {
    /// Any source of values by name.
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Env<'a> {
        Env {
            lookup: Box::new(lookup),
        }
    }

    /// The trimmed value. Unset and empty mean the same: templates pass "" for unused parameters.
    pub fn text(&self, var: &Var) -> Option<String> {
        (self.lookup)(var.name)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    }

    /// The value, or the table's default, or [`ConfigError::Missing`] with `expected`.
    pub fn required(&self, var: &Var, expected: &'static str) -> Result<String, ConfigError> {
        self.text(var)
            .or_else(|| var.default.value().map(str::to_string))
            .ok_or(ConfigError::Missing {
                var: var.name,
                expected,
            })
    }

    /// The value or the table's default, unchecked (names of tables, say).
    pub fn text_or_default(&self, var: &Var) -> Option<String> {
        self.text(var)
            .or_else(|| var.default.value().map(str::to_string))
    }

    /// The value parsed by `parse`, or `None` when unset; `expected` says what `parse` accepts.
    pub fn parsed<T, E>(
        &self,
        var: &Var,
        parse: impl FnOnce(&str) -> Result<T, E>,
        expected: impl FnOnce(E) -> String,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.text(var) else {
            return Ok(None);
        };
        match parse(&value) {
            Ok(parsed) => Ok(Some(parsed)),
            Err(err) => Err(invalid(var, value, expected(err))),
        }
    }

    /// A whole number within `range`, or the table's default when unset.
    pub fn number(&self, var: &Var, range: RangeInclusive<u64>) -> Result<u64, ConfigError> {
        let value = self.text_or_default(var).ok_or(ConfigError::Missing {
            var: var.name,
            expected: "a whole number",
        })?;
        match value.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(invalid(
                var,
                value,
                format!("a whole number from {} to {}", range.start(), range.end()),
            )),
        }
    }

    /// A GUID (`8-4-4-4-12` hexadecimal digits), lower-cased; `None` when unset.
    pub fn guid(&self, var: &Var) -> Result<Option<String>, ConfigError> {
        self.parsed(
            var,
            |value| is_guid(value).then(|| value.to_ascii_lowercase()).ok_or(()),
            |()| {
                "a GUID such as 7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47 (the tenant's Directory ID, \
                 not its domain name)"
                    .into()
            },
        )
    }

    /// An endpoint root, or `default` when unset. Plain http is allowed only for loopback hosts,
    /// so a typo can never send the secret or a token over the network in clear.
    pub fn endpoint(&self, var: &Var, default: &str) -> Result<Url, ConfigError> {
        let raw = self.text(var).unwrap_or_else(|| default.to_string());
        check_endpoint(&raw).map_err(|expected| invalid(var, raw.clone(), expected.into()))
    }
}

fn invalid(var: &Var, value: String, expected: String) -> ConfigError {
    ConfigError::Invalid {
        var: var.name,
        value,
        expected,
    }
}

fn check_endpoint(raw: &str) -> Result<Url, &'static str> {
    let mut url = Url::parse(raw).map_err(|_| "an absolute https:// URL")?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err("an https:// URL (plain http:// is accepted only for loopback hosts)");
        }
        _ => return Err("an https:// URL"),
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err("an https:// URL without query or fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("an https:// URL without credentials in it");
    }
    // The API and token paths are appended to this root.
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

/// `8-4-4-4-12` hexadecimal digits, the only form the API accepts for tenant ids.
pub fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the URL's host is the local host (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::table;

    fn env(value: &'static str) -> Env<'static> {
        Env::new(move |_| Some(value.to_string()))
    }

    #[test]
    fn unset_and_blank_are_the_same() {
        assert_eq!(env("   ").text(&table::TABLE), None);
        assert_eq!(
            env(" ").text_or_default(&table::TABLE).as_deref(),
            Some("audit-log-events")
        );
        assert_eq!(env(" x ").text(&table::TABLE).as_deref(), Some("x"));
    }

    #[test]
    fn numbers_are_bounded_and_default_from_the_table() {
        assert_eq!(env("").number(&table::CONCURRENCY, 1..=256), Ok(16));
        assert_eq!(env("4").number(&table::CONCURRENCY, 1..=256), Ok(4));
        for bad in ["0", "257", "-1", "ten", "1.5"] {
            let err = env(bad).number(&table::CONCURRENCY, 1..=256).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("AUDIT_LOGS_CONCURRENCY is {bad:?}: expected a whole number from 1 to 256")
            );
        }
    }

    #[test]
    fn guids_are_checked_and_lower_cased() {
        assert_eq!(
            env("7D2B9F3E-1C4A-4F6B-9E2D-3A5C8B1F0E47").guid(&table::TENANT_ID),
            Ok(Some("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47".into()))
        );
        assert!(is_guid("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47"));
        assert!(!is_guid("7d2b9f3e1c4a4f6b9e2d3a5c8b1f0e47"));
        assert!(!is_guid("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e4g"));
        let err = env("contoso.onmicrosoft.com")
            .guid(&table::TENANT_ID)
            .unwrap_err();
        assert!(err.to_string().contains("Directory ID"), "{err}");
    }

    #[test]
    fn endpoints_need_https_unless_loopback() {
        for ok in [
            "https://manage.office.com/",
            "http://127.0.0.1:9",
            "http://[::1]:1",
        ] {
            assert!(env(ok).endpoint(&table::AUDIENCE, "").is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://localhost.evil.com",
            "ftp://x.example",
            "https://user:pw@manage.office.com",
            "https://manage.office.com/?q=1",
            "manage.office.com",
        ] {
            assert!(env(bad).endpoint(&table::AUDIENCE, "").is_err(), "{bad}");
        }
        let url = Env::new(|_| None)
            .endpoint(&table::AUDIENCE, "https://manage.office.com")
            .unwrap();
        assert_eq!(url.as_str(), "https://manage.office.com/");
    }
}
