//! Runs `bcast bench --shm`: a ping-pong between two processes over two channel files, in a
//! fresh directory under /dev/shm that must be empty again afterwards, also when a side fails.
#![cfg(all(target_os = "linux", not(miri)))]

mod support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use serde_json::Value;
use support::{LIMIT, TempDir, bcast};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A running `bcast`, killed (and waited for) when dropped, so that no test leaves one behind.
struct Running(Option<Child>);

impl Running {
    fn start(args: &[&str]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_bcast"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        Self(Some(child))
    }

    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("not waited for yet")
    }

    fn id(&mut self) -> u32 {
        self.child().id()
    }

    /// Waits for it to exit, killing it and failing if it still runs after `limit`.
    fn output(mut self, limit: Duration) -> Output {
        let deadline = Instant::now() + limit;
        while self.child().try_wait().expect("wait").is_none() {
            // Dropping `self` kills it.
            assert!(Instant::now() < deadline, "bcast still ran after {limit:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        self.0.take().expect("a child").wait_with_output().expect("output")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0
            && matches!(child.try_wait(), Ok(None))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits (at most `limit`) until `done` holds.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The echo process of the `bcast bench --shm` whose pid is `parent`, running in `dir`: the
/// writer of its pong channel, once it has reopened it.
fn echo_pid(dir: &TempDir, parent: u32) -> u32 {
    let pong = dir.join(&format!("bcast-bench-{parent}-pong"));
    let mut pid = None;
    wait_for(Duration::from_secs(20), "the echo process starts", || {
        pid = RingBuffer::attach(&pong).ok().and_then(|ring| ring.writer_pid());
        pid.is_some_and(|pid| pid != parent)
    });
    pid.expect("a writer pid")
}

/// Whether process `pid` is gone (a zombie nobody reaped counts as gone).
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => true,
    }
}

fn kill(pid: u32) {
    let sent = Command::new("kill").args(["-KILL", &pid.to_string()]).status().expect("kill");
    assert!(sent.success(), "kill -KILL {pid}");
}

fn rtt_order(report: &Value) -> Vec<u64> {
    let rtt = &report["rtt_ns"];
    ["min", "p50", "p90", "p99", "p99.9", "max"]
        .iter()
        .map(|key| rtt[key].as_u64().expect("nanoseconds"))
        .collect()
}

#[test]
fn shm_bench_measures_a_ping_pong_between_two_processes_and_removes_its_files() -> TestResult {
    let dir = TempDir::new("bench");
    let args = ["bench", "--shm", dir.as_str(), "--messages", "2000", "--warmup", "100"];
    let output = bcast(&[&args[..], &["--size", "32", "--json"]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}: {stderr}", output.status);
    let report: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(report["mode"], "processes, /dev/shm", "{report}");
    assert_eq!(report["dir"].as_str(), Some(dir.as_str()), "{report}");
    assert_eq!((&report["messages"], &report["size"]), (&2000.into(), &32.into()), "{report}");
    let order = rtt_order(&report);
    assert!(order[0] > 0 && order.is_sorted(), "min <= p50 <= p99 <= max: {report}");
    let buckets = report["histogram"].as_array().expect("buckets");
    let counted: u64 = buckets.iter().map(|b| b["count"].as_u64().expect("a count")).sum();
    assert_eq!(counted, 2000, "every round trip is in the histogram: {report}");
    assert_eq!(dir.entries(), Vec::<String>::new(), "the channel files are removed");

    // The text report says the same; `--shm` without DIR is /dev/shm (checked by name only:
    // other runs may use /dev/shm meanwhile).
    let mut run = Running::start(&["bench", "--shm", "--messages", "200", "--warmup", "10"]);
    let pid = run.id();
    let text = run.output(LIMIT);
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    for name in ["ping", "pong", "ping.lock", "pong.lock"] {
        let (dot, name) = if name.ends_with("lock") { (".", name) } else { ("", name) };
        let path = format!("/dev/shm/{dot}bcast-bench-{pid}-{name}");
        assert!(!Path::new(&path).exists(), "{path} is removed");
    }
    let text = String::from_utf8(text.stdout)?;
    assert!(
        text.contains("two processes over two channel files of 64 KiB in /dev/shm\n"),
        "{text}"
    );
    assert!(text.lines().any(|line| line == "mode: processes, /dev/shm"), "{text}");
    for label in ["min", "p50", "p90", "p99", "p99.9", "max", "mean", "rtt up to"] {
        assert!(text.lines().any(|line| line.trim_start().starts_with(label)), "{label}: {text}");
    }
    Ok(())
}

#[test]
fn thread_bench_reports_its_mode_too() -> TestResult {
    let output = bcast(&["bench", "--messages", "200", "--warmup", "10", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(report["mode"], "threads, heap", "{report}");
    assert!(report.get("dir").is_none(), "{report}");
    assert!(rtt_order(&report).is_sorted(), "{report}");
    let text = bcast(&["bench", "--messages", "200"]);
    assert!(String::from_utf8(text.stdout)?.lines().any(|line| line == "mode: threads, heap"));
    Ok(())
}

#[test]
fn shm_bench_in_a_missing_directory_fails_and_bad_arguments_exit_2() {
    let output = bcast(&["bench", "--shm", "/nonexistent/dir", "--messages", "10"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/dir") && stderr.contains("No such file"), "{stderr}");
    assert!(!stderr.contains("panicked") && output.stdout.is_empty(), "{stderr}");

    let output = bcast(&["bench", "--shm", "/nonexistent/dir", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&output.stderr).expect("a JSON error on stderr");
    assert!(error["error"].as_str().is_some_and(|e| e.contains("/nonexistent/dir")), "{error}");

    let dir = TempDir::new("bench-usage");
    for args in [
        &["bench", "--shm", dir.as_str(), "--size", "100000000"][..],
        &["bench", "--shm", dir.as_str(), "--size", "lots"],
        &["bench", "--shm", dir.as_str(), "--messages", "0"],
        &["bench", "--shm", dir.as_str(), "--echo", "a", "b"],
    ] {
        let output = bcast(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("size") || stderr.contains("error:"), "{args:?}: {stderr}");
    }
    assert_eq!(dir.entries(), Vec::<String>::new(), "nothing is made for bad arguments");
}

#[test]
fn the_echo_flag_is_hidden_from_help() {
    let output = bcast(&["bench", "--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && help.contains("--shm [<DIR>]"), "{help}");
    assert!(!help.contains("--echo"), "{help}");
}

#[test]
fn a_killed_echo_process_fails_the_run_and_the_files_are_removed() {
    let dir = TempDir::new("bench-echo-killed");
    let mut run = Running::start(&["bench", "--shm", dir.as_str(), "--messages", "1000000000"]);
    let echo = echo_pid(&dir, run.id());
    kill(echo);
    let output = run.output(LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("echo process (pid {echo}) exited early")), "{stderr}");
    assert!(stderr.contains("SIGKILL"), "{stderr}");
    assert_eq!(dir.entries(), Vec::<String>::new(), "the channel files are removed");
}

#[test]
fn the_echo_process_exits_by_itself_when_the_measuring_process_is_killed() {
    let dir = TempDir::new("bench-parent-killed");
    let mut run = Running::start(&["bench", "--shm", dir.as_str(), "--messages", "1000000000"]);
    let echo = echo_pid(&dir, run.id());
    // Killed and reaped, so that its liveness record reads as dead.
    run.child().kill().expect("kill");
    run.child().wait().expect("wait");
    wait_for(Duration::from_secs(20), "the echo process exits", || is_gone(echo));
    // A killed run cannot remove its files: `TempDir` does.
}

#[test]
fn the_echo_side_echoes_the_announced_messages_and_gives_up_without_pings() -> TestResult {
    let dir = TempDir::new("bench-echo");
    let (ping_path, pong_path) = (dir.join("ping"), dir.join("pong"));
    let mut ping = RingBuffer::create(&ping_path, 1 << 16)?.into_writer();
    drop(RingBuffer::create(&pong_path, 1 << 16)?);
    let (ping_arg, pong_arg) = (ping_path.to_str().expect("UTF-8"), pong_path.to_str().expect(""));

    // Two messages echoed, then it exits by itself.
    let mut pong = RingBuffer::attach(&pong_path)?.into_reader_at(0)?;
    let echo = ["bench", "--echo", ping_arg, pong_arg, "--warmup", "0", "--messages", "2"];
    let run = Running::start(&echo);
    let mut buf = vec![0; pong.mtu()];
    let mut next = |pong: &mut bcast::Reader| -> Vec<u8> {
        let mut got = None;
        wait_for(Duration::from_secs(20), "a frame on pong", || {
            got = pong.try_recv(&mut buf).expect("a frame").map(|m| buf[..m.len].to_vec());
            got.is_some()
        });
        got.expect("a frame")
    };
    assert_eq!(next(&mut pong), b"bcast bench echo ready");
    for message in [&b"one"[..], b"two"] {
        ping.send(message)?;
        assert_eq!(next(&mut pong), message);
    }
    let output = run.output(LIMIT);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // Without a ping it gives up after a few seconds...
    let started = Instant::now();
    let output = bcast(&echo);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no ping for 5 s"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());

    // ...and at once when the ping channel has no writer.
    drop(ping);
    let started = Instant::now();
    let output = bcast(&echo);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is gone"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    Ok(())
}
