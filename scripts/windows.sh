#!/usr/bin/env bash
# tlscheck.exe for Windows, built and tested on Debian 12.
#
#   scripts/windows.sh build   installs what it needs, builds the release exe;
#                              the last line printed is the exe's path
#   scripts/windows.sh test    builds it if needed, then runs the Wine smoke
#                              suite (tests/e2e/windows.sh) comparing the exe
#                              with the Linux build against the same servers
#
# Why this way: rustup cannot add Windows targets on these machines, but
# Debian's own toolchain can. `rustc-web` (1.96) with `rust-web-src` and
# `cargo-web`, plus the MinGW-w64 cross gcc, build std from source for Rust's
# Tier-3 target x86_64-win7-windows-gnu (-Zbuild-std, which needs
# RUSTC_BOOTSTRAP=1 on a stable compiler). That target, not
# x86_64-pc-windows-gnu, because the latter's std imports ProcessPrng from
# bcryptprimitives.dll (Windows 10 / Server 2016 and later): Windows Server
# 2012 R2, still under many Exchange 2013/2016 servers, and Debian's Wine 8.0
# lack it. The win7 target's exe imports only system DLLs (kernel32,
# advapi32, ntdll, ws2_32, bcrypt, iphlpapi, oleaut32, msvcrt): one file to
# hand out. rustls uses its `ring` provider, so no NASM or CMake is needed.
#
# Needs root for the Debian packages the first time (apt-get install).
# Environment:
#   WIN_TARGET_DIR=DIR   cargo's target dir for the Windows build
#                        [default: target/windows, apart from the Linux build
#                        because Debian's rustc is another compiler version]
#   TLSCHECK=PATH        the Linux build the test compares with
#                        [default: target/debug/tlscheck, built if missing]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"

TRIPLE=x86_64-win7-windows-gnu
TRIPLE_ENV=${TRIPLE//-/_}
TARGET_DIR=${WIN_TARGET_DIR:-$ROOT/target/windows}
EXE=$TARGET_DIR/$TRIPLE/release/tlscheck.exe
BUILD_DEBS=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64)
TEST_DEBS=(wine wine64 postfix openssl jq dnsmasq-base bind9-dnsutils python3 iproute2 util-linux)

usage() {
    echo "usage: scripts/windows.sh build|test" >&2
    exit 2
}

# Debian's cargo and rustc (rustc-web, cargo-web) in /usr/bin, whatever
# rustup puts first on PATH; the MinGW gcc links and compiles C (ring).
windows_env() {
    export PATH=/usr/bin:$PATH
    export RUSTC=/usr/bin/rustc
    export RUSTC_BOOTSTRAP=1
    export CARGO_TARGET_DIR=$TARGET_DIR
    export "CARGO_TARGET_${TRIPLE_ENV^^}_LINKER=x86_64-w64-mingw32-gcc"
    export "CC_${TRIPLE_ENV}=x86_64-w64-mingw32-gcc"
    export "AR_${TRIPLE_ENV}=x86_64-w64-mingw32-ar"
    # rustup's proxies read these; Debian's cargo must not be redirected.
    unset RUSTUP_TOOLCHAIN CARGO_HOME_OVERRIDE
}

build() {
    debs_ensure "${BUILD_DEBS[@]}"
    windows_env
    echo "==> $(/usr/bin/cargo --version), $(/usr/bin/rustc --version)" >&2
    # --locked: the exe is built from exactly the dependencies in Cargo.lock
    # (std's own come from rust-web-src's lock file).
    /usr/bin/cargo build --release --locked --bin tlscheck \
        -Zbuild-std=std,panic_abort --target "$TRIPLE" >&2
    [[ -f $EXE ]] || {
        echo "error: the build finished without $EXE" >&2
        exit 1
    }
    local dlls
    dlls=$(x86_64-w64-mingw32-objdump -p "$EXE" | awk '/DLL Name:/ { print $3 }' | tr A-Z a-z | sort -u | tr '\n' ' ')
    echo "==> $(du -h "$EXE" | cut -f1) imports: $dlls" >&2
    echo "$EXE"
}

case ${1:-} in
    build) build ;;
    test)
        debs_ensure "${BUILD_DEBS[@]}" "${TEST_DEBS[@]}"
        exe=$(build | tail -n 1)
        WIN_EXE=$exe exec "$ROOT/tests/e2e/windows.sh"
        ;;
    *) usage ;;
esac
