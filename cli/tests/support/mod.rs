//! Running the `bcast` binary in the CLI's tests: every run bounded in time, every process
//! started killed when its handle goes (also when a test fails), from the root directory (the
//! tests do not depend on the working directory).
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead as _, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest a run of the binary may take before a test fails.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The binary, to run with `args`.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bcast"));
    command.args(args).current_dir("/").stdin(Stdio::null());
    command
}

/// Runs `bcast args` to its end, killing it and failing if it still runs after `limit`.
pub fn bcast_within(args: &[&str], limit: Duration) -> Output {
    let mut child = command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("wait");
            panic!("bcast {args:?} still ran after {limit:?}: {output:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

/// Runs `bcast args` to its end, within [`LIMIT`].
pub fn bcast(args: &[&str]) -> Output {
    bcast_within(args, LIMIT)
}

/// The standard output of a run that must succeed.
pub fn stdout_of(args: &[&str]) -> String {
    let output = bcast(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bcast {args:?} failed: {}\n{stderr}", output.status);
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The lines of `text`, each a JSON document.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

/// `bcast args`, running, with its stdout and stderr lines arriving on channels as it prints
/// them; killed when dropped.
pub struct Running {
    pub child: Child,
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
}

impl Running {
    pub fn spawn(args: &[&str]) -> Self {
        let mut child = command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stdout = lines(child.stdout.take().expect("piped"));
        let stderr = lines(child.stderr.take().expect("piped"));
        Self { child, stdout, stderr }
    }

    /// The next line of stdout as JSON, waiting at most `limit`.
    pub fn next_json(&self, limit: Duration) -> Value {
        match self.stdout.recv_timeout(limit) {
            Ok(line) => serde_json::from_str(&line).expect("a JSON line"),
            Err(_) => panic!("no line within {limit:?}; stderr: {}", self.stderr_so_far()),
        }
    }

    /// What the process printed on stderr so far, for failure messages.
    pub fn stderr_so_far(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines read from `pipe`, on a channel.
fn lines(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// A fresh directory under /dev/shm, unique to this process and `name`, removed with everything
/// in it when dropped (also when a test fails).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = PathBuf::from(format!("/dev/shm/bcast-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).expect("a fresh directory under /dev/shm");
        Self(path)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }

    /// The names of everything in the directory, dot files (writer lock files) included.
    pub fn entries(&self) -> Vec<String> {
        let entries = std::fs::read_dir(&self.0).expect("the directory is readable");
        let mut names: Vec<String> = entries
            .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
