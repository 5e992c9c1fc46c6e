//! File-system faults and the security of channel files: a full `/dev/shm`, permission denied,
//! a channel deleted or replaced under live readers, and read-only reader mappings.
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use std::path::Path;

use bcast::{OpenError, RingBuffer};
use common::{ShmPath, SmallTmpfs, free_bytes, is_root, run_as_nobody};

/// A channel path for this test file, removed (with its lock file) when the guard drops, even
/// when the test fails.
fn shm_path(name: &str) -> ShmPath {
    ShmPath::new(&format!("fs-{name}"))
}

fn leftovers(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("readable dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains(name))
        .collect()
}

#[test]
fn full_file_system_is_a_typed_error_and_leaves_nothing_behind() {
    let guard = shm_path("full");
    let path = &guard.0;
    let capacity: usize = 1 << 36; // the largest ring: 64 GiB
    if free_bytes(Path::new("/dev/shm")) > capacity as u64 {
        println!("skipped: /dev/shm has more than 64 GiB free");
        return;
    }
    let err = RingBuffer::create(path, capacity).unwrap_err();
    assert!(matches!(&err, OpenError::NoSpace { path: p, .. } if p == path), "{err}");
    assert!(err.to_string().contains("no space"), "{err}");
    assert!(!path.exists());
    assert_eq!(
        leftovers(Path::new("/dev/shm"), &format!("{}-fs-full", std::process::id())),
        Vec::<String>::new(),
        "no temporary file and no lock file is left"
    );
}

#[test]
fn unreadable_channel_is_permission_denied() {
    let guard = shm_path("denied");
    let path = &guard.0;
    drop(RingBuffer::create(path, 4096).expect("create"));
    if is_root() {
        // Root bypasses file modes: attach from a child process running as `nobody`.
        let output = run_as_nobody("attach_as_child", &[("BCAST_FS_ATTACH", path.as_os_str())]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("PermissionDenied"), "{stdout}");
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        let err = RingBuffer::attach(path).unwrap_err();
        assert!(
            matches!(&err, OpenError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied)
        );
    }
}

/// Child of the test above: prints how attaching went. A no-op when the suite runs it directly.
#[test]
fn attach_as_child() {
    let Ok(path) = std::env::var("BCAST_FS_ATTACH") else { return };
    match RingBuffer::attach(path) {
        Ok(_) => println!("attached"),
        Err(OpenError::Io { source, .. }) => println!("io error {:?}", source.kind()),
        Err(e) => println!("other error {e}"),
    }
}

#[test]
fn deleted_channel_keeps_serving_its_live_readers() -> Result<(), Box<dyn std::error::Error>> {
    let guard = shm_path("deleted");
    let path = &guard.0;
    let mut writer = RingBuffer::create(path, 4096)?.into_writer();
    let attached = RingBuffer::attach(path)?;
    let mut reader = attached.clone().into_reader();
    writer.send(b"before")?;
    std::fs::remove_file(path)?;
    writer.send(b"after")?;
    assert!(attached.is_replaced(), "the reader can tell its path is gone");
    let mut buf = [0u8; 16];
    let mut got = Vec::new();
    while let Some(received) = reader.try_recv(&mut buf)? {
        got.push(buf[..received.len].to_vec());
    }
    assert_eq!(got, [b"before".to_vec(), b"after".to_vec()], "nothing committed is lost");
    let err = RingBuffer::attach(path).unwrap_err();
    assert!(
        matches!(&err, OpenError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    Ok(())
}

#[test]
fn replaced_channel_is_noticed_by_old_readers() -> Result<(), Box<dyn std::error::Error>> {
    let guard = shm_path("replaced");
    let path = &guard.0;
    let old = RingBuffer::create(path, 4096)?;
    let mut old_writer = old.clone().into_writer();
    let attached = RingBuffer::attach(path)?;
    assert!(!attached.is_replaced());
    old_writer.send(b"old")?;
    drop((old, old_writer));
    std::fs::remove_file(path)?;
    let mut new_writer = RingBuffer::create(path, 8192)?.into_writer();
    new_writer.send(b"new")?;
    assert!(attached.is_replaced(), "an inode check tells the old reader");
    let mut reader = attached.into_reader_at(0)?;
    let mut buf = [0u8; 8];
    let received = reader.try_recv(&mut buf)?.expect("the old channel's message");
    assert_eq!(&buf[..received.len], b"old");
    let fresh = RingBuffer::attach(path)?;
    assert_eq!(fresh.capacity(), 8192);
    assert!(!fresh.is_replaced());
    let _ = std::fs::remove_file(path);
    Ok(())
}

#[test]
fn readers_map_channels_read_only() -> Result<(), Box<dyn std::error::Error>> {
    let guard = shm_path("readonly");
    let path = &guard.0;
    let _writer = RingBuffer::create(path, 4096)?.into_writer();
    let _attached = RingBuffer::attach(path)?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    // Match by inode: the writer mapped the file under its temporary name, before the link.
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path)?).to_string();
    let perms: Vec<&str> = maps
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.get(4) == Some(&inode.as_str()))
        .map(|fields| fields[1])
        .collect();
    // One mapping for the writer (read-write, shared), one for the reader (read-only, shared):
    // a store through the reader's mapping would fault, so a reader cannot corrupt the ring.
    assert!(perms.contains(&"rw-s"), "{perms:?}");
    assert!(perms.contains(&"r--s"), "{perms:?}");
    assert_eq!(perms.len(), 2, "{perms:?}");
    let _ = std::fs::remove_file(path);
    Ok(())
}

#[test]
fn small_tmpfs_fills_up_with_a_typed_error() {
    // Where the test may mount (root in a sandbox that allows it), use a real 1 MiB tmpfs.
    let Some(tmpfs) = SmallTmpfs::mount("full") else {
        println!("skipped: cannot mount a tmpfs here (the 64 GiB test covers ENOSPC)");
        return;
    };
    let dir = &tmpfs.0;
    let path = dir.join("channel");
    assert!(RingBuffer::create(path, 256 * 1024).is_ok(), "fits");
    let other = dir.join("too-big");
    let err = RingBuffer::create(&other, 1 << 20).unwrap_err();
    assert!(matches!(err, OpenError::NoSpace { .. }), "{err}");
    assert_eq!(leftovers(dir, "too-big"), Vec::<String>::new(), "no temporary file is left");
}
