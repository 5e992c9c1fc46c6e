//! End to end: an exporter and an importer as separate `bcast-relay` processes, each with its
//! own Zenoh session, over loopback TCP; typed publishers and subscribers on either side.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bcast::typed::TypedOpenError;
use common::{Paths, Relay, attach, create, endpoint, eventually, key, number_after};

/// A quote (rkyv codec).
#[bcast::typed::message(tag = 1)]
#[derive(Debug)]
pub struct Quote {
    /// Its number in the test's sequence.
    pub n: u64,
    /// The instrument.
    pub symbol: String,
    /// Bid.
    pub bid: f64,
    /// Ask.
    pub ask: f64,
}

/// A trade (plain old data).
#[bcast::typed::message(tag = 2, pod)]
#[derive(Debug, Clone, Copy)]
pub struct Trade {
    /// Its number in the test's sequence.
    pub n: u64,
    /// Price.
    pub price: f64,
    /// Quantity.
    pub qty: u64,
}

/// A note with a list (rkyv codec).
#[bcast::typed::message(tag = 3)]
#[derive(Debug)]
pub struct Note {
    /// Its number in the test's sequence.
    pub n: u64,
    /// Some text.
    pub text: String,
    /// Some numbers.
    pub levels: Vec<u32>,
}

/// The relayed channel.
#[derive(Debug, bcast::BcastChannel)]
pub enum Feed {
    /// A quote.
    Quote(Quote),
    /// A trade.
    Trade(Trade),
    /// A note.
    Note(Note),
}

/// A channel of another schema.
#[derive(Debug, bcast::BcastChannel)]
pub enum Other {
    /// A level.
    Level(Level),
}

/// A level.
#[bcast::typed::message(tag = 9, pod)]
#[derive(Debug, Clone, Copy)]
pub struct Level {
    /// Its value.
    pub value: u64,
}

/// Publishes message `n` of the test's sequence: the three types in turn.
fn publish(publisher: &mut bcast::typed::Publisher<Feed>, n: u64) {
    let (symbol, text) = (format!("SYM{}", n % 17), "x".repeat((n % 40) as usize));
    let levels: Vec<u32> = (0..(n % 5) as u32).map(|i| i * 3).collect();
    match n % 3 {
        0 => publisher.publish(&Quote { n, symbol, bid: n as f64 + 0.25, ask: n as f64 + 0.5 }),
        1 => publisher.publish(&Trade { n, price: n as f64 * 1.5, qty: n * 7 }),
        _ => publisher.publish(&Note { n, text, levels }),
    }
    .expect("publish");
}

/// What message `n` must look like on the far side.
fn expected(n: u64) -> String {
    match n % 3 {
        0 => format!("quote {n} SYM{} {} {}", n % 17, n as f64 + 0.25, n as f64 + 0.5),
        1 => format!("trade {n} {} {}", n as f64 * 1.5, n * 7),
        _ => {
            let levels: Vec<u32> = (0..(n % 5) as u32).map(|i| i * 3).collect();
            format!("note {n} {} {levels:?}", "x".repeat((n % 40) as usize))
        }
    }
}

/// A received message rendered like [`expected`], with its number.
fn render(view: &FeedView<'_>) -> (u64, String) {
    match view {
        FeedView::Quote(q) => {
            let n = q.n.to_native();
            let line =
                format!("quote {n} {} {} {}", q.symbol, q.bid.to_native(), q.ask.to_native());
            (n, line)
        }
        FeedView::Trade(t) => (t.n, format!("trade {} {} {}", t.n, t.price, t.qty)),
        FeedView::Note(note) => {
            let n = note.n.to_native();
            let levels: Vec<u32> = note.levels.iter().map(|l| l.to_native()).collect();
            (n, format!("note {n} {} {levels:?}", note.text))
        }
    }
}

/// Publishes warm-up messages (numbered from `u64::MAX` down) until the mirror shows one, so
/// that the exporter and the importer's subscription are both in place; returns the
/// subscriber of the mirror (counting losses per type), positioned after them. The mirror holds nothing else: importers
/// start at the live edge.
fn warm_up(
    publisher: &mut bcast::typed::Publisher<Feed>,
    mirror: &str,
) -> bcast::typed::Subscriber<Feed> {
    let mut subscriber =
        eventually("the mirror channel", || attach::<Feed>(mirror).ok()).with_losses_by_type();
    let mut n = u64::MAX;
    eventually("a warm-up message through the relay", || {
        publisher.publish(&Trade { n, price: 0.0, qty: 0 }).expect("publish");
        n -= 1;
        std::thread::sleep(Duration::from_millis(20));
        let mut seen = false;
        while let Some(view) = subscriber.try_recv().expect("recv") {
            let (n, _) = render(&view);
            assert!(n > u64::MAX / 2, "message {n} was published before the importer started");
            seen = true;
        }
        seen.then_some(())
    });
    subscriber
}

