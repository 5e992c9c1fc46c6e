//! Runs `bcast ls` and `bcast rm` against a directory of real channels and of files that are
//! not channels (a regular file, a directory, a FIFO) under /dev/shm.
#![cfg(all(target_os = "linux", not(miri)))]

#[path = "../../tests/common/market.rs"]
mod market;
#[path = "../../tests/common/shm_path.rs"]
mod shm_path;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bcast::RingBuffer;
use bcast::typed::Publisher;
use market::{MarketData, quote, trade};
use serde_json::Value;
use shm_path::lock_path;
use support::{LIMIT, TempDir, bcast, json_lines, stdout_of};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The directory every test works in:
/// - `live`: a typed channel whose publisher the test holds (3 messages);
/// - `gone`: a typed channel whose publisher was dropped (2 messages);
/// - `raw`: an untyped channel whose writer was dropped (1 message);
/// - `notes.txt`: a regular file longer than the smallest channel, of zeros;
/// - `short`: a regular file of 5 bytes;
/// - `subdir`: a directory; `fifo`: a FIFO nobody writes to;
/// - the writers' lock files `.live.lock`, `.gone.lock`, `.raw.lock`.
struct Fixture {
    dir: TempDir,
    live: Publisher<MarketData>,
}

impl Fixture {
    fn new(name: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = TempDir::new(name);
        let mut live =
            Publisher::<MarketData>::new(RingBuffer::create(dir.join("live"), 1 << 16)?)?;
        live.publish(&quote(0))?;
        live.publish(&trade(1))?;
        live.publish(&quote(2))?;
        let mut gone =
            Publisher::<MarketData>::new(RingBuffer::create(dir.join("gone"), 1 << 12)?)?;
        gone.publish(&quote(0))?;
        gone.publish(&trade(1))?;
        drop(gone);
        let mut raw = RingBuffer::create(dir.join("raw"), 1 << 12)?.into_writer();
        raw.send(b"hello")?;
        drop(raw);
        std::fs::write(dir.join("notes.txt"), vec![0u8; 128 << 10])?;
        std::fs::write(dir.join("short"), b"short")?;
        std::fs::create_dir(dir.join("subdir"))?;
        mkfifo(&dir.join("fifo"));
        Ok(Self { dir, live })
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().expect("a UTF-8 path").to_owned()
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn ls_lists_the_channels_of_a_directory_by_name_and_skips_everything_else() -> TestResult {
    let fixture = Fixture::new("ls-text")?;
    let text = stdout_of(&["ls", fixture.dir.as_str(), "--interval", "0.05"]);
    let rows: Vec<Vec<&str>> = text.lines().map(|line| line.split_whitespace().collect()).collect();
    let pid = std::process::id().to_string();
    assert_eq!(
        rows,
        [
            vec!["name", "channel", "capacity", "messages", "msg/s", "parked", "writer", "pid"],
            vec!["gone", "MarketData", "4", "KiB", "2", "0", "0", "gone", "-"],
            vec!["live", "MarketData", "64", "KiB", "3", "0", "0", "alive", &pid],
            vec!["raw", "-", "4", "KiB", "1", "0", "0", "gone", "-"],
        ],
        "{text}"
    );
    // Columns line up: each starts where its title does.
    let lines: Vec<&str> = text.lines().collect();
    let column = |line: &str, n: usize| {
        line.char_indices()
            .filter(|&(i, c)| c != ' ' && (i == 0 || line.as_bytes()[i - 1] == b' '))
            .nth(n)
            .map(|(i, _)| i)
    };
    assert_eq!(column(lines[0], 1), column(lines[1], 1), "{text}");
    assert_eq!(column(lines[0], 6), column(lines[3], 7), "{text}");
    // Everything is still there: `ls` only looks.
    for name in ["live", "gone", "raw", "notes.txt", "short", "subdir", "fifo", ".live.lock"] {
        assert!(fixture.dir.join(name).symlink_metadata().is_ok(), "{name}");
    }
    Ok(())
}

#[test]
fn ls_json_prints_one_object_per_channel_with_its_message_rate() -> TestResult {
    let Fixture { dir, live: mut publisher } = Fixture::new("ls-json")?;
    let stop = Arc::new(AtomicBool::new(false));
    // `ls` measures the live channel's rate while this thread publishes on it.
    let publishing = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> Result<Publisher<MarketData>, bcast::typed::PublishError> {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                publisher.publish(&trade(i))?;
                i += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            Ok(publisher)
        })
    };
    let output = bcast(&["ls", "--json", "--interval", "0.3", dir.as_str()]);
    stop.store(true, Ordering::Relaxed);
    let publisher = publishing.join().expect("the publishing thread")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = json_lines(std::str::from_utf8(&output.stdout)?);
    let names: Vec<&Value> = lines.iter().map(|line| &line["name"]).collect();
    assert_eq!(names, ["gone", "live", "raw"], "sorted by name, channels only");

