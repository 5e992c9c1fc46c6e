//! Helpers for the end-to-end tests: relay processes with captured output, unique channel
//! paths and loopback ports, bounded waits.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any single wait in these tests may take.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A loopback endpoint unique to this process and `slot` (0 to 7), below Linux's ephemeral
/// port range (32768 and up) so that no outgoing connection holds it.
pub fn endpoint(slot: u16) -> String {
    let pid = u16::try_from(std::process::id() % 1500).expect("below 1500");
    format!("tcp/127.0.0.1:{}", 20_000 + pid * 8 + slot)
}

/// A Zenoh key for the test `name`, unique to this process, so that test runs on one machine
/// never hear each other.
pub fn key(name: &str) -> String {
    format!("t/{name}/{}", std::process::id())
}

/// Channel files under /dev/shm, unique to the test and process, removed on drop (with the
/// importer's resume files and the writers' lock files).
pub struct Paths(Vec<String>);

impl Paths {
    pub fn new(test: &str, names: &[&str]) -> Self {
        let pid = std::process::id();
        let paths: Vec<String> =
            names.iter().map(|name| format!("/dev/shm/bcast-relay-{test}-{name}-{pid}")).collect();
        let paths = Self(paths);
        paths.remove();
        paths
    }

    pub fn get(&self, i: usize) -> &str {
        &self.0[i]
    }

    fn remove(&self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
            let _ = std::fs::remove_file(format!("{path}.resume"));
            // The writer lock file `.NAME.lock` that a killed relay leaves beside its channel.
            let lock = std::path::Path::new(path);
            let name = lock.file_name().map(|n| n.to_string_lossy().into_owned());
            if let Some(name) = name {
                let _ = std::fs::remove_file(lock.with_file_name(format!(".{name}.lock")));
            }
        }
    }
}

impl Drop for Paths {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A `bcast-relay` process whose stdout and stderr lines are collected; killed on drop.
pub struct Relay {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    name: String,
}

impl Relay {
    /// Starts `bcast-relay ARGS`, printing counters every 0.2 s.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bcast-relay"))
            .args(args)
            .args(["--stats-every", "0.2"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the relay binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("piped")),
        ] {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        Self { child, lines, name: name.to_owned() }
    }

    /// Everything printed so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a line containing `needle`, and returns it; panics with the output after
    /// [`PATIENCE`].
    pub fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.output().into_iter().find(|line| line.contains(needle)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "{} never printed {needle:?}; it printed:\n{}",
                self.name,
                self.output().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last counter line (`frames ...`).
    pub fn last_stats(&self) -> String {
        self.output().into_iter().rev().find(|l| l.contains(": frames ")).unwrap_or_default()
    }

    /// Sends the process signal `name` (`"INT"`, `"TERM"`) with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{name} {}: {status}", self.child.id());
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        self.output()
    }

    /// Waits for the process to exit by itself and returns its exit status and output.
    pub fn wait_exit(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                std::thread::sleep(Duration::from_millis(50));
                return (status, self.output());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit:\n{}",
                self.name,
                self.output().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls `step` until it returns `Some`, for at most [`PATIENCE`]; panics with `what` after.
pub fn eventually<T>(what: &str, mut step: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = step() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The number in `line` right after `label` (`"missed 12"` → 12).
pub fn number_after(line: &str, label: &str) -> Option<u64> {
    let rest = &line[line.find(label)? + label.len()..];
    rest.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty())?.parse().ok()
}

/// The publisher of typed channel `C` in a new (or reopened) channel file at `path`.
pub fn create<C: bcast::typed::Channel>(
    path: &str,
    capacity: usize,
) -> Result<bcast::typed::Publisher<C>, bcast::typed::TypedOpenError> {
    bcast::typed::Publisher::new(bcast::RingBuffer::create(path, capacity)?)
}

/// A subscriber of typed channel `C` attached to the channel file at `path`.
pub fn attach<C: bcast::typed::Channel>(
    path: &str,
) -> Result<bcast::typed::Subscriber<C>, bcast::typed::TypedOpenError> {
    bcast::typed::Subscriber::new(bcast::RingBuffer::attach(path)?)
}

/// A tick (plain old data), for a typed channel.
#[bcast::typed::message(tag = 1, pod)]
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    /// Its number.
    pub n: u64,
}

/// A typed channel of ticks.
#[derive(Debug, bcast::BcastChannel)]
pub enum Ticks {
    /// A tick.
    Tick(Tick),
}
