//! [`ZenohOptions`]: where a relay listens, where it connects, whether it scouts, and the
//! certificates of its TLS transport ([`TlsOptions`]).

use std::path::PathBuf;

use crate::error::RelayError;

/// The Zenoh endpoint an exporter listens on and an importer connects to by default: loopback,
/// so that the two commands work on one machine as they are.
pub const DEFAULT_ENDPOINT: &str = "tcp/127.0.0.1:7447";

/// How a relay's Zenoh session finds its peers.
///
/// Endpoints are Zenoh locators such as `tcp/192.0.2.10:7447` or `tcp/[::]:7447`. The two sides
/// need one path between them: one listens and the other connects to it, or both scout by
/// multicast on a LAN. A side that connects keeps retrying, so either side can start first and
/// either can restart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ZenohOptions {
    /// Endpoints to listen on.
    pub listen: Vec<String>,
    /// Endpoints to connect to (retried until they answer, and after they go away).
    pub connect: Vec<String>,
    /// Discover peers by UDP multicast (Zenoh's scouting). Off by default: peers are then
    /// found only through `listen` and `connect`.
    pub multicast_scouting: bool,
    /// Certificates for `tls/HOST:PORT` endpoints (the `tls` feature).
    pub tls: TlsOptions,
}

/// Certificates for Zenoh's TLS transport, used by `tls/HOST:PORT` endpoints: PEM files. Needs
/// the `tls` feature; without it, any of them (or a `tls/` endpoint) is refused with
/// [`RelayError::TlsNotBuilt`].
///
/// A side that connects checks the listener's certificate against `root_ca` and the host name
/// of its endpoint. With `mutual`, a listener accepts only peers that present a certificate
/// signed by `root_ca`, so that only holders of such a certificate can publish or subscribe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// The certificate authority that peers' certificates must be signed by.
    pub root_ca: Option<PathBuf>,
    /// This side's certificate: presented when listening, and when connecting under `mutual`.
    pub certificate: Option<PathBuf>,
    /// The private key of `certificate`.
    pub private_key: Option<PathBuf>,
    /// Mutual TLS: each side presents a certificate signed by `root_ca`.
    pub mutual: bool,
}

impl TlsOptions {
    /// Whether any TLS setting is given.
    fn is_set(&self) -> bool {
        self.root_ca.is_some()
            || self.certificate.is_some()
            || self.private_key.is_some()
            || self.mutual
    }

    /// The Zenoh configuration entries, as `(key, JSON value)`.
    ///
    /// # Errors
    ///
    /// [`RelayError::Zenoh`] if a file path is not UTF-8, which Zenoh's configuration needs.
    fn entries(&self) -> Result<Vec<(&'static str, String)>, RelayError> {
        let file = |path: &PathBuf| {
            path.to_str().map(json_string).ok_or_else(|| RelayError::Zenoh {
                context: "configure",
                message: format!("TLS file path {} is not UTF-8", path.display()),
            })
        };
        let mut entries = Vec::new();
        if let Some(root_ca) = &self.root_ca {
            entries.push(("transport/link/tls/root_ca_certificate", file(root_ca)?));
        }
        if let Some(certificate) = &self.certificate {
            entries.push(("transport/link/tls/listen_certificate", file(certificate)?));
            entries.push(("transport/link/tls/connect_certificate", file(certificate)?));
        }
        if let Some(key) = &self.private_key {
            entries.push(("transport/link/tls/listen_private_key", file(key)?));
            entries.push(("transport/link/tls/connect_private_key", file(key)?));
        }
        if self.mutual {
            entries.push(("transport/link/tls/enable_mtls", "true".into()));
        }
        Ok(entries)
    }
}

impl ZenohOptions {
    /// Listens on [`DEFAULT_ENDPOINT`]: an exporter's default.
    pub fn listen_default() -> Self {
        Self { listen: vec![DEFAULT_ENDPOINT.into()], ..Self::default() }
    }

    /// Connects to [`DEFAULT_ENDPOINT`]: an importer's default.
    pub fn connect_default() -> Self {
        Self { connect: vec![DEFAULT_ENDPOINT.into()], ..Self::default() }
    }

