//! [`ZenohOptions`]: where a relay listens, where it connects, whether it scouts.

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
    /// 250 ms at first and at least every second.
    ///
    /// # Errors
    ///
    /// [`RelayError::Zenoh`] if Zenoh refuses an endpoint.
    pub fn to_config(&self) -> Result<zenoh::Config, RelayError> {
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
        Ok(config)
    }
}

/// `["a","b"]`, with each string escaped as JSON.
fn json_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
    format!("[{}]", quoted.join(","))
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
    fn options_make_a_valid_config() {
        let options = ZenohOptions {
            listen: vec!["tcp/127.0.0.1:0".into()],
            connect: vec!["tcp/127.0.0.1:7447".into(), "tcp/[::1]:7447".into()],
            multicast_scouting: false,
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
}