    let gone = &lines[0];
    assert_eq!(gone["path"], dir.join("gone").to_str().expect("UTF-8"));
    assert_eq!((&gone["channel"], &gone["typed"]), (&"MarketData".into(), &true.into()));
    assert_eq!((&gone["capacity"], &gone["messages"]), (&4096.into(), &2.into()));
    assert_eq!((&gone["writer"], &gone["writer_alive"]), (&"gone".into(), &false.into()));
    // A publisher that closes the channel clears its record.
    assert_eq!((&gone["writer_pid"], &gone["messages_per_s"]), (&Value::Null, &0.0.into()));
    assert_eq!(gone["registry_error"], Value::Null);

    let live = &lines[1];
    assert_eq!((&live["channel"], &live["capacity"]), (&"MarketData".into(), &65536.into()));
    assert_eq!((&live["writer"], &live["writer_alive"]), (&"alive".into(), &true.into()));
    assert_eq!(live["writer_pid"], std::process::id());
    let secs = live["interval_s"].as_f64().expect("seconds");
    assert!((0.3..10.0).contains(&secs), "{live}");
    let rate = live["messages_per_s"].as_f64().expect("a rate");
    let messages = live["messages"].as_u64().expect("a count");
    assert!(rate > 0.0 && rate * secs <= messages as f64 + 0.5, "{live}");
    assert!(messages <= publisher.ring().info().messages, "{live}");

    let raw = &lines[2];
    assert_eq!((&raw["channel"], &raw["typed"]), (&Value::Null, &false.into()));
    assert_eq!((&raw["messages"], &raw["writer"]), (&1.into(), &"gone".into()));
    assert_eq!(raw["committed"], 32 + 16, "one frame: its header and 5 bytes, padded");
    Ok(())
}

