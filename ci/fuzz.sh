#!/usr/bin/env bash
# A bounded fuzzing run of each fuzz target (fuzz/README.md): `decode` (the generic decoder,
# from a seed corpus of real frames that fuzz/seeds/decode_seeds.rs writes) and
# `scribbled_ring` (from an empty corpus), N inputs each (the first argument, default 300000:
# some 15-25 s of fuzzing per target on two cores, after about 2.5 minutes of cold builds).
# Any crash, panic, timeout or out-of-memory fails the script; the input that caused it is
# left in fuzz/artifacts/TARGET/.
#
# Needs the nightly toolchain (`cargo +nightly`; without it the script says so loudly and
# exits 0, as ci/miri.sh does without Miri); installs cargo-fuzz if it is missing.
# Usage: ci/fuzz.sh [N]   (FUZZ_MAX_TIME caps each target's seconds, default 60)
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-300000}"
# A cap on each target's time, in case a slow input makes N runs take much longer than usual.
max_time="${FUZZ_MAX_TIME:-60}"
root="$PWD"
corpora="$root/target/fuzz-corpus"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "###############################################################"
  echo "## ci/fuzz.sh: NO NIGHTLY TOOLCHAIN: the fuzz targets did NOT ##"
  echo "## run. cargo-fuzz needs it: rustup toolchain install nightly ##"
  echo "###############################################################"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# The seeds are generated, not committed: real frames of a typed channel with its description.
rm -rf "$corpora"
mkdir -p "$corpora/decode" "$corpora/scribbled_ring"
# Built as the fuzz targets are, so that it shares their build of bcast (by hand it also runs
# with the stable toolchain: cargo run --manifest-path fuzz/Cargo.toml --bin decode_seeds -- DIR).
cargo +nightly fuzz build decode_seeds
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
"fuzz/target/$host/release/decode_seeds" "$corpora/decode"

# fuzz TARGET [optional]: an optional target that does not build is skipped with a warning.
fuzz() {
  local target="$1" optional="${2:-}"
  echo "--- fuzzing $target: $runs runs"
  if ! cargo +nightly fuzz build "$target"; then
    if [[ -n "$optional" ]]; then
      echo "WARNING: fuzz target $target does not build; skipped (fix fuzz/fuzz_targets/$target.rs)"
      skipped+=("$target")
      return 0
    fi
    echo "fuzz target $target does not build"
    exit 1
  fi
  if ! cargo +nightly fuzz run "$target" "$corpora/$target" -- \
    -runs="$runs" -max_len=4096 -timeout=10 -max_total_time="$max_time" -print_final_stats=1 \
    2>&1 | grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE) '; then
    echo "fuzz target $target FAILED; the input that failed is in fuzz/artifacts/$target/:"
    ls -l "fuzz/artifacts/$target/" 2>/dev/null || true
    echo "reproduce: cargo +nightly fuzz run $target fuzz/artifacts/$target/FILE"
    echo "minimise:  cargo +nightly fuzz tmin $target fuzz/artifacts/$target/FILE"
    exit 1
  fi
}

skipped=()
fuzz decode
fuzz scribbled_ring

if ((${#skipped[@]})); then
  echo
  echo "WARNING: skipped fuzz targets that do not build: ${skipped[*]}"
fi
cat <<EOF

The fuzz targets that built passed $runs runs each (or $max_time s, if that came first). For a longer run by hand (fuzz/README.md):
  cargo run --manifest-path fuzz/Cargo.toml --bin decode_seeds -- fuzz/corpus/decode
  cargo +nightly fuzz run decode fuzz/corpus/decode -- -max_len=4096 -max_total_time=3600
  cargo +nightly fuzz run scribbled_ring -- -max_total_time=3600
EOF
