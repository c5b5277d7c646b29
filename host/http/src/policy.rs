//! Where a connection's requests may go: its origin only (scheme, host, port), and only to
//! addresses that are not special (loopback, link-local, the cloud metadata address,
//! unspecified, multicast) unless the connection names them. Host names are checked after
//! resolution ([`PolicyResolver`]), so a name that resolves somewhere it should not is refused
//! before a byte is sent.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::connections::HttpConnection;

/// The cloud metadata service, reachable from inside many cloud machines (credentials!).
const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// AWS's IPv6 metadata address.
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

/// Why an address is special, or `None` for an ordinary one.
pub fn special(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return special_v4(v4);
            }
            if v6 == METADATA_V6 {
                Some("the cloud metadata address")
            } else if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if (v6.segments()[0] & 0xffc0) == 0xfe80 {
                Some("a link-local address")
            } else {
                None
            }
        }
    }
}

fn special_v4(v4: Ipv4Addr) -> Option<&'static str> {
    if v4 == METADATA_V4 {
        Some("the cloud metadata address")
    } else if v4.is_loopback() {
        Some("a loopback address")
    } else if v4.is_link_local() {
        Some("a link-local address")
    } else if v4.is_unspecified() || v4.octets()[0] == 0 {
        Some("the unspecified address")
    } else if v4.is_multicast() || v4.is_broadcast() {
        Some("a multicast or broadcast address")
    } else {
        None
    }
}

/// A request refused by the policy (kept as the source of the client's error, so the refusal
/// is told apart from network trouble and never retried).
#[derive(Debug, Clone)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A connection's policy.
#[derive(Debug)]
pub struct Policy {
    base: Url,
    /// Further origins the connection names (`extra-origins`); never sent its credential.
    extra: Vec<url::Origin>,
    /// Special addresses the connection names: its base URL's address literal, `allow-addresses`.
    named: Vec<IpAddr>,
}

