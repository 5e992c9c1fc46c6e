//! Defects a new user hit, each shown by the `bcast-relay` binary: an error that names its
//! path twice, a line of zero counters before an error, Zenoh's internals in messages, Ctrl-C
//! without final counters, an exporter's downtime not counted as `while down`, and an importer
//! that waits for an exporter without saying where it looks.

mod common;

use std::time::Duration;

use common::{Paths, Relay, Ticks, create, endpoint, eventually, number_after};

/// The error line a relay printed (`bcast-relay: ...`), after it exited with a failure.
fn failed(relay: Relay) -> (String, Vec<String>) {
    let (status, output) = relay.wait_exit();
    assert!(!status.success(), "the relay fails: {status}\n{}", output.join("\n"));
    let error = output.iter().find(|line| line.starts_with("bcast-relay: ")).cloned();
    (error.unwrap_or_else(|| panic!("no error line in:\n{}", output.join("\n"))), output)
}

/// Whether `line` is a counters line.
fn is_counters(line: &str) -> bool {
    line.contains(": frames ")
}

/// A relay's failure: the channel path its error is about (if any), its error line, and all
/// it printed.
type Failure = (String, String, Vec<String>);

/// The ways a relay fails before it starts relaying, run once for the tests that look at them:
/// the importer's local channel held by another writer (typed and untyped sources), an
/// exporter's source that is not a channel, and a listen endpoint that is not one.
fn early_failures() -> &'static [Failure] {
    static FAILURES: std::sync::OnceLock<Vec<Failure>> = std::sync::OnceLock::new();
    FAILURES.get_or_init(|| {
        let names = ["source", "mirror", "typed-source", "typed-mirror", "garbage"];
        let paths = Paths::new("defect-early", &names);
        let mut failures = Vec::new();
        // An untyped source; its mirror is held by a writer of this test.
        let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(0));
        let _writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
        let _holder = bcast::RingBuffer::create(mirror, 1 << 16).expect("mirror").into_writer();
        let export = ["export", source, "--key", "d/held", "--listen", &port];
        let _exporter = Relay::start("exporter", &export);
        let import = ["import", "--key", "d/held", mirror, "--connect", &port];
        let (error, output) = failed(Relay::start("importer", &import));
        failures.push((mirror.to_owned(), error, output));

        // A typed source; its mirror is held by a typed publisher of this test.
        let (source, mirror, port) = (paths.get(2), paths.get(3), endpoint(1));
        let _publisher = create::<Ticks>(source, 1 << 16).expect("typed source");
        let _holder = create::<Ticks>(mirror, 1 << 16).expect("typed mirror");
        let export = ["export", source, "--key", "d/typed", "--listen", &port];
        let _exporter = Relay::start("exporter", &export);
        let import = ["import", "--key", "d/typed", mirror, "--connect", &port];
        let (error, output) = failed(Relay::start("importer", &import));
        failures.push((mirror.to_owned(), error, output));

        // A source file that is not a channel.
        let garbage = paths.get(4);
        std::fs::write(garbage, vec![0x5a; 100]).expect("a file that is not a channel");
        let export = ["export", garbage, "--key", "d/garbage", "--listen", "tcp/127.0.0.1:0"];
        let (error, output) = failed(Relay::start("exporter", &export));
        failures.push((garbage.to_owned(), error, output));

        // A session that cannot be made.
        let export = ["export", garbage, "--key", "d/garbage", "--listen", "nope"];
        let (error, output) = failed(Relay::start("exporter", &export));
        failures.push((String::new(), error, output));
        failures
    })
}

/// An endpoint where nothing listens.
fn nobody() -> String {
    endpoint(7)
}

#[test]
fn errors_name_the_channel_path_once() {
    for (path, error, _) in early_failures().iter().filter(|(path, ..)| !path.is_empty()) {
        assert_eq!(error.matches(path.as_str()).count(), 1, "{path} once in: {error}");
    }
}

#[test]
fn a_relay_that_fails_before_starting_prints_its_error_alone() {
    for (_, error, output) in early_failures() {
        assert!(!output.iter().any(|line| is_counters(line)), "{error}:\n{}", output.join("\n"));
    }
}

