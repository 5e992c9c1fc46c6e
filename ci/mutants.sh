#!/usr/bin/env bash
# Breaks the ring protocol on purpose, one way at a time, and checks that the racing test catches
# each break under Miri (portable copies), and that the stress test catches a broken lap check
# natively (16-byte copies on AVX): a protocol test that still passes on a broken protocol
# proves nothing.
# Each mutant is a copy of the working tree with one edit; the script fails if an edit no longer
# applies (the code it targets moved) or if a mutant survives.
# Usage: ci/mutants.sh [SEEDS]   (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-8}"
root=$(pwd)

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "ci/mutants.sh: Miri is not available; install it with"
  echo "  rustup component add --toolchain nightly miri rust-src"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Mutants share target directories of their own, so only the mutated crate is rebuilt each time
# (every mutant edits a file of it after the previous build). Never the tree's own: cargo would
# take a mutant's build, newer than the tree's sources, for a fresh build of the tree.
target="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TARGET_DIR="$target/mutants"
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-strict-provenance -Zmiri-many-seeds=0..$seeds"

# edited_copy NAME FILE PERL_EXPRESSION: prints the path of a copy of the tree with the edit,
# which must change FILE.
edited_copy() {
  local name=$1 file=$2 expression=$3 copy="$work/$1"
  mkdir -p "$copy"
  tar -C "$root" --exclude=./target --exclude=./.git -cf - . | tar -C "$copy" -xf -
  if [ ! -f "$copy/$file" ]; then
    echo "ci/mutants.sh: $file, which mutant '$name' edits, no longer exists" >&2; return 1
  fi
  perl -0pi -e "$expression" "$copy/$file"
  if cmp -s "$root/$file" "$copy/$file"; then
    echo "ci/mutants.sh: the edit for '$name' no longer applies to $file" >&2; return 1
  fi
  echo "$copy"
}

# caught NAME COPY COMMAND...: runs COMMAND in COPY, which must fail.
caught() {
  local name=$1 copy=$2
  shift 2
  echo "ci/mutants.sh: mutant '$name'"
  if (cd "$copy" && "$@" >"$copy.log" 2>&1); then
    tail -n 20 "$copy.log"
    echo "ci/mutants.sh: mutant '$name' SURVIVED: the test did not notice"; exit 1
  fi
  if grep -q -E '^error\[E[0-9]+\]|could not compile' "$copy.log"; then
    grep -m5 -A5 -E '^error\[E[0-9]+\]|could not compile' "$copy.log"
    echo "ci/mutants.sh: mutant '$name' does not compile, so it tests nothing: fix its edit"; exit 1
  fi
  grep -m1 -E 'panicked|Undefined Behavior|data race' "$copy.log" | sed 's/^/    caught: /' || true
}

# mutate NAME FILE PERL_EXPRESSION: the racing test must fail under Miri (portable copies).
mutate() {
  local copy
  copy=$(edited_copy "$@") || exit 1
  caught "$1" "$copy" cargo +nightly miri test -q --test overrun \
    racing_writer_never_hands_readers_a_torn_message
}

# mutate_native NAME FILE PERL_EXPRESSION: the stress test must fail natively, where payloads of
# 128 bytes and more take the 16-byte copies on a processor with AVX (`src/ring/wide.rs`).
mutate_native() {
  local copy
  copy=$(edited_copy "$@") || exit 1
  CARGO_TARGET_DIR="$target/mutants-native" MIRIFLAGS= caught "$1" "$copy" \
    cargo test -q --test stress threads_on_a_small_ring_lose_nothing_unreported
}

start=$(date +%s)
# The commit word published before the payload is copied in.
mutate commit-before-payload src/ring/raw.rs \
  's/(\n        if !WIDE \|\| .*?\n        \})(.*?Self::word\(frame, 0\) \}\.store\(commit, Ordering::Release\);)/$2$1/s'
# The stale-slot guard removed: the commit word after a frame is not cleared before it is
# published, so a reader may take an earlier lap's word there for a new frame.
mutate stale-slot-kept src/ring/raw.rs \
  's/\n\s*self\.clear_commit_word\(next\);//'
# The lap check made against `committed` instead of `claimed` (the bug of bcast 0.0.6), with
# the frame bound it also feeds switched off, so that only the lap check changes.
mutate lap-check-on-committed src/reader/frames.rs \
  's/self\.ring\.header\(\)\.claimed_after_loads\(\)/{ crate::sync::fence(Ordering::Acquire); self.ring.header().committed.load(Ordering::Relaxed) }/; s/Ok\(ahead\)/Ok(self.ring.capacity())/'
# The lap check switched off, natively: a lapped reader keeps torn copies, 16 bytes at a time.
mutate_native no-lap-check-native src/reader/frames.rs \
  's/if ahead > self\.ring\.capacity\(\) \{/if false \&\& ahead > self.ring.capacity() {/'
echo "ci/mutants.sh: every mutant was caught, in $(( $(date +%s) - start )) s"
