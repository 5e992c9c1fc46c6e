//! The relay over Zenoh's TLS transport with mutual authentication: certificates made at test
//! time, an exporter and an importer in this process over loopback.
#![cfg(feature = "tls")]

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bcast_relay::{
    ExportOptions, Exporter, ImportOptions, Importer, RelayError, RelayEvent, StopHandle,
    TlsOptions, ZenohOptions,
};
use common::{Paths, endpoint, eventually};

/// A certificate authority, and certificates it signed for the exporter and the importer,
/// as PEM files in a directory of their own, removed on drop.
struct Certificates(PathBuf);

impl Certificates {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("bcast-relay-tls-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("a directory for the certificates");
        let certificates = Self(dir);
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca.self_signed(&ca_key).unwrap();
        certificates.write("ca.pem", &ca.pem());
        for side in ["exporter", "importer"] {
            let key = rcgen::KeyPair::generate().unwrap();
            let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
            let cert = rcgen::CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &ca, &ca_key)
                .unwrap();
            certificates.write(&format!("{side}.pem"), &cert.pem());
            certificates.write(&format!("{side}.key"), &key.serialize_pem());
        }
        certificates
    }

    fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.0.join(name), contents).expect("write a certificate file");
    }

    /// TLS options for `side`: the CA, and with `own`, the side's certificate and key.
    fn options(&self, side: &str, own: bool) -> TlsOptions {
        TlsOptions {
            root_ca: Some(self.0.join("ca.pem")),
            certificate: own.then(|| self.0.join(format!("{side}.pem"))),
            private_key: own.then(|| self.0.join(format!("{side}.key"))),
            mutual: true,
        }
    }
}

impl Drop for Certificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Events collected from a relay's callback, as lines.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn sink(&self) -> impl Fn(&RelayEvent) + Send + Sync + 'static {
        let lines = Arc::clone(&self.0);
        move |event| lines.lock().unwrap().push(event.to_string())
    }

    fn any(&self, needle: &str) -> bool {
        self.0.lock().unwrap().iter().any(|line| line.contains(needle))
    }
}

/// Stops a relay when dropped, so that a failed assertion never leaves its `run` going.
struct StopOnDrop(StopHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Runs an exporter of `source` listening on `port` and an importer into `mirror` connecting
/// to it, with their TLS options, while `body` runs.
fn relay<T>(
    (source, mirror, port): (&str, &str, &str),
    (export_tls, import_tls): (TlsOptions, TlsOptions),
    body: impl FnOnce(&Events) -> T,
) -> (Result<(), RelayError>, Result<(), RelayError>, T) {
    let mut export = ExportOptions::new(source, "tls/feed");
    export.zenoh =
        ZenohOptions { listen: vec![port.into()], tls: export_tls, ..Default::default() };
    let mut import = ImportOptions::new("tls/feed", mirror);
    import.zenoh =
        ZenohOptions { connect: vec![port.into()], tls: import_tls, ..Default::default() };
    let exporter = Exporter::new(export);
    let events = Events::default();
    let importer = Importer::new(import).on_event(events.sink());
    std::thread::scope(|scope| {
        let exported = scope.spawn(|| exporter.run());
        let imported = scope.spawn(|| importer.run());
        let guards = (StopOnDrop(exporter.stop_handle()), StopOnDrop(importer.stop_handle()));
        let value = body(&events);
        drop(guards);
        (exported.join().unwrap(), imported.join().unwrap(), value)
    })
}

#[test]
fn frames_travel_between_peers_with_certificates_of_the_same_authority() {
    let paths = Paths::new("tls-mutual", &["source", "mirror"]);
    let (source, mirror) = (paths.get(0), paths.get(1));
    let port = endpoint(0).replace("tcp/", "tls/");
    let certificates = Certificates::new("mutual");
    let mut writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    let tls = (certificates.options("exporter", true), certificates.options("importer", true));
    let (exported, imported, ()) = relay((source, mirror, &port), tls, |events| {
        eventually("the local channel", || events.any("the local channel").then_some(()));
        let mut reader = bcast::RingBuffer::attach(mirror).expect("mirror").into_reader();
        let mut buf = vec![0u8; reader.mtu()];
        eventually("a frame over TLS", || {
            writer.send(b"over tls").expect("send");
            std::thread::sleep(Duration::from_millis(20));
            let frame = reader.try_recv(&mut buf).expect("recv")?;
            assert_eq!(&buf[..frame.len], b"over tls");
            Some(())
        });
    });
    exported.expect("the exporter");
    imported.expect("the importer");
}

#[test]
fn a_peer_without_a_certificate_is_refused_under_mutual_tls() {
    let paths = Paths::new("tls-refused", &["source", "mirror"]);
    let (source, mirror) = (paths.get(0), paths.get(1));
    let port = endpoint(1).replace("tcp/", "tls/");
    let certificates = Certificates::new("refused");
    let _writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    // The importer trusts the authority but has no certificate of its own to present.
    let tls = (certificates.options("exporter", true), certificates.options("importer", false));
    let (exported, imported, opened) = relay((source, mirror, &port), tls, |events| {
        eventually("the importer to wait or to open its channel", || {
            (events.any("waiting for an exporter") || events.any("the local channel")).then_some(())
        });
        // It never reaches the exporter: its query is never answered.
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !events.any("the local channel") {
            std::thread::sleep(Duration::from_millis(50));
        }
        events.any("the local channel")
    });
    exported.expect("the exporter");
    imported.expect("the importer");
    assert!(!opened, "an importer without a certificate got the channel's description");
}