#[test]
fn ls_says_so_when_a_directory_holds_no_channel_and_fails_on_a_missing_one() {
    let dir = TempDir::new("ls-empty");
    assert_eq!(
        stdout_of(&["ls", dir.as_str()]),
        format!("no bcast channels in {}\n", dir.as_str())
    );
    // Nothing but files that are not channels, a FIFO among them: still nothing, at once.
    mkfifo(&dir.join("fifo"));
    std::fs::write(dir.join("zeros"), vec![0u8; 128 << 10]).expect("a file");
    std::fs::create_dir(dir.join("subdir")).expect("a directory");
    let started = Instant::now();
    assert_eq!(stdout_of(&["ls", "--json", dir.as_str()]), "", "no object at all");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(stdout_of(&["ls", dir.as_str()]).starts_with("no bcast channels in "));

    let missing = dir.join("missing");
    let missing = missing.to_str().expect("UTF-8");
    let output = bcast(&["ls", missing]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("bcast: {missing}: no such directory\n")
    );
    assert!(output.stdout.is_empty());
    let output = bcast(&["ls", "--json", missing]);
    let error: Value = serde_json::from_slice(&output.stderr).expect("a JSON error");
    assert_eq!(error["error"], format!("{missing}: no such directory"));
    assert_eq!((output.status.code(), &error["status"]), (Some(1), &1.into()));

    let file = dir.join("zeros");
    let output = bcast(&["ls", file.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("zeros: not a directory"));
    assert_eq!(bcast(&["ls", "--interval", "0", dir.as_str()]).status.code(), Some(2));
}

#[test]
fn ls_lists_more_channels_than_it_may_hold_open_at_once() -> TestResult {
    let dir = TempDir::new("ls-many");
    let names: Vec<String> = (0..40).map(|i| format!("ch{i:02}")).collect();
    for name in &names {
        RingBuffer::create(dir.join(name), 256)?.into_writer().send(name.as_bytes())?;
    }
    // With at most 24 descriptors, `ls` cannot keep 40 channels open during its window.
    let script = format!("ulimit -n 24 && exec \"$0\" ls --json --interval 0.01 {}", dir.as_str());
    let output = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_bcast")])
        .current_dir("/")
        .output()?;
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(std::str::from_utf8(&output.stdout)?);
    let listed: Vec<&str> = lines.iter().filter_map(|line| line["name"].as_str()).collect();
    assert_eq!(listed, names);
    assert!(lines.iter().all(|line| line["messages"] == 1 && line["writer"] == "gone"));
    Ok(())
}

#[test]
fn rm_removes_channels_whose_writer_is_gone_and_refuses_a_live_one() -> TestResult {
    let mut fixture = Fixture::new("rm")?;
    let (gone, raw, live) = (fixture.path("gone"), fixture.path("raw"), fixture.path("live"));
    let text = stdout_of(&["rm", &gone, &raw]);
    assert_eq!(text, format!("removed {gone}\nremoved {raw}\n"));
    for name in ["gone", "raw", ".gone.lock", ".raw.lock"] {
        assert!(fixture.dir.join(name).symlink_metadata().is_err(), "{name} is still there");
    }

    let output = bcast(&["rm", &live]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let pid = std::process::id();
    let refusal =
        format!("bcast: {live}: a writer is alive (pid {pid}); use --force to remove it anyway\n");
    assert_eq!(stderr, refusal + "bcast: the path was not removed\n");
    assert!(output.stdout.is_empty());
    assert!(fixture.dir.join("live").exists());

    let text = stdout_of(&["rm", "--force", &live]);
    assert_eq!(text, format!("removed {live} (forced: its writer, pid {pid}, is alive)\n"));
    assert!(!fixture.dir.join("live").exists() && !lock_path(&fixture.dir.join("live")).exists());
    // The publisher goes on, on a file no new reader can attach to.
    fixture.live.publish(&quote(3))?;
    assert!(fixture.live.ring().is_replaced());
    Ok(())
}

#[test]
fn rm_never_removes_what_is_not_a_channel_even_with_force() -> TestResult {
    let fixture = Fixture::new("rm-refused")?;
    let names = ["notes.txt", "short", "subdir", "fifo", ".live.lock", "missing", "gone"];
    let paths: Vec<String> = names.iter().map(|name| fixture.path(name)).collect();
    let mut args = vec!["rm", "--force"];
    args.extend(paths.iter().map(String::as_str));
    let output = bcast(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Each path on its own line, in order; the one channel among them is removed.
    assert_eq!(String::from_utf8_lossy(&output.stdout), format!("removed {}\n", paths[6]));
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        "not a bcast channel (no channel magic)",
        "not a bcast channel (too short: 5 bytes)",
        "not a bcast channel (a directory)",
        "not a bcast channel (a FIFO)",
        "not a bcast channel (too short: 0 bytes)",
        "no such file",
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{stderr}");
    for ((line, path), why) in lines.iter().zip(&paths).zip(expected) {
        assert_eq!(*line, format!("bcast: {path}: {why}"));
    }
    assert_eq!(lines[6], "bcast: 6 of 7 paths were not removed");
    for name in &names[..5] {
        assert!(fixture.dir.join(name).symlink_metadata().is_ok(), "{name} was removed");
    }
    assert_eq!(std::fs::read(fixture.dir.join("short"))?, b"short");
    Ok(())
}

#[test]
fn rm_json_prints_one_object_per_path() -> TestResult {
    let fixture = Fixture::new("rm-json")?;
    let (gone, live, notes) =
        (fixture.path("gone"), fixture.path("live"), fixture.path("notes.txt"));
    let output = bcast(&["rm", "--json", &gone, &live, &notes]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines = json_lines(std::str::from_utf8(&output.stdout)?);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["path"], gone);
    assert_eq!((&lines[0]["removed"], &lines[0]["channel"]), (&true.into(), &true.into()));
    assert_eq!((&lines[0]["writer_alive"], &lines[0]["error"]), (&false.into(), &Value::Null));
    assert_eq!((&lines[1]["removed"], &lines[1]["writer_alive"]), (&false.into(), &true.into()));
    assert_eq!(lines[1]["writer_pid"], std::process::id());
    let error = lines[1]["error"].as_str().expect("an error");
    assert!(error.starts_with(&format!("{live}: a writer is alive (pid ")), "{error}");
    assert_eq!((&lines[2]["removed"], &lines[2]["channel"]), (&false.into(), &false.into()));
    assert_eq!(lines[2]["error"], format!("{notes}: not a bcast channel (no channel magic)"));
    let error: Value = serde_json::from_slice(&output.stderr)?;
    assert_eq!(error, serde_json::json!({"error": "2 of 3 paths were not removed", "status": 1}));
    assert!(!Path::new(&gone).exists() && Path::new(&live).exists() && Path::new(&notes).exists());
    drop(fixture.live);
    Ok(())
}

#[test]
fn a_file_that_cannot_be_read_is_skipped_by_ls_and_kept_by_rm() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("unreadable");
    let path = dir.join("locked");
    RingBuffer::create(&path, 256)?.into_writer().send(b"secret")?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000))?;
    if std::fs::File::open(&path).is_ok() {
        eprintln!("skipped: this process reads files of mode 0000 (root, or CAP_DAC_OVERRIDE)");
        return Ok(());
    }
    assert_eq!(
        stdout_of(&["ls", dir.as_str()]),
        format!("no bcast channels in {}\n", dir.as_str())
    );
    let shown = path.to_str().expect("UTF-8");
    for args in [["rm", shown].as_slice(), &["rm", "--force", shown]] {
        let output = bcast(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        let why = format!("bcast: {shown}: cannot read it to check that it is a bcast channel: ");
        assert!(stderr.starts_with(&why) && stderr.contains("ermission denied"), "{stderr}");
        assert!(path.symlink_metadata().is_ok(), "removed");
    }
    Ok(())
}

/// Set in the environment of [`child_writer`] when a test runs it as a writer process.
const CHILD_ENV: &str = "BCAST_LS_RM_CHILD_CHANNEL";

/// Not a test of its own: when [`CHILD_ENV`] names a path, this test binary, run again as a
/// child process, creates a typed channel there, publishes on it, says so and waits to be
/// killed. Otherwise it does nothing.
#[test]
fn child_writer() -> TestResult {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return Ok(()) };
    let mut publisher = Publisher::<MarketData>::new(RingBuffer::create(path, 1 << 12)?)?;
    publisher.publish(&quote(0))?;
    println!("\nBCAST-CHILD-READY");
    std::thread::sleep(LIMIT * 3);
    Ok(())
}