/// Receives until message `last` (skipping warm-ups), and returns the messages' numbers.
fn receive_until(subscriber: &mut bcast::typed::Subscriber<Feed>, last: u64) -> Vec<u64> {
    let mut numbers = Vec::new();
    eventually(&format!("message {last} on the mirror"), || {
        while let Some(view) = subscriber.recv_timeout(Duration::from_millis(10)).expect("recv") {
            let (n, line) = render(&view);
            if n > u64::MAX / 2 {
                continue;
            }
            assert_eq!(line, expected(n), "message {n} arrives intact");
            numbers.push(n);
            if n == last {
                return Some(());
            }
        }
        None
    });
    numbers
}

#[test]
fn typed_messages_of_several_types_arrive_intact_and_in_order() {
    let paths = Paths::new("typed", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(0));
    let mut publisher = create::<Feed>(source, 1 << 20).expect("source");
    let exporter =
        Relay::start("exporter", &["export", source, "--key", &key("typed"), "--listen", &port]);
    exporter.wait_for("attached to the source channel (typed");
    for n in 0..100 {
        publish(&mut publisher, 1_000_000 + n); // before any importer: not relayed to it
    }
    let importer =
        Relay::start("importer", &["import", "--key", &key("typed"), mirror, "--connect", &port]);
    importer.wait_for("created the local channel (typed, 1048576 bytes)");
    let mut subscriber = warm_up(&mut publisher, mirror);

    for n in 0..3000 {
        publish(&mut publisher, n);
    }
    let numbers = receive_until(&mut subscriber, 2999);
    assert_eq!(numbers, (0..3000).collect::<Vec<_>>(), "every message, in order");

    let stats = eventually("the importer's counters", || {
        let line = importer.last_stats();
        (number_after(&line, "frames")? >= 3000).then_some(line)
    });
    assert_eq!(number_after(&stats, "missed"), Some(0), "{stats}");
    assert!(exporter.wait_for("export: frames").contains("lost 0"));
    // The mirror describes itself as the source does.
    let described = |path| {
        let ring = bcast::RingBuffer::attach(path).expect("attach");
        bcast::typed::description::Description::read_from(&ring).expect("a readable description")
    };
    assert!(described(mirror).is_some(), "the mirror carries the source's description");
    assert_eq!(described(mirror), described(source));
    // And a tool without the Rust types decodes the mirror's frames into what was published.
    let decoded = |path| {
        let ring = bcast::RingBuffer::attach(path).expect("attach");
        let decoder = bcast::typed::Decoder::read_from(&ring).expect("a typed, described channel");
        let mut reader = ring.into_reader_at_oldest();
        let mut buf = vec![0; reader.mtu()];
        let mut values = std::collections::BTreeMap::new();
        while let Some(frame) = reader.try_recv(&mut buf).expect("no overrun: nothing publishes") {
            let value = decoder.decode(frame.tag, &buf[..frame.len]).expect("decodes");
            let Some(bcast::typed::Value::Unsigned(n)) = value.field("n") else {
                panic!("{value}")
            };
            values.insert(*n, value.to_string());
        }
        values
    };
    let (mirrored, published) = (decoded(mirror), decoded(source));
    assert!(mirrored.contains_key(&2999), "the last message is in the mirror");
    for (n, text) in &mirrored {
        assert_eq!(Some(text), published.get(n), "message {n}");
    }
}

#[test]
fn a_subscriber_of_another_schema_is_refused_on_the_importing_side() {
    let paths = Paths::new("schema", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(1));
    // The importer starts first and waits for the exporter, which waits for the source.
    let importer =
        Relay::start("importer", &["import", "--key", &key("schema"), mirror, "--listen", &port]);
    let exporter =
        Relay::start("exporter", &["export", source, "--key", &key("schema"), "--connect", &port]);
    importer.wait_for("waiting for an exporter");
    exporter.wait_for("waiting for the source channel");
    let mut publisher = create::<Feed>(source, 1 << 16).expect("source");
    importer.wait_for("created the local channel (typed");

    let refused = attach::<Other>(mirror);
    assert!(matches!(refused, Err(TypedOpenError::Mismatch(_))), "{refused:?}");
    let mut subscriber = warm_up(&mut publisher, mirror);
    publish(&mut publisher, 0);
    assert_eq!(receive_until(&mut subscriber, 0), [0]);
    drop(exporter);
}