impl Policy {
    pub fn new(connection: &HttpConnection) -> Self {
        let mut named = connection.allow_addresses.clone();
        match connection.base_url.host() {
            Some(url::Host::Ipv4(ip)) => named.push(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => named.push(IpAddr::V6(ip)),
            _ => {}
        }
        for origin in &connection.extra_origins {
            match origin.host() {
                Some(url::Host::Ipv4(ip)) => named.push(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => named.push(IpAddr::V6(ip)),
                _ => {}
            }
        }
        Policy {
            base: connection.base_url.clone(),
            extra: connection.extra_origins.iter().map(Url::origin).collect(),
            named,
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `url` relative to the base URL, or absolute within its origin.
    pub fn resolve(&self, url: &str) -> Result<Url, Refused> {
        let target = self
            .base
            .join(url.trim())
            .map_err(|e| Refused(format!("`{url}` is not a URL: {e}")))?;
        if !target.username().is_empty() || target.password().is_some() {
            // Never echo it: it holds a credential.
            return Err(Refused(
                "the URL holds credentials (`USER:PASSWORD@`); the connection adds them".into(),
            ));
        }
        if self.extra.contains(&target.origin()) {
            return Ok(target);
        }
        self.same_origin(&target)?;
        Ok(target)
    }

    /// Whether a request to `url` carries the connection's credential: only on its own origin,
    /// never on an extra one.
    pub fn credentialed(&self, url: &Url) -> bool {
        url.origin() == self.base.origin()
    }

    /// Refuses a URL outside the connection's origin.
    pub fn same_origin(&self, url: &Url) -> Result<(), Refused> {
        if url.origin() == self.base.origin() {
            return Ok(());
        }
        Err(Refused(format!(
            "{} is outside the connection's origin {}",
            origin_text(url),
            self.base.origin().ascii_serialization()
        )))
    }

    /// Refuses an address the host name resolved to, unless it is ordinary or named.
    pub fn check_address(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        match special(ip) {
            Some(why) if !self.named.contains(&ip) => Err(Refused(format!(
                "`{host}` resolves to {ip}, {why}; refused (a connection reaches such an address only when its `base-url` or `allow-addresses` names it)"
            ))),
            _ => Ok(()),
        }
    }
}

fn origin_text(url: &Url) -> String {
    match url.origin() {
        origin @ url::Origin::Tuple(..) => origin.ascii_serialization(),
        url::Origin::Opaque(_) => format!("`{}:`", url.scheme()),
    }
}

/// Resolves host names with the system resolver and refuses the answer if any address fails
/// the policy (a name with one good and one metadata address is refused whole).
pub struct PolicyResolver(pub Arc<Policy>);

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &addresses {
                policy.check_address(&host, address.ip())?;
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base: &str, allow: &[&str]) -> Policy {
        let mut c = HttpConnection::new(Url::parse(base).unwrap());
        c.allow_addresses = allow.iter().map(|a| a.parse().unwrap()).collect();
        Policy::new(&c)
    }

    #[test]
    fn urls_resolve_within_the_origin_only() {
        let p = policy("https://shop.example/zynk/", &[]);
        assert_eq!(
            p.resolve("download.php?a=1").unwrap().as_str(),
            "https://shop.example/zynk/download.php?a=1"
        );
        assert_eq!(
            p.resolve("https://shop.example/other").unwrap().as_str(),
            "https://shop.example/other"
        );
        for (url, says) in [
            ("https://evil.example/", "https://evil.example is outside"),
            ("http://shop.example/", "http://shop.example is outside"),
            (
                "https://shop.example:444/",
                "https://shop.example:444 is outside",
            ),
            ("//evil.example/x", "https://evil.example is outside"),
            ("https://93.184.216.34/", "https://93.184.216.34 is outside"),
            ("file:///etc/passwd", "`file:` is outside"),
        ] {
            let e = p.resolve(url).unwrap_err().0;
            assert!(e.contains(says), "{url}: {e}");
        }
        let e = p.resolve("https://u:hunter2@shop.example/").unwrap_err().0;
        assert!(e.contains("credentials") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn extra_origins_are_reachable_without_the_credential() {
        let mut c = HttpConnection::new(Url::parse("https://api.example/").unwrap());
        c.extra_origins = vec![Url::parse("https://documents.example:8443").unwrap()];
        let p = Policy::new(&c);
        let upload = p
            .resolve("https://documents.example:8443/doc/1?X-Amz-Signature=a%2Bb")
            .unwrap();
        assert!(!p.credentialed(&upload));
        assert!(p.credentialed(&p.resolve("orders").unwrap()));
        assert!(
            p.resolve("https://documents.example/doc/1").is_err(),
            "another port"
        );
    }

    #[test]
    fn special_addresses_are_refused_unless_named() {
        let p = policy("http://shop.example/", &["10.9.9.9", "::1"]);
        for ip in [
            "127.0.0.1",
            "169.254.169.254",
            "169.254.1.1",
            "0.0.0.0",
            "fe80::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
            "224.0.0.1",
        ] {
            let e = p
                .check_address("shop.example", ip.parse().unwrap())
                .unwrap_err()
                .0;
            assert!(e.contains(ip) && e.contains("refused"), "{e}");
        }
        assert!(
            p.check_address("shop.example", "::1".parse().unwrap())
                .is_ok()
        );
        assert!(
            p.check_address("shop.example", "93.184.216.34".parse().unwrap())
                .is_ok()
        );
        assert!(
            p.check_address("shop.example", "10.9.9.9".parse().unwrap())
                .is_ok()
        );
        let e = p
            .check_address("shop.example", "169.254.169.254".parse().unwrap())
            .unwrap_err()
            .0;
        assert!(e.contains("metadata"), "{e}");
        // An address literal in the base URL names it.
        let p = policy("http://127.0.0.1:8080/", &[]);
        assert!(
            p.check_address("127.0.0.1", "127.0.0.1".parse().unwrap())
                .is_ok()
        );
    }
}