/// Asserts that an error line is our own words: no Debug dump of Zenoh's error values, no
/// source location.
fn assert_plain(error: &str) {
    for leak in [".rs:", "Json5Err", "Message {", "Location", "location:", "registry/src"] {
        assert!(!error.contains(leak), "{leak:?} leaks into: {error}");
    }
}

#[test]
fn zenoh_errors_become_plain_messages() {
    let paths = Paths::new("defect-zenoh", &["source"]);
    let source = paths.get(0);
    let in_use = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let busy = format!("tcp/{}", in_use.local_addr().unwrap());
    // Each with a good endpoint too: the error names the bad one.
    let cases: [(&[&str], &[&str]); 6] = [
        (&["--listen", "not an endpoint"], &["not an endpoint", "tcp/"]),
        (&["--listen", "tcp/127.0.0.1:notaport"], &["tcp/127.0.0.1:notaport", "port"]),
        (&["--connect", "udp/127.0.0.1:7000"], &["udp/127.0.0.1:7000", "udp"]),
        (&["--listen", &busy], &[&busy, "in use"]),
        (&["--listen", "tcp/nosuchhost.invalid:7000"], &["tcp/nosuchhost.invalid:7000"]),
        (&["--key", "a//b"], &["a//b"]),
    ];
    for (args, expected) in cases {
        let mut all = vec!["export", source, "--listen", "tcp/127.0.0.1:0"];
        if args[0] != "--key" {
            all.extend_from_slice(&["--key", "d/zenoh"]);
        }
        all.extend_from_slice(args);
        let (error, _) = failed(Relay::start("exporter", &all));
        assert_plain(&error);
        for needle in expected {
            assert!(error.contains(needle), "{needle:?} in: {error}");
        }
    }
}