/// A child process running [`child_writer`] on a channel, killed when dropped.
struct ChildWriter(std::process::Child);

impl ChildWriter {
    fn spawn(path: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        use std::io::BufRead;
        let mut child = Self(
            Command::new(std::env::current_exe()?)
                .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, path)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?,
        );
        let stdout = child.0.stdout.take().expect("piped");
        let (ready_tx, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("BCAST-CHILD-READY") {
                    let _ = ready_tx.send(());
                }
            }
        });
        ready.recv_timeout(LIMIT)?;
        Ok(child)
    }

    /// Kills the child (`SIGKILL`: it cannot close the channel) and reaps it, so that its
    /// process id names no process any more.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildWriter {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn ls_and_rm_judge_a_writer_in_another_process_alive_then_gone_once_killed() -> TestResult {
    let dir = TempDir::new("rm-killed");
    let path = dir.join("crashed");
    let shown = path.to_str().expect("UTF-8");
    let mut child = ChildWriter::spawn(&path)?;
    let pid = child.0.id();

    let lines = json_lines(&stdout_of(&["ls", "--json", "--interval", "0.01", dir.as_str()]));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((&lines[0]["name"], &lines[0]["writer"]), (&"crashed".into(), &"alive".into()));
    assert_eq!((&lines[0]["writer_pid"], &lines[0]["messages"]), (&pid.into(), &1.into()));
    let output = bcast(&["rm", shown]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("a writer is alive (pid {pid}); use --force")), "{stderr}");

    child.kill();
    // The killed writer's record stays in the header: `gone`, with the pid it had.
    let text = stdout_of(&["ls", "--interval", "0.01", dir.as_str()]);
    let row: Vec<&str> = text.lines().nth(1).expect("a row").split_whitespace().collect();
    assert_eq!(row, ["crashed", "MarketData", "4", "KiB", "1", "0", "0", "gone", &pid.to_string()]);
    assert_eq!(stdout_of(&["rm", shown]), format!("removed {shown}\n"));
    assert!(!path.exists() && !lock_path(&path).exists());
    Ok(())
}

#[test]
fn ls_shows_the_readers_parked_on_a_channel() -> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("ls-parked");
    let path = dir.join("waited");
    let mut writer = RingBuffer::create(&path, 1 << 12)?.into_writer();
    let mut reader = RingBuffer::attach(&path)?
        .into_reader()
        .with_wait_strategy(bcast::WaitStrategy::SpinThenPark { spins: 10 });
    let waiting = std::thread::spawn(move || reader.recv_timeout(&mut [0; 64], LIMIT));
    let deadline = Instant::now() + LIMIT;
    while RingBuffer::attach(&path)?.info().parked_readers == 0 {
        assert!(Instant::now() < deadline, "the reader never parked");
        std::thread::sleep(Duration::from_millis(1));
    }
    let line: Value = serde_json::from_str(&stdout_of(&["ls", dir.as_str(), "--json"]))?;
    assert_eq!((&line["name"], &line["parked_readers"]), (&"waited".into(), &1.into()));
    writer.send(b"wake up")?;
    assert!(waiting.join().expect("the reader thread")?.is_some());
    Ok(())
}
