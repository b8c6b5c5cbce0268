//! Where calls go: the tenant's feed URLs, the PublisherIdentifier every call carries, and the
//! rule that the token goes to the configured API host only.

use url::Url;

use super::error::ApiError;
use super::operation::Operation;

/// `{audience}/api/v1.0/{tenant}/activity/feed`
pub(super) fn feed_root(audience: &Url, tenant_id: &str) -> Url {
    let mut root = audience.clone();
    root.set_path(&format!(
        "{}/api/v1.0/{tenant_id}/activity/feed",
        audience.path().trim_end_matches('/'),
    ));
    root
}

/// The URL of a feed call: the operation's path below the feed root, with `query`.
pub(super) fn feed_url(
    root: &Url,
    operation: Operation,
    query: &[(&str, &str)],
    publisher_id: &str,
) -> Url {
    let mut url = root.clone();
    url.set_path(&format!("{}/{}", root.path(), operation.as_str()));
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    with_publisher(url, publisher_id)
}

/// Adds the PublisherIdentifier (it selects the throttling quota) unless the URL (a
/// NextPageUri, say) already carries one.
pub(super) fn with_publisher(mut url: Url, publisher_id: &str) -> Url {
    if !url
        .query_pairs()
        .any(|(k, _)| k.eq_ignore_ascii_case("PublisherIdentifier"))
    {
        url.query_pairs_mut()
            .append_pair("PublisherIdentifier", publisher_id);
    }
    url
}

/// Refuses a URL on any origin but the feed root's: a `contentUri` or `NextPageUri` naming
/// another host must not receive the token. Userinfo (`https://user@host/`) is refused too: the
/// API never sends it, and some clients treat it as part of the host.
pub(super) fn check_host(url: &Url, root: &Url) -> Result<(), ApiError> {
    let same = url.username().is_empty()
        && url.password().is_none()
        && url.scheme() == root.scheme()
        && url.host_str().map(str::to_ascii_lowercase)
            == root.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == root.port_or_known_default();
    if same {
        Ok(())
    } else {
        Err(ApiError::ForeignHost {
            url: redact_query(url),
            expected: root.origin().ascii_serialization(),
        })
    }
}

/// A URL for an error message: paging tokens and ids in the query, and any userinfo, are not
/// needed there.
fn redact_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Url {
        feed_root(
            &Url::parse("https://manage.office.com/").unwrap(),
            "tenant-1",
        )
    }

    #[test]
    fn feed_urls_name_the_tenant_and_the_publisher() {
        assert_eq!(
            root().as_str(),
            "https://manage.office.com/api/v1.0/tenant-1/activity/feed"
        );
        let url = feed_url(
            &root(),
            Operation::StartSubscription,
            &[("contentType", "Audit.General")],
            "pub-1",
        );
        assert_eq!(
            url.as_str(),
            "https://manage.office.com/api/v1.0/tenant-1/activity/feed/subscriptions/start\
             ?contentType=Audit.General&PublisherIdentifier=pub-1"
        );
    }

    #[test]
    fn a_publisher_already_given_is_kept() {
        let next = Url::parse("https://manage.office.com/feed?publisheridentifier=theirs").unwrap();
        assert_eq!(with_publisher(next.clone(), "ours"), next);
    }

    #[test]
    fn only_the_api_origin_gets_the_token() {
        let same =
            Url::parse("HTTPS://Manage.Office.com:443/api/v1.0/x/activity/feed/audit/1").unwrap();
        assert!(check_host(&same, &root()).is_ok());
        for other in [
            "https://evil.test/api/v1.0/x/audit?code=secret",
            "http://manage.office.com/api",
            "https://manage.office.com:8443/api",
            "https://secret@manage.office.com/api/v1.0/x/activity/feed/audit/1",
            "https://user:secret@manage.office.com/api",
        ] {
            let err = check_host(&Url::parse(other).unwrap(), &root()).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, ApiError::ForeignHost { .. }), "{other}");
            assert!(!text.contains("secret"), "{text}");
        }
    }
}