#[cfg(feature = "tls")]
#[test]
fn tls_file_errors_name_the_file() {
    let paths = Paths::new("defect-tls", &["source", "cert.pem", "key.pem"]);
    let (source, cert, key) = (paths.get(0), paths.get(1), paths.get(2));
    // PEM items of the right kinds, whose contents are not a certificate or a key.
    std::fs::write(cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        .expect("a certificate file");
    std::fs::write(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        .expect("a key file");
    let missing = "/nonexistent/bcast-relay/key.pem";
    let endpoint = "tls/127.0.0.1:7000";
    let cases: [(&str, &[&str]); 3] = [
        (missing, &[missing, "--tls-key", "No such file"]),
        (cert, &[cert, "--tls-key", "no PEM private key"]),
        (key, &[endpoint]),
    ];
    for (key, needles) in cases {
        let tls = ["--listen", endpoint, "--tls-root-ca", cert, "--tls-cert", cert];
        let mut all = vec!["export", source, "--key", "d/tls", "--tls-key", key];
        all.extend_from_slice(&tls);
        let (error, _) = failed(Relay::start("exporter", &all));
        assert_plain(&error);
        for needle in needles {
            assert!(error.contains(needle), "{needle:?} in: {error}");
        }
    }
}

/// Sends `signal` to `relay` and checks that it exits 0 with a counters line as its last
/// line.
fn stops_cleanly(relay: Relay, signal: &str, side: &str) {
    relay.signal(signal);
    let (status, output) = relay.wait_exit();
    assert_eq!(status.code(), Some(0), "SIG{signal}: {status}\n{}", output.join("\n"));
    let last = output.last().map(String::as_str).unwrap_or_default();
    assert!(last.starts_with(&format!("{side}: frames ")), "{}", output.join("\n"));
}

#[test]
fn sigint_and_sigterm_stop_the_relay_with_its_final_counters() {
    let paths = Paths::new("defect-signal", &["source", "mirror", "mirror2"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(2));
    let _writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    let exporter =
        Relay::start("exporter", &["export", source, "--key", "d/signal", "--listen", &port]);
    exporter.wait_for("attached to the source channel");
    let importer =
        Relay::start("importer", &["import", "--key", "d/signal", mirror, "--connect", &port]);
    importer.wait_for("created the local channel");
    stops_cleanly(importer, "INT", "import");
    stops_cleanly(exporter, "TERM", "export");
    // An importer still waiting for an exporter stops as cleanly.
    let waiting = Relay::start(
        "importer",
        &["import", "--key", "d/signal", paths.get(2), "--connect", &nobody()],
    );
    waiting.wait_for("waiting for an exporter");
    stops_cleanly(waiting, "INT", "import");
}

#[test]
fn frames_missed_while_the_exporter_was_down_count_as_while_down() {
    let paths = Paths::new("defect-down", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(3));
    let mut writer = bcast::RingBuffer::create(source, 1 << 20).expect("source").into_writer();
    let export = ["export", source, "--key", "d/down", "--listen", &port];
    let exporter = Relay::start("exporter", &export);
    exporter.wait_for("attached to the source channel");
    let importer =
        Relay::start("importer", &["import", "--key", "d/down", mirror, "--connect", &port]);
    importer.wait_for("created the local channel");
    let mut reader = bcast::RingBuffer::attach(mirror).expect("mirror").into_reader();
    let mut buf = vec![0u8; reader.mtu()];
    // Frames carry their number; the first the importer writes starts its count.
    let mut n = 0u64;
    let mut first = None;
    let mut send_until_relayed = |writer: &mut bcast::Writer, n: &mut u64| {
        eventually("a frame through the relay", || {
            writer.send(&n.to_le_bytes()).expect("send");
            *n += 1;
            std::thread::sleep(Duration::from_millis(20));
            let mut seen = false;
            while let Some(frame) = reader.try_recv(&mut buf).expect("recv") {
                first.get_or_insert(u64::from_le_bytes(buf[..frame.len].try_into().unwrap()));
                seen = true;
            }
            seen.then_some(())
        });
    };
    send_until_relayed(&mut writer, &mut n);
    exporter.kill();
    const DOWN: u64 = 50;
    for _ in 0..DOWN {
        writer.send(&n.to_le_bytes()).expect("send");
        n += 1;
    }
    let restarted = Relay::start("restarted exporter", &export);
    restarted.wait_for("attached to the source channel");
    send_until_relayed(&mut writer, &mut n);
    importer.wait_for("the exporter restarted");
    let first = first.expect("a first frame");
    let stats = eventually("the importer's counters of every frame", || {
        let line = importer.last_stats();
        let counted = number_after(&line, "frames")? + number_after(&line, "missed")?;
        (counted == n - first).then_some(line)
    });
    let missed = number_after(&stats, "missed").unwrap();
    assert!(missed >= DOWN, "{stats}");
    assert_eq!(number_after(&stats, "while down"), Some(missed), "{stats}");
    assert_eq!(number_after(&stats, "source lost"), Some(0), "{stats}");
    let gap = importer.wait_for("gap:");
    assert!(gap.contains("while the exporter was down"), "{gap}");
}

#[test]
fn a_waiting_importer_says_where_it_looks_and_hints_when_nothing_answers() {
    let paths = Paths::new("defect-wait", &["mirror"]);
    // Nobody listens at the endpoint: the hint is about reaching it.
    let nobody = nobody();
    let mut importer = Relay::start(
        "importer",
        &["import", "--key", "d/nobody", paths.get(0), "--connect", &nobody],
    );
    let waiting = importer.wait_for("waiting for an exporter");
    assert!(waiting.contains("d/nobody") && waiting.contains(&nobody), "{waiting}");
    let hint = importer.wait_for("no exporter");
    assert!(hint.contains(&nobody) && hint.contains("reachable"), "{hint}");
    assert!(importer.is_running(), "it keeps waiting");
}

#[test]
fn an_importer_with_another_key_than_the_exporters_hints_at_the_key() {
    let paths = Paths::new("defect-key", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(4));
    let _writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    let _exporter =
        Relay::start("exporter", &["export", source, "--key", "d/right", "--listen", &port]);
    let mut importer =
        Relay::start("importer", &["import", "--key", "d/wrong", mirror, "--connect", &port]);
    let waiting = importer.wait_for("waiting for an exporter");
    assert!(waiting.contains("d/wrong") && waiting.contains(&port), "{waiting}");
    let hint = importer.wait_for("no exporter");
    assert!(hint.contains("d/wrong") && hint.contains("--key"), "{hint}");
    assert!(importer.is_running(), "it keeps waiting");
}