    /// The Zenoh configuration: a peer with these endpoints, retrying connections every
    /// 250 ms at first and at least every second, with the TLS certificates if any.
    ///
    /// # Errors
    ///
    /// [`RelayError::Zenoh`] if Zenoh refuses an endpoint; [`RelayError::TlsNotBuilt`] if TLS
    /// is asked for without the `tls` feature.
    pub fn to_config(&self) -> Result<zenoh::Config, RelayError> {
        if !cfg!(feature = "tls") {
            let endpoint = self.listen.iter().chain(&self.connect).find(|e| e.starts_with("tls/"));
            if let Some(endpoint) = endpoint {
                return Err(RelayError::TlsNotBuilt { asked: format!("endpoint {endpoint}") });
            }
            if self.tls.is_set() {
                return Err(RelayError::TlsNotBuilt { asked: "certificate options".into() });
            }
        }
        let mut config = zenoh::Config::default();
        let mut set = |key: &str, value: String| {
            config.insert_json5(key, &value).map_err(|e| RelayError::Zenoh {
                context: "configure",
                message: format!("{key} = {value}: {e}"),
            })
        };
        set("mode", "\"peer\"".into())?;
        set("listen/endpoints", json_list(&self.listen))?;
        set("connect/endpoints", json_list(&self.connect))?;
        set("scouting/multicast/enabled", self.multicast_scouting.to_string())?;
        let retry = r#"{ period_init_ms: 250, period_max_ms: 1000, period_increase_factor: 2 }"#;
        set("connect/retry", retry.into())?;
        for (key, value) in self.tls.entries()? {
            set(key, value)?;
        }
        Ok(config)
    }
}

/// `["a","b"]`, with each string escaped as JSON.
fn json_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| json_string(item)).collect();
    format!("[{}]", quoted.join(","))
}

/// `text` as a JSON string literal, which JSON5 reads the same way: quotes, backslashes and
/// control characters escaped (Rust's `{:?}` quoting is not JSON).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Opens a Zenoh session with `options`.
pub(crate) fn open_session(options: &ZenohOptions) -> Result<zenoh::Session, RelayError> {
    use zenoh::Wait;
    zenoh::open(options.to_config()?).wait().map_err(RelayError::zenoh("open a session"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_json() {
        assert_eq!(json_string("plain/path.pem"), "\"plain/path.pem\"");
        assert_eq!(json_string("a\"b\\c\nd\u{7f}"), "\"a\\\"b\\\\c\\u000ad\\u007f\"");
        assert_eq!(json_list(&["x".into(), "y\"".into()]), "[\"x\",\"y\\\"\"]");
    }

    #[test]
    fn a_certificate_path_with_quotes_and_control_characters_stays_one_string() {
        let tls = TlsOptions {
            root_ca: Some(PathBuf::from("/tmp/odd \"ca\"\n.pem")),
            ..TlsOptions::default()
        };
        let entries = tls.entries().expect("UTF-8 paths are accepted");
        assert_eq!(entries[0].1, "\"/tmp/odd \\\"ca\\\"\\u000a.pem\"");
    }

    #[test]
    fn options_make_a_valid_config() {
        let options = ZenohOptions {
            listen: vec!["tcp/127.0.0.1:0".into()],
            connect: vec!["tcp/127.0.0.1:7447".into(), "tcp/[::1]:7447".into()],
            multicast_scouting: false,
            tls: TlsOptions::default(),
        };
        let config = options.to_config().unwrap();
        let listen = config.get_json("listen/endpoints").unwrap();
        assert!(listen.contains("tcp/127.0.0.1:0"), "{listen}");
        assert_eq!(config.get_json("scouting/multicast/enabled").unwrap(), "false");
    }

    #[test]
    fn bad_endpoints_are_refused() {
        let options = ZenohOptions { listen: vec!["not an endpoint".into()], ..Default::default() };
        assert!(matches!(options.to_config(), Err(RelayError::Zenoh { .. })));
    }

    fn tls_options() -> ZenohOptions {
        ZenohOptions {
            listen: vec!["tls/localhost:7447".into()],
            tls: TlsOptions {
                root_ca: Some("/etc/relay/ca.pem".into()),
                certificate: Some("/etc/relay/cert.pem".into()),
                private_key: Some("/etc/relay/key.pem".into()),
                mutual: true,
            },
            ..ZenohOptions::default()
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn tls_options_become_zenoh_tls_settings() {
        let config = tls_options().to_config().unwrap();
        let tls = |key: &str| config.get_json(&format!("transport/link/tls/{key}")).unwrap();
        assert_eq!(tls("root_ca_certificate"), "\"/etc/relay/ca.pem\"");
        for side in ["listen", "connect"] {
            assert_eq!(tls(&format!("{side}_certificate")), "\"/etc/relay/cert.pem\"");
            assert_eq!(tls(&format!("{side}_private_key")), "\"/etc/relay/key.pem\"");
        }
        assert_eq!(tls("enable_mtls"), "true");
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_without_the_feature_is_refused() {
        let refused = tls_options().to_config();
        assert!(matches!(refused, Err(RelayError::TlsNotBuilt { .. })), "{refused:?}");
        let options = ZenohOptions { tls: TlsOptions::default(), ..tls_options() };
        assert!(matches!(options.to_config(), Err(RelayError::TlsNotBuilt { .. })));
    }
}
