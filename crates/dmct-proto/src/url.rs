//! The one reader of `http(s)://` URLs in dmct: server addresses given on the command
//! line, RespURIs, the proxy's upstream. Every part of the tool takes a URL apart here,
//! so they agree on `HTTP://`, a missing path, a query without a path, a fragment and
//! an IPv6 literal.

/// An absolute `http(s)://` URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// `host`, `host:port`, `[v6]` or `[v6]:port`, as written.
    pub authority: String,
    /// Origin-form request target: path and query, at least `/`; never a fragment.
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not an http:// or https:// URL")]
    Scheme,
    #[error("the URL names no host")]
    NoHost,
    #[error("the URL carries user information or white space before its path")]
    Authority,
}

impl Url {
    /// Read an absolute http(s) URL; the scheme is matched without regard to case
    /// (RFC 3986 §3.1).
    pub fn parse(url: &str) -> Result<Url, UrlError> {
        let url = url.trim();
        let scheme_end = url.find("://").ok_or(UrlError::Scheme)?;
        let https = match &url[..scheme_end] {
            s if s.eq_ignore_ascii_case("http") => false,
            s if s.eq_ignore_ascii_case("https") => true,
            _ => return Err(UrlError::Scheme),
        };
        let rest = &url[scheme_end + 3..];
        let (authority, target) = match rest.find(['/', '?', '#']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_owned()),
            Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
            Some(i) => (&rest[..i], "/".to_owned()),
            None => (rest, "/".to_owned()),
        };
        // A fragment never goes on the wire.
        let target = match target.split_once('#') {
            Some((t, _)) => t.to_owned(),
            None => target,
        };
        if authority.is_empty() {
            return Err(UrlError::NoHost);
        }
        if authority.contains(['@', ' ', '\t']) {
            return Err(UrlError::Authority);
        }
        Ok(Url {
            https,
            authority: authority.to_owned(),
            target,
        })
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme(), self.authority)
    }

    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The host, IPv6 brackets removed: what a certificate must name.
    pub fn host(&self) -> &str {
        let a = self.authority.as_str();
        if let Some(rest) = a.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    }

    /// `host:port`, with the scheme's default port when none is written: what a socket
    /// connects to.
    pub fn socket(&self) -> String {
        let a = &self.authority;
        let has_port = match a.rfind(']') {
            Some(i) => a[i..].contains(':'),
            None => a.contains(':'),
        };
        if has_port {
            a.clone()
        } else {
            format!("{a}:{}", if self.https { 443 } else { 80 })
        }
    }
}

/// The request target a message to `uri` goes to: its origin-form target when `uri`
/// is an http(s) URL, else `uri` itself (trimmed), so a peer's odd RespURI is still
/// compared with what was sent rather than dropped.
pub fn target_of(uri: &str) -> String {
    Url::parse(uri).map_or_else(|_| uri.trim().to_owned(), |u| u.target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_an_http_url() {
        let u = Url::parse("http://h:1/a?b").unwrap();
        assert_eq!(
            (u.https, u.authority.as_str(), u.target.as_str()),
            (false, "h:1", "/a?b")
        );
        assert_eq!(u.origin(), "http://h:1");
        assert_eq!(Url::parse("HTTPS://h").unwrap().target, "/");
        assert!(Url::parse("HTTP://h/x").is_ok_and(|u| !u.https && u.target == "/x"));
        assert_eq!(Url::parse("http://h?x").unwrap().target, "/?x");
        assert_eq!(Url::parse("http://h/p#frag").unwrap().target, "/p");
        assert_eq!(Url::parse("http://h#frag").unwrap().target, "/");
        assert_eq!(Url::parse("http://[::1]/").unwrap().host(), "::1");
        assert_eq!(Url::parse("http://[::1]").unwrap().socket(), "[::1]:80");
        assert_eq!(Url::parse("http://[::1]:8").unwrap().socket(), "[::1]:8");
        assert_eq!(Url::parse("https://h").unwrap().socket(), "h:443");
        assert_eq!(Url::parse("http://h:81").unwrap().host(), "h");
        assert_eq!(Url::parse(" http://h/ ").unwrap().target, "/");
    }

    #[test]
    fn what_is_not_an_http_url_says_why() {
        assert_eq!(Url::parse("ftp://h/"), Err(UrlError::Scheme));
        assert_eq!(Url::parse("h/x"), Err(UrlError::Scheme));
        assert_eq!(Url::parse("http:///x"), Err(UrlError::NoHost));
        assert_eq!(Url::parse("http://u@h/"), Err(UrlError::Authority));
        assert_eq!(Url::parse("http://a b/"), Err(UrlError::Authority));
    }

    #[test]
    fn target_of_falls_back_to_the_text() {
        assert_eq!(target_of("http://h:1/a/b?c=d"), "/a/b?c=d");
        assert_eq!(target_of("HTTP://h"), "/");
        assert_eq!(target_of(" /relative "), "/relative");
    }
}
