#!/usr/bin/env bash
# The whole test suite in one command, set-up included:
#
#   scripts/test.sh
#
# It needs root (Debian packages, end-to-end tests). Run by a normal user it
# asks for root itself through sudo when sudo is installed; without sudo it
# says how to run it as root and goes on without root (the end-to-end tests
# are then skipped, or fail under CI=true). TEST_NO_SUDO=1 never asks.
#
# Installs the Debian packages the tests need if they are missing (root
# only), then runs, timing each step:
#   cargo fmt --all -- --check
#   cargo clippy --all-targets -- -D warnings
#   cargo test --all-targets
#   cargo build            (the binary the end-to-end test runs)
#   tests/e2e/postfix.sh   (root: a private Postfix on 127.0.0.11-20:25)
#   tests/e2e/listen.sh    (root: Postfix sending to `tlscheck listen` on 127.0.0.40:2525)
# Every step runs even if an earlier one failed (the end-to-end test needs
# the build); a summary follows, and the exit code is 1 if any step failed.
# Under sudo the cargo steps run as the invoking user, so target/ stays theirs.
#
# Environment: TEST_SKIP_E2E=1 skips the end-to-end tests. Without root they
# are skipped too, except under CI=true, where that is a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if ((EUID != 0)) && [[ ${TEST_NO_SUDO:-0} != 1 ]]; then
    if command -v sudo >/dev/null; then
        echo "scripts/test.sh: needs root for Debian packages and the end-to-end tests; asking sudo" >&2
        exec sudo --preserve-env=CI,TEST_SKIP_E2E,CARGO_TARGET_DIR,TEST_NO_SUDO -- "$ROOT/scripts/test.sh" "$@"
    fi
    echo "scripts/test.sh: not root and no sudo: run it as root (su -c scripts/test.sh) for the" \
        "Debian packages and the end-to-end tests; going on without root" >&2
fi
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"

DEBS=(postfix openssl libssl-dev pkg-config jq gcc libc6-dev ca-certificates dnsmasq-base bind9-dnsutils nsd ldnsutils tmux perl make)

STEP_NAMES=()
STEP_RESULTS=()
any_failed=0

now_ms() { date +%s%3N; }

# Runs "$@" as step $1 and records its result and duration.
step() {
    local name=$1 start rc=0 secs
    shift
    printf '\n=== %s: %s\n' "$name" "$*"
    start=$(now_ms)
    "$@" || rc=$?
    secs=$(awk -v ms="$(($(now_ms) - start))" 'BEGIN { printf "%.1f", ms / 1000 }')
    STEP_NAMES+=("$name")
    if ((rc == 0)); then
        STEP_RESULTS+=("ok        ${secs}s")
        printf '=== %s: ok (%ss)\n' "$name" "$secs"
    else
        STEP_RESULTS+=("FAILED    ${secs}s (exit $rc)")
        printf '=== %s: FAILED with exit code %s (%ss)\n' "$name" "$rc" "$secs" >&2
        any_failed=1
    fi
    return "$rc"
}

skip() {
    STEP_NAMES+=("$1")
    STEP_RESULTS+=("skipped   ($2)")
    printf '\n=== %s: skipped (%s)\n' "$1" "$2"
}

summary() {
    local i
    printf '\n=== summary\n'
    for i in "${!STEP_NAMES[@]}"; do
        printf '  %-10s %s\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}"
    done
    if ((any_failed)); then
        echo "scripts/test.sh: FAILED" >&2
        exit 1
    fi
    echo "scripts/test.sh: all steps passed"
}

# Under sudo: run cargo as the user who called sudo, with their toolchain.
CARGO_USER=""
if ((EUID == 0)) && [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
    CARGO_USER=$SUDO_USER
    user_home=$(getent passwd "$CARGO_USER" | cut -d: -f6)
    PATH=$user_home/.cargo/bin:$PATH
fi
# sudo's secure_path and CI shells often lack ~/.cargo/bin.
if ! command -v cargo >/dev/null && [[ -x $HOME/.cargo/bin/cargo ]]; then
    PATH=$HOME/.cargo/bin:$PATH
fi
export PATH

as_user() {
    if [[ -n $CARGO_USER ]]; then
        sudo -u "$CARGO_USER" -H env "PATH=$PATH" "$@"
    else
        "$@"
    fi
}

setup() {
    if ((EUID == 0)); then
        debs_ensure "${DEBS[@]}"
    else
        local missing
        missing=$(debs_missing "${DEBS[@]}" | tr '\n' ' ')
        if [[ -n $missing ]]; then
            echo "missing Debian packages: $missing(run scripts/test.sh as root)" >&2
            return 1
        fi
    fi
    if ! as_user cargo --version; then
        echo "cargo not found: install a Rust toolchain (rustup) first" >&2
        return 1
    fi
    # clippy and rustfmt come with rustup's default profile, not the minimal one.
    if ! as_user cargo clippy --version || ! as_user cargo fmt --version; then
        as_user rustup component add clippy rustfmt
        as_user cargo clippy --version
        as_user cargo fmt --version
    fi
}

step setup setup || summary

step fmt as_user cargo fmt --all -- --check || true
step clippy as_user cargo clippy --all-targets -- -D warnings || true
step test as_user cargo test --all-targets || true
build_ok=1
step build as_user cargo build --bin tlscheck || build_ok=0

# Runs end-to-end script $2 as step $1, or says why it cannot run.
e2e() {
    local name=$1 script=$2
    if [[ ${TEST_SKIP_E2E:-0} == 1 ]]; then
        skip "$name" "TEST_SKIP_E2E=1"
    elif ((EUID != 0)); then
        if [[ ${CI:-} == true ]]; then
            step "$name" false || true
            echo "the end-to-end test $script needs root (CI=true)" >&2
        else
            skip "$name" "needs root: run scripts/test.sh as root"
        fi
    elif ((build_ok == 0)); then
        skip "$name" "build failed"
        any_failed=1
    else
        local target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
        step "$name" env TLSCHECK="$target_dir/debug/tlscheck" "$script" || true
    fi
}

e2e e2e tests/e2e/postfix.sh
e2e e2e-listen tests/e2e/listen.sh

summary
