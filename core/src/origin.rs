//! The few URL rules the core needs, without a URL crate (the mobile library carries no
//! HTTP stack): a server URL's origin (scheme, host, port), and a tus `Location` resolved
//! against the upload endpoint and kept on that origin.

/// The scheme, host and port of an `http(s)://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The host as written (an IPv6 address keeps its brackets), lowercased.
    pub host: String,
    /// The port, written or the scheme's default.
    pub port: u16,
}

impl Origin {
    /// The origin of `url`, if it is an `http://` or `https://` URL with a host (no user
    /// info: a URL with credentials in it is never believed).
    pub fn of(url: &str) -> Option<Origin> {
        let (scheme, rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
            ("https", rest, 443)
        } else if let Some(rest) = url.strip_prefix("http://") {
            ("http", rest, 80)
        } else {
            return None;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            // `[::1]:8080`, `host:8080`; a bare `[::1]` has its colons inside brackets.
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (authority, None),
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok()?,
            None => default_port,
        };
        let valid_host = if let Some(inner) = host.strip_prefix('[') {
            inner
                .strip_suffix(']')
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
        } else {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        valid_host.then(|| Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether the host is this machine (the only place cleartext may go).
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => self.host == "localhost",
        }
    }
}

/// `location` (absolute, or a path on the same origin) resolved against `base`; `None`
/// unless it stays on `base`'s origin: the bearer token goes with every tus request, so a
/// `Location` elsewhere is never followed.
pub fn resolve_on_origin(base: &str, location: &str) -> Option<String> {
    let origin = Origin::of(base)?;
    let absolute = if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else if location.starts_with("//") {
        format!("{}:{location}", origin.scheme)
    } else if location.starts_with('/') {
        let authority_end = base.find("://").map(|i| i + 3)?;
        let path_start = base[authority_end..]
            .find(['/', '?', '#'])
            .map_or(base.len(), |i| authority_end + i);
        format!("{}{location}", &base[..path_start])
    } else {
        // Relative to the base's directory (RFC 3986's merge of paths).
        let cut = base.split(['?', '#']).next().unwrap_or(base);
        let dir = cut.rfind('/').map_or(cut, |i| &cut[..=i]);
        format!("{dir}{location}")
    };
    let resolved = Origin::of(&absolute)?;
    let no_dots = !absolute
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .split('/')
        .any(|s| s == "." || s == "..");
    (resolved == origin && no_dots).then_some(absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_with_their_default_ports_and_odd_urls_are_refused() {
        let o = Origin::of("https://Api.Waybill.example/v1").unwrap();
        assert_eq!(
            (o.scheme, o.host.as_str(), o.port),
            ("https", "api.waybill.example", 443)
        );
        let o = Origin::of("http://127.0.0.1:8080").unwrap();
        assert_eq!((o.port, o.is_loopback()), (8080, true));
        assert!(Origin::of("http://[::1]:9/x").unwrap().is_loopback());
        assert!(Origin::of("http://localhost").unwrap().is_loopback());
        assert!(!Origin::of("https://example.com").unwrap().is_loopback());
        for bad in [
            "ftp://example.com",
            "https://",
            "https://user:pw@example.com",
            "https://exa mple.com",
            "https://example.com:99999",
            "https://[not-ip]/",
            "example.com",
        ] {
            assert_eq!(Origin::of(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_location_resolves_on_the_same_origin_only() {
        let base = "https://api.example/v1/uploads";
        assert_eq!(
            resolve_on_origin(base, "/v1/uploads/abc").as_deref(),
            Some("https://api.example/v1/uploads/abc")
        );
        assert_eq!(
            resolve_on_origin(base, "https://api.example:443/v1/uploads/abc").as_deref(),
            Some("https://api.example:443/v1/uploads/abc")
        );
        assert_eq!(
            resolve_on_origin(base, "uploads/abc").as_deref(),
            Some("https://api.example/v1/uploads/abc")
        );
        for elsewhere in [
            "https://evil.example/v1/uploads/abc",
            "http://api.example/v1/uploads/abc",
            "//evil.example/x",
            "https://api.example:8443/x",
            "/v1/../admin",
        ] {
            assert_eq!(resolve_on_origin(base, elsewhere), None, "{elsewhere}");
        }
    }
}
