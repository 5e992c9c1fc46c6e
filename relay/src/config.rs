//! [`ZenohOptions`]: where a relay listens, where it connects, whether it scouts, and the
//! certificates of its TLS transport ([`TlsOptions`]).

use std::path::{Path, PathBuf};

use crate::error::{RelayError, plain};

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
    /// [`RelayError::InvalidEndpoint`] if an endpoint is not `PROTOCOL/HOST:PORT` of a protocol
    /// this build speaks; [`RelayError::TlsNotBuilt`] if TLS is asked for without the `tls`
    /// feature; [`RelayError::Zenoh`] if Zenoh refuses a setting.
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
        for endpoint in self.listen.iter().chain(&self.connect) {
            check_endpoint(endpoint)?;
        }
        let mut config = zenoh::Config::default();
        let mut set = |key: &str, value: String| {
            config.insert_json5(key, &value).map_err(|e| RelayError::Zenoh {
                context: "configure",
                message: format!("{key} = {value}: {}", plain(&e.to_string())),
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

/// The protocols of the Zenoh transports this build has.
const PROTOCOLS: &[&str] = if cfg!(feature = "tls") { &["tcp", "tls"] } else { &["tcp"] };

/// What an endpoint looks like, for the error messages.
const ENDPOINT_FORM: &str = "an endpoint is PROTOCOL/HOST:PORT, such as tcp/0.0.0.0:7447, \
                             tcp/[::1]:7447 or tcp/host.example:7447";

/// Checks that `endpoint` is `PROTOCOL/HOST:PORT` with a protocol of this build, before Zenoh
/// sees it (its own messages are Debug dumps with source locations).
fn check_endpoint(endpoint: &str) -> Result<(), RelayError> {
    let invalid =
        |reason: String| RelayError::InvalidEndpoint { endpoint: endpoint.into(), reason };
    let parsed: zenoh::config::EndPoint =
        endpoint.parse().map_err(|_| invalid(ENDPOINT_FORM.into()))?;
    let protocol = parsed.protocol().as_str().to_owned();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(invalid(format!(
            "protocol {protocol:?} is not supported: this bcast-relay speaks {}{}",
            PROTOCOLS.join(" and "),
            if cfg!(feature = "tls") { "" } else { " (and tls, built with `--features tls`)" }
        )));
    }
    let address = parsed.address();
    let Some((host, port)) = address.as_str().rsplit_once(':') else {
        return Err(invalid(format!("no port: {ENDPOINT_FORM}")));
    };
    if host.is_empty() {
        return Err(invalid(format!("no host: {ENDPOINT_FORM}")));
    }
    if port.parse::<u16>().is_err() {
        return Err(invalid(format!("the port {port:?} is not a number from 0 to 65535")));
    }
    Ok(())
}

/// Checks that each TLS file given can be read and holds a PEM item of its kind, so that a
/// wrong path is reported with its option rather than as a listener that Zenoh cannot make (or
/// not at all, on a side that only connects: it would retry forever).
fn check_tls_files(tls: &TlsOptions) -> Result<(), RelayError> {
    let files = [
        (&tls.root_ca, "root certificate", "--tls-root-ca", "CERTIFICATE-----"),
        (&tls.certificate, "certificate", "--tls-cert", "CERTIFICATE-----"),
        (&tls.private_key, "private key", "--tls-key", "PRIVATE KEY-----"),
    ];
    for (path, what, option, label) in files {
        let Some(path) = path else { continue };
        let fail =
            |reason: String| RelayError::TlsFile { what, option, path: path.clone(), reason };
        let text = read_pem(path).map_err(|e| fail(e.to_string()))?;
        let found =
            text.lines().map(str::trim).any(|l| l.starts_with("-----BEGIN ") && l.ends_with(label));
        if !found {
            return Err(fail(format!("no PEM {what} in it (a -----BEGIN ...{label} line)")));
        }
    }
    Ok(())
}

/// The text of a PEM file (at most 1 MiB of it: certificates are small).
fn read_pem(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(1 << 20).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Checks that the host of each endpoint to listen on resolves: Zenoh's own report of one that
/// does not names no endpoint.
fn check_listen_hosts(listen: &[String]) -> Result<(), RelayError> {
    use std::net::ToSocketAddrs;
    for endpoint in listen {
        let Ok(parsed) = endpoint.parse::<zenoh::config::EndPoint>() else { continue };
        let address = parsed.address().as_str().to_owned();
        let host = address.rsplit_once(':').map_or("", |(host, _)| host);
        if host.starts_with('[') {
            continue; // an IPv6 literal
        }
        if let Err(error) = address.to_socket_addrs() {
            let reason = format!("the host name {host:?} does not resolve ({error})");
            return Err(RelayError::Listen { endpoint: endpoint.clone(), reason });
        }
    }
    Ok(())
}

/// Opens a Zenoh session with `options`.
pub(crate) fn open_session(options: &ZenohOptions) -> Result<zenoh::Session, RelayError> {
    use zenoh::Wait;
    let config = options.to_config()?;
    check_tls_files(&options.tls)?;
    check_listen_hosts(&options.listen)?;
    zenoh::open(config).wait().map_err(|error| open_error(&options.listen, &error.to_string()))
}

/// Why a session could not be opened, from Zenoh's `message`: a listener that could not be made
/// (the only part of opening that fails rather than retries) names its endpoint.
fn open_error(listen: &[String], message: &str) -> RelayError {
    let address = |endpoint: &String| endpoint.split_once('/').map(|(_, rest)| rest.to_owned());
    let endpoint =
        listen.iter().find(|endpoint| address(endpoint).is_some_and(|a| mentions(message, &a)));
    let Some(endpoint) = endpoint else {
        return RelayError::Zenoh { context: "open a session", message: plain(message) };
    };
    let reason = os_error(message).unwrap_or_else(|| plain(message));
    RelayError::Listen { endpoint: endpoint.clone(), reason }
}

/// Whether `message` names `address`, not merely a longer one (`:1` in `:10`).
fn mentions(message: &str, address: &str) -> bool {
    message.match_indices(address).any(|(at, _)| {
        !message[at + address.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
    })
}

/// The operating system's error that `message` reports (`... (os error 98) ...`), in its own
/// words, with what it usually means for a listener.
fn os_error(message: &str) -> Option<String> {
    let start = message.find("(os error ")? + "(os error ".len();
    let digits: String = message[start..].chars().take_while(char::is_ascii_digit).collect();
    let code = digits.parse().ok()?;
    let error = std::io::Error::from_raw_os_error(code);
    let meaning = match code {
        libc::EADDRINUSE => "; another process listens there (another exporter?)",
        libc::EADDRNOTAVAIL => "; it is not an address of this host",
        libc::EACCES => "; ports below 1024 need privileges",
        _ => "",
    };
    Some(format!("{error}{meaning}"))
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
    fn bad_endpoints_are_refused_in_plain_words() {
        let cases = [
            ("not an endpoint", "PROTOCOL/HOST:PORT"),
            ("udp/127.0.0.1:7000", "protocol \"udp\" is not supported"),
            ("tcp/127.0.0.1:http", "the port \"http\" is not a number"),
            ("tcp/127.0.0.1", "no port"),
            ("tcp/:7447", "no host"),
        ];
        for (endpoint, reason) in cases {
            let options = ZenohOptions { connect: vec![endpoint.into()], ..Default::default() };
            let error = options.to_config().expect_err(endpoint);
            assert!(matches!(error, RelayError::InvalidEndpoint { .. }), "{error:?}");
            let message = error.to_string();
            assert!(message.contains(endpoint) && message.contains(reason), "{message}");
        }
        for good in ["tcp/[::1]:7447", "tcp/localhost:0", "tcp/0.0.0.0:7447#iface=lo"] {
            check_endpoint(good).expect(good);
        }
    }

    #[test]
    fn a_listener_that_cannot_be_made_names_its_endpoint_and_the_os_error() {
        let listen = vec!["tcp/127.0.0.1:4".to_owned(), "tcp/127.0.0.1:45133".to_owned()];
        let message = "Can not create a new TCP listener bound to tcp/127.0.0.1:45133: \
                       [127.0.0.1:45133: Address already in use (os error 98) at /r/tcp.rs:61.] \
                       at /r/unicast.rs:338.";
        let error = open_error(&listen, message).to_string();
        assert_eq!(
            error,
            "cannot listen on tcp/127.0.0.1:45133: Address already in use (os error 98); another \
             process listens there (another exporter?)"
        );
        let error = open_error(&listen, "something else at /r/lib.rs:1.").to_string();
        assert_eq!(error, "zenoh: open a session: something else");
    }

    #[test]
    fn tls_files_are_checked_before_zenoh_sees_them() {
        let dir = std::env::temp_dir();
        let pem = dir.join(format!("bcast-relay-config-{}.pem", std::process::id()));
        std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .unwrap();
        let missing = PathBuf::from("/nonexistent/bcast-relay/key.pem");
        let tls = |key: &PathBuf| TlsOptions {
            root_ca: Some(pem.clone()),
            certificate: Some(pem.clone()),
            private_key: Some(key.clone()),
            mutual: false,
        };
        let error = check_tls_files(&tls(&missing)).expect_err("a missing file").to_string();
        assert!(error.contains("--tls-key") && error.contains("/nonexistent/bcast-relay/key.pem"));
        let error = check_tls_files(&tls(&pem)).expect_err("a certificate as key").to_string();
        std::fs::remove_file(&pem).unwrap();
        assert!(error.contains("no PEM private key"), "{error}");
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