#[test]
fn a_killed_and_restarted_importer_resumes_and_reports_its_gap() {
    let paths = Paths::new("resume", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(2));
    let mut publisher = create::<Feed>(source, 1 << 20).expect("source");
    let _exporter =
        Relay::start("exporter", &["export", source, "--key", &key("resume"), "--listen", &port]);
    let import = ["import", "--key", &key("resume"), mirror, "--connect", &port];
    let importer = Relay::start("importer", &import);
    importer.wait_for("created the local channel");
    let mut subscriber = warm_up(&mut publisher, mirror);

    // A steady stream, one message a millisecond, while the importer dies and comes back.
    let stop = AtomicBool::new(false);
    let numbers = std::thread::scope(|scope| {
        // Stops the publisher however this closure ends: a failed step below panics, and the
        // scope waits for the publisher before the panic goes on.
        let _stop = StopOnDrop(&stop);
        let publishing = scope.spawn(|| {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                publish(&mut publisher, n);
                n += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            n
        });
        let mut numbers = receive_until(&mut subscriber, 200);
        importer.kill();
        std::thread::sleep(Duration::from_millis(300));
        let restarted = Relay::start("restarted importer", &import);
        restarted.wait_for("reopened the local channel (typed");
        let gap = restarted.wait_for("missed while this importer was down");
        let target = numbers.last().unwrap() + 500;
        numbers.extend(receive_until(&mut subscriber, target));
        stop.store(true, Ordering::Relaxed);
        publishing.join().unwrap();
        (numbers, gap)
    });
    let (numbers, gap) = numbers;

    // The subscriber of the mirror carried on across the restart and saw exactly one hole,
    // of the size the restarted importer reported.
    let holes: Vec<u64> = numbers.windows(2).map(|w| w[1] - w[0] - 1).filter(|&h| h > 0).collect();
    let reported = number_after(&gap, "gap:").expect("a count");
    assert_eq!(holes, [reported], "{gap}");
    assert!(reported > 0);
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn an_untyped_channel_is_relayed_untyped_across_an_exporter_restart() {
    let paths = Paths::new("untyped", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(3));
    let mut writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    let export = ["export", source, "--key", &key("untyped"), "--listen", &port, "--no-batch"];
    let exporter = Relay::start("exporter", &export);
    let importer =
        Relay::start("importer", &["import", "--key", &key("untyped"), mirror, "--connect", &port]);
    importer.wait_for("created the local channel (untyped, 65536 bytes)");
    let mut reader = bcast::RingBuffer::attach(mirror).expect("mirror").into_reader();
    let mut buf = vec![0u8; reader.mtu()];
    let mut received = |tag: u32| {
        eventually("a frame through the relay", || {
            writer.send_with_tag(b"ping", tag).expect("send");
            std::thread::sleep(Duration::from_millis(20));
            let mut seen = false;
            while let Some(frame) = reader.try_recv(&mut buf).expect("recv") {
                assert_eq!(&buf[..frame.len], b"ping");
                seen |= frame.tag == tag;
            }
            seen.then_some(())
        });
    };
    received(1);
    exporter.kill();
    let _exporter = Relay::start("restarted exporter", &export);
    received(2);
    importer.wait_for("the exporter restarted");
    assert!(
        bcast::typed::Registry::read_from(&bcast::RingBuffer::attach(mirror).unwrap())
            .unwrap()
            .is_none()
    );
}

#[test]
fn losses_of_the_exporter_are_counted_and_every_frame_is_accounted_for() {
    let paths = Paths::new("losses", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(4));
    // A small source, lapped many times by a burst, and a large mirror that is not.
    let mut writer = bcast::RingBuffer::create(source, 1 << 14).expect("source").into_writer();
    let exporter =
        Relay::start("exporter", &["export", source, "--key", &key("loss"), "--listen", &port]);
    let import =
        ["import", "--key", &key("loss"), mirror, "--connect", &port, "--capacity", "16777216"];
    let importer = Relay::start("importer", &import);
    importer.wait_for("created the local channel (untyped, 16777216 bytes)");
    let mut reader = bcast::RingBuffer::attach(mirror).expect("mirror").into_reader();
    let mut buf = vec![0u8; reader.mtu()];
    eventually("a frame through the relay", || {
        writer.send_with_tag(b"warm-up", 1).expect("send");
        std::thread::sleep(Duration::from_millis(20));
        let mut seen = false;
        while reader.try_recv(&mut buf).expect("recv").is_some() {
            seen = true;
        }
        seen.then_some(())
    });
    let before = eventually("the importer's counters to settle", || {
        let now = number_after(&importer.last_stats(), "frames")?;
        std::thread::sleep(Duration::from_millis(300));
        (number_after(&importer.last_stats(), "frames")? == now).then_some(now)
    });

    const BURST: u64 = 200_000;
    for n in 0..BURST {
        writer.send_with_tag(&n.to_le_bytes(), 2).expect("send");
    }
    let mut received = 0u64;
    eventually("the burst's last frame on the mirror", || {
        while let Some(frame) = reader.try_recv(&mut buf).expect("the mirror is not lapped") {
            received += 1;
            if u64::from_le_bytes(buf[..8].try_into().unwrap()) == BURST - 1 && frame.len == 8 {
                return Some(());
            }
        }
        None
    });
    let stats = eventually("the importer's final counters", || {
        let line = importer.last_stats();
        (number_after(&line, "frames")? == before + received).then_some(line)
    });
    let missed = number_after(&stats, "missed").unwrap();
    let source_lost = number_after(&stats, "source lost").unwrap();
    assert_eq!(received + missed, BURST, "every frame written or counted missing: {stats}");
    assert!(source_lost > 0 && source_lost <= missed, "{stats}");
    let exported = eventually("the exporter's counters", || {
        let line = exporter.last_stats();
        (number_after(&line, "lost")? == source_lost).then_some(line)
    });
    assert!(number_after(&exported, "in").unwrap() > 0, "overruns counted: {exported}");
    exporter.wait_for("overrun: the source lapped the exporter");
}

#[test]
fn malformed_messages_from_the_network_are_counted_and_dropped() {
    use zenoh::Wait;

    let paths = Paths::new("malformed", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(5));
    let mut writer = bcast::RingBuffer::create(source, 1 << 16).expect("source").into_writer();
    let _exporter =
        Relay::start("exporter", &["export", source, "--key", &key("bad"), "--listen", &port]);
    let importer =
        Relay::start("importer", &["import", "--key", &key("bad"), mirror, "--connect", &port]);
    importer.wait_for("created the local channel");

    let mut config = zenoh::Config::default();
    config.insert_json5("connect/endpoints", &format!("[\"{port}\"]")).unwrap();
    config.insert_json5("scouting/multicast/enabled", "false").unwrap();
    let session = zenoh::open(config).wait().expect("a session");
    let mut reader = bcast::RingBuffer::attach(mirror).expect("mirror").into_reader();
    let mut buf = vec![0u8; reader.mtu()];
    eventually("garbage counted and a good frame relayed after it", || {
        session.put(&key("bad"), b"not a batch".to_vec()).wait().expect("put");
        session.put(&key("bad"), vec![0xFF; 300]).wait().expect("put");
        writer.send_with_tag(b"good", 1).expect("send");
        std::thread::sleep(Duration::from_millis(50));
        let mut good = false;
        while let Some(frame) = reader.try_recv(&mut buf).expect("recv") {
            assert_eq!(&buf[..frame.len], b"good", "only good frames reach the channel");
            good = true;
        }
        let malformed = number_after(&importer.last_stats(), "malformed")?;
        (good && malformed >= 2).then_some(())
    });
    session.close().wait().expect("close");
}

#[test]
fn an_importer_stops_when_the_source_is_recreated_with_another_schema() {
    let paths = Paths::new("reschema", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(6));
    let mut publisher = create::<Feed>(source, 1 << 16).expect("source");
    let exporter =
        Relay::start("exporter", &["export", source, "--key", &key("reschema"), "--listen", &port]);
    let importer = Relay::start(
        "importer",
        &["import", "--key", &key("reschema"), mirror, "--connect", &port],
    );
    importer.wait_for("created the local channel (typed");
    drop(warm_up(&mut publisher, mirror));

    // The source is recreated with other types; the exporter follows it, the importer refuses.
    drop(publisher);
    std::fs::remove_file(source).expect("remove the source");
    let mut other = create::<Other>(source, 1 << 16).expect("the new source");
    let mut value = 0;
    let (status, output) = loop {
        other.publish(&Level { value }).expect("publish");
        value += 1;
        std::thread::sleep(Duration::from_millis(20));
        if value > 1500 || importer_exited(&importer) {
            break importer.wait_exit();
        }
    };
    assert!(!status.success());
    assert!(output.iter().any(|l| l.contains("changed its schema")), "{}", output.join("\n"));
    assert_eq!(
        exporter.output().iter().filter(|l| l.contains("attached to the source")).count(),
        2
    );
    // The mirror keeps its schema: subscribers of the old types still attach.
    assert!(attach::<Feed>(mirror).is_ok());
}

/// Whether the importer printed its final error.
fn importer_exited(importer: &Relay) -> bool {
    importer.output().iter().any(|line| line.starts_with("bcast-relay: "))
}

#[test]
fn frames_lost_on_the_way_are_losses_per_type_for_the_mirrors_subscribers_and_the_relay() {
    let paths = Paths::new("typelosses", &["source", "mirror"]);
    let (source, mirror, port) = (paths.get(0), paths.get(1), endpoint(7));
    // A small source, lapped many times by a burst, and a large mirror that is not.
    let mut publisher = create::<Feed>(source, 1 << 14).expect("source");
    let exporter =
        Relay::start("exporter", &["export", source, "--key", &key("types"), "--listen", &port]);
    let import =
        ["import", "--key", &key("types"), mirror, "--connect", &port, "--capacity", "16777216"];
    let importer = Relay::start("importer", &import);
    importer.wait_for("created the local channel (typed, 16777216 bytes)");
    let mut subscriber = warm_up(&mut publisher, mirror);

    const BURST: u64 = 100_000;
    for n in 0..BURST {
        publish(&mut publisher, n);
    }
    let numbers = receive_until(&mut subscriber, BURST - 1);
    // Per type (`n % 3`): the messages between its first and last one received that did not
    // arrive; for trades, from the burst's first, as a warm-up trade arrived before it.
    let mut expected = [0u64; 3];
    for (kind, lost) in expected.iter_mut().enumerate() {
        let of_kind: Vec<u64> = numbers.iter().copied().filter(|n| n % 3 == kind as u64).collect();
        let first = if kind == 1 { 1 } else { of_kind[0] };
        let last = of_kind[of_kind.len() - 1];
        let between = (first..=last).filter(|n| n % 3 == kind as u64).count() as u64;
        *lost = between - of_kind.len() as u64;
    }
    // The mirror's subscriber counts what never reached the mirror as lost, per type too,
    // because the importer numbers frames as the source did.
    let lost: Vec<u64> = subscriber.lost_by_type().expect("counted").map(|(_, n)| n).collect();
    assert_eq!(lost, expected);
    let total = subscriber.stats().lost;
    assert!(total > 0, "the burst lapped the exporter");
    assert_eq!(total, BURST - numbers.len() as u64, "every burst message received or lost");

    // The relay reports them too: the importer what it missed, the exporter what its reader lost.
    importer.signal("INT");
    let (status, output) = importer.wait_exit();
    assert!(status.success(), "{}", output.join("\n"));
    let last = |output: &[String], needle: &str| {
        output.iter().rev().find(|l| l.contains(needle)).cloned().unwrap_or_default()
    };
    let stats = last(&output, "import: frames");
    assert_eq!(number_after(&stats, "missed"), Some(total), "{stats}");
    let by_type = last(&output, "import: missed by type: ");
    let counts = ["Quote", "Trade", "Note"].map(|name| number_after(&by_type, name));
    assert_eq!(counts, expected.map(Some), "{by_type}");
    exporter.signal("INT");
    let (status, output) = exporter.wait_exit();
    assert!(status.success(), "{}", output.join("\n"));
    let exported = last(&output, "export: frames");
    let by_type = last(&output, "export: lost by type: ");
    let counts = ["Quote", "Trade", "Note"].map(|name| number_after(&by_type, name).unwrap_or(0));
    let source_lost = number_after(&exported, "lost").expect("a count");
    assert!(counts.iter().sum::<u64>() > 0, "{by_type}");
    assert!(counts.iter().sum::<u64>() <= source_lost, "{by_type} / {exported}");
}
