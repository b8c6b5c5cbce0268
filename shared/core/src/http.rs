//! The HTTP client the product shares, and how HTTP failures are put into error messages.
//!
//! Both the token provider and the Management API client use these, so they live apart from
//! either.

use std::time::Duration;

use reqwest::Response;

/// Error bodies read at most this far: they are small, and a huge one is cut rather than read
/// whole.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// Characters of a body shown in an error message.
const EXCERPT_CHARS: usize = 300;

/// The HTTP client every part of the product shares: rustls, no redirects (a redirect could
/// carry the token elsewhere), bounded connect and read times.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(120))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("audit-log-sync/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend is compiled in")
}

/// The body of a refused call, cut at 64 KiB; a body that breaks off keeps what arrived, which
/// is enough to say what went wrong.
pub async fn read_error_body(mut resp: Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    body
}

/// The first part of a body, for error messages: enough to recognise an HTML error page or a
/// stack trace without flooding the log.
pub fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".into();
    }
    match collapsed.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

/// A transport error without the noise of reqwest's nested sources flattened away.
pub fn describe_reqwest_error(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded() {
        let long = vec![b'a'; 10_000];
        assert!(body_excerpt(&long).chars().count() <= 301);
        assert_eq!(body_excerpt(&[0xff, 0xfe, b'x']), "\u{fffd}\u{fffd}x");
    }

    #[test]
    fn excerpts_collapse_whitespace_and_name_an_empty_body() {
        assert_eq!(
            body_excerpt(b"  <html>\r\n  <body> Bad\tGateway "),
            "<html> <body> Bad Gateway"
        );
        assert_eq!(body_excerpt(b" \n\t "), "(empty body)");
    }
}
