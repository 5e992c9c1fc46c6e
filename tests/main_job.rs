//! The main job, `cargo run --release --example market_feed`, in short runs: it fits itself to
//! the machine, tells its story, and exits cleanly.
//!
//! The tests build the example with cargo (the test profile, which `cargo test` has mostly
//! built already) and run the binary cargo names, whatever the target directory.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The longest one demo run may take on a loaded machine.
const LIMIT: Duration = Duration::from_secs(120);

/// The example's binary, built once for all the tests.
fn market_feed() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let args = ["build", "--quiet", "--profile", "test", "--example", "market_feed"];
        // The features this test was built with, so that cargo reuses what it built.
        let features: Vec<&str> =
            [("serde", cfg!(feature = "serde")), ("async", cfg!(feature = "async"))]
                .into_iter()
                .filter_map(|(feature, on)| on.then_some(feature))
                .collect();
        let output = Command::new(env!("CARGO"))
            .args(args)
            .args(["--features", &features.join(",")])
            .arg("--message-format=json")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(output.status.success(), "cargo build --example market_feed failed");
        // The artifact line of the example names its executable.
        let stdout = String::from_utf8_lossy(&output.stdout);
        let key = "\"executable\":\"";
        let path = stdout
            .lines()
            .filter(|line| line.contains("\"name\":\"market_feed\""))
            .find_map(|line| line.split_once(key).and_then(|(_, rest)| rest.split_once('"')))
            .map(|(path, _)| PathBuf::from(path))
            .expect("cargo names the example's executable");
        assert!(path.exists(), "{} is missing", path.display());
        path
    })
}

/// Runs the demo with `args`, killing it after `LIMIT`.
fn run(args: &[&str]) -> (Output, String) {
    let mut child = Command::new(market_feed())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the demo starts");
    let start = Instant::now();
    while child.try_wait().expect("the demo's status").is_none() {
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("market_feed {args:?} ran past {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("the demo's output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// The lines that start with `prefix`.
fn lines<'a>(stdout: &'a str, prefix: &str) -> Vec<&'a str> {
    stdout.lines().filter(|line| line.starts_with(prefix)).collect()
}

#[test]
fn the_default_run_tells_its_story_and_every_subscriber_gets_every_message() {
    let (output, stdout) = run(&["--messages", "30000", "--rate", "200000"]);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let story = [
        "bcast market_feed: typed market data from one publisher to ",
        "channel /dev/shm/bcast-market-feed-",
        "machine: ",
        "publishing 30 000 messages, 200 000 messages/s: per ten, 5 Quote",
        "published 30 000 messages in ",
        "removed the channel. This showed typed messages crossing processes",
    ];
    for (line, prefix) in story.iter().enumerate() {
        assert_eq!(lines(&stdout, prefix).len(), 1, "line {line}, {prefix:?}:\n{stdout}");
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert!(lines(&stdout, "machine: ")[0].contains(&format!("{cores} usable core")), "{stdout}");
    let subscribers = lines(&stdout, "subscriber ");
    let count = subscribers.len();
    assert!((1..=3).contains(&count), "{stdout}");
    for subscriber in subscribers {
        assert!(subscriber.contains("received 30 000 of 30 000, lost 0, overruns 0, corrupt 0"));
    }
    assert!(stdout.contains("worst median publish-to-receive latency"), "{stdout}");
    // Each subscriber's table has a row per type.
    for name in ["Quote", "Trade", "Book", "Heartbeat"] {
        assert_eq!(lines(&stdout, &format!("  {name} ")).len(), count, "{name}:\n{stdout}");
    }
    assert!(!stdout.contains("p50 0"), "the subscribers' summary lines are the publisher's");
}

#[test]
fn subscribers_past_the_cores_park_instead_of_spinning() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let asked = cores + 1; // at least one past what fits beside the publisher
    let asked_text = asked.to_string();
    let (output, stdout) =
        run(&["--subscribers", &asked_text, "--messages", "5000", "--rate", "100000"]);
    assert!(output.status.success(), "{stdout}");
    let reports = lines(&stdout, "subscriber ");
    assert_eq!(reports.len(), asked, "{stdout}");
    assert!(reports.iter().any(|line| line.contains("(parked)")), "{stdout}");
    assert!(reports.iter().all(|line| line.contains("received 5 000 of 5 000")), "{stdout}");
    assert!(lines(&stdout, "machine: ")[0].contains("park on the channel's futex"), "{stdout}");
}

#[test]
fn the_latency_and_throughput_runs_say_what_they_measure() {
    let (output, stdout) = run(&["--latency", "--messages", "5000"]);
    assert!(output.status.success(), "{stdout}");
    assert_eq!(lines(&stdout, "subscriber ").len(), 1, "{stdout}");
    assert!(stdout.contains("publishing 5 000 messages, 100 000 messages/s"), "{stdout}");
    assert!(stdout.contains(": median publish-to-receive latency "), "{stdout}");

    let (output, stdout) = run(&["--throughput", "--messages", "50000"]);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("publishing 50 000 messages, flat out"), "{stdout}");
    assert!(stdout.contains(" M messages/s published. Next: "), "{stdout}");
}

#[test]
fn a_bad_argument_is_refused_with_the_usage() {
    let (output, _) = run(&["--subscribers"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--subscribers needs a value"));
    let (output, _) = run(&["--frobnicate"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: market_feed"));
}
