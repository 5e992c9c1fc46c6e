#!/usr/bin/env bash
# Runs the ring's protocol tests under Miri (weak-memory emulation, data-race detection) on heap
# and caller-memory storage. The racing-threads test runs with many seeds; the rest with one.
# Usage: ci/miri.sh [SEEDS]   (default 16)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-16}"

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "ci/miri.sh: installing Miri on the nightly toolchain"
  rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1 || true
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "##############################################################"
  echo "## ci/miri.sh: MIRI IS NOT AVAILABLE: the protocol tests did ##"
  echo "## NOT run under Miri. Install it with:                      ##"
  echo "##   rustup component add --toolchain nightly miri rust-src   ##"
  echo "##############################################################"
  exit 0
fi

export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-strict-provenance"
start=$(date +%s)
echo "ci/miri.sh: ring tests (Stacked Borrows, one seed)"
cargo +nightly miri test -q --lib --test ring --test overrun --test corrupt --test model
# rkyv's archived strings and vectors trip Stacked Borrows inside rkyv itself (rkyv/rkyv#436);
# its maintainers recommend Tree Borrows, under which the typed tests run.
echo "ci/miri.sh: typed tests (Tree Borrows, one seed)"
MIRIFLAGS="$MIRIFLAGS -Zmiri-tree-borrows" \
  cargo +nightly miri test -q --test typed_roundtrip --test typed_hostile --test typed_registry \
    --test typed_evolution_archives --test last_values
echo "ci/miri.sh: racing writer and readers, seeds 0..$seeds"
MIRIFLAGS="$MIRIFLAGS -Zmiri-many-seeds=0..$seeds" \
  cargo +nightly miri test -q --test overrun racing_writer_never_hands_readers_a_torn_message
echo "ci/miri.sh: racing publisher and a late subscriber's snapshot, seeds 0..$seeds"
MIRIFLAGS="$MIRIFLAGS -Zmiri-tree-borrows -Zmiri-many-seeds=0..$seeds" \
  cargo +nightly miri test -q --test last_values a_late_subscriber
echo "ci/miri.sh: clean in $(( $(date +%s) - start )) s"
