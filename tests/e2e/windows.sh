#!/usr/bin/env bash
# Wine smoke suite: tlscheck.exe (the Windows build) against real servers,
# compared with the Linux build run the same way. Called by
# `scripts/windows.sh test`, which builds the exe first.
#
# Every comparison runs both builds with the same arguments (Windows paths
# as Z:\... for the exe) and compares stdout, with times masked (N ms,
# *_ms, started_at), and the exit code. Sections:
#   basics       --version, completions powershell, usage errors
#   explain      Office 365 / Exchange error texts, text and JSON
#   schannel     every fixture, text/markdown/json, Z:\ paths and stdin
#   local        schannel --local under Wine: the fixture cases written into
#                Wine's registry (wine regedit /s, wine reg add), compared
#                with the file audit of the same .reg; bad input
#   exchange     OpenSSL SMTP servers (tests/e2e/exchange_smtp.py): a
#                TLS-1.0-only Exchange-style server, a modern one, no
#                STARTTLS, --ca-file Z:\..., -i Z:\...
#   listen       listen --once with openssl s_client as the sender
#   console      colour: off when redirected, NO_COLOR, --color always;
#                Ctrl-C: partial report and exit 130
#   resolver     the system resolver is described from Wine's adapters
#                (inside a network namespace of our own: nothing leaves)
#   postfix      tests/e2e/postfix.sh with the exe as TLSCHECK through a
#                wrapper that also runs the Linux build and compares: the
#                ten Postfix listeners by address, then as domains through
#                dnsmasq (--resolver)
#
# Run as root: WIN_EXE=path/to/tlscheck.exe tests/e2e/windows.sh
# Environment:
#   WIN_EXE=PATH        the exe under test (required)
#   TLSCHECK=PATH       the Linux build [default: target/debug/tlscheck, built if missing]
#   WIN_SECTIONS="..."  only these sections [default: all]
#   WIN_KEEP=1          keep the work directory (outputs, Wine prefix)
#   WIN_NET=127.0.16    the loopback /24 of the test servers (.51 to .56, port 2525)
# Ends with "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"
# shellcheck source=scripts/lib/postfix.sh
source "$ROOT/scripts/lib/postfix.sh"

[[ -n ${WIN_EXE:-} && -f $WIN_EXE ]] || die "WIN_EXE must name the tlscheck.exe to test"
((EUID == 0)) || die "run as root (Postfix, network namespaces)"
SECTIONS=${WIN_SECTIONS:-basics explain schannel local exchange listen console resolver postfix}
# Exchange-style servers on $NET.51-53, listen on .54, Ctrl-C servers .55-.56,
# port 2525; a /24 of loopback of its own, apart from other test servers.
NET=${WIN_NET:-127.0.16}
FIXTURES=$ROOT/tests/fixtures/schannel
SCHANNEL_KEY='HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL'

debs_ensure wine wine64 openssl jq postfix dnsmasq-base bind9-dnsutils iproute2 util-linux

if [[ -z ${TLSCHECK:-} ]]; then
    TLSCHECK=$ROOT/target/debug/tlscheck
    [[ -x $TLSCHECK ]] || (cd "$ROOT" && cargo build --bin tlscheck)
fi
LINUX=$TLSCHECK

WORK=$(mktemp -d /tmp/tlscheck-win.XXXXXX)
PIDS=()
cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    WINEPREFIX=$WORK/wine wineserver -k 2>/dev/null || true
    ip netns del tlscheck-win 2>/dev/null || true
    if [[ ${WIN_KEEP:-0} == 1 ]]; then
        echo "WIN_KEEP=1: outputs in $WORK"
    else
        rm -rf "$WORK"
    fi
    return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A set-up step that fails ends the suite (set -e): say which.
trap 'echo "error: tests/e2e/windows.sh line $LINENO failed: $BASH_COMMAND" >&2' ERR
mkdir -p "$WORK/out"

export WINEPREFIX=$WORK/wine WINEDEBUG=-all
# No Mono or Gecko download prompts: the exe needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
log "Wine prefix in $WINEPREFIX ($(wine --version))"
wineboot -i >/dev/null 2>&1
wine() { command wine "$@"; }
win() { wine "$WIN_EXE" "$@"; }

passed=0
failed=0
result() {
    if [[ $2 == ok* ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    printf '%-10s %-58s %s\n' "$SECTION" "${1:0:58}" "$2"
}

# Windows form of a Linux path: Z:\tmp\x (Wine maps Z: to /).
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

# Times and other run-dependent figures, masked for comparison.
mask() {
    sed -E -e 's/\r$//' -e 's/^Usage: tlscheck\.exe /Usage: tlscheck /' \
        -e 's/[0-9]+(\.[0-9]+)? ?ms\b/N ms/g' \
        -e 's/"([a-z_]*_ms)": ?[0-9]+/"\1": 0/g' \
        -e 's/"(started_at|finished_at|generated_at)": ?"[^"]*"/"\1": ""/g' \
        -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/TIME/g' \
        -e 's/[0-9]+(\.[0-9]+)?s elapsed/Ns elapsed/g' \
        -e 's/[0-9]+ days? left/N days left/g' \
        -e 's/"days_left": ?-?[0-9]+/"days_left": 0/g' "$@"
}

# pair NAME [ARGS...]: runs both builds; an argument "path:/x" becomes /x for
# Linux and Z:\x for the exe, "stdin:/x" feeds /x to standard input.
# Compares masked stdout and exit codes.
pair() {
    local name=$1 arg in=/dev/null rl=0 rw=0
    shift
    local la=() wa=()
    for arg in "$@"; do
        case $arg in
            path:*) la+=("${arg#path:}") wa+=("$(winpath "${arg#path:}")") ;;
            stdin:*) in=${arg#stdin:} ;;
            *) la+=("$arg") wa+=("$arg") ;;
        esac
    done
    local base=$WORK/out/${SECTION}-${name//[^A-Za-z0-9._-]/_}
    "$LINUX" "${la[@]}" <"$in" >"$base.linux" 2>"$base.linux.err" || rl=$?
    win "${wa[@]}" <"$in" >"$base.wine" 2>"$base.wine.err" || rw=$?
    compare_files "$name" "$base.linux" "$rl" "$base.wine" "$rw"
}

compare_files() {
    local name=$1 lf=$2 rl=$3 wf=$4 rw=$5
    if [[ $rl != "$rw" ]]; then
        result "$name" "DIFF exit codes: linux $rl, wine $rw"
        { head -n 5 "$wf.err" 2>/dev/null | sed 's/^/    wine stderr: /'; } || true
    elif ! diff -u <(mask "$lf") <(mask "$wf") >"$wf.diff"; then
        result "$name" "DIFF output (exit $rl both): $wf.diff"
        { head -n 12 "$wf.diff" | sed 's/^/    /'; } || true
    elif [[ ! -s $lf && ! -s $wf ]]; then
        # Errors go to stderr, in the OS's words (paths, os error texts):
        # both must say something.
        if [[ -s $lf.err && -s $wf.err ]]; then
            result "$name" "ok (exit $rl, message on stderr)"
        else
            result "$name" "DIFF: no output at all (exit $rl)"
        fi
    else
        result "$name" "ok (exit $rl)"
    fi
}

# expect NAME CONDITION...: a check of the exe alone.
expect() {
    local name=$1
    shift
    if "$@"; then result "$name" ok; else result "$name" FAILED; fi
}

start_server() { # NAME ADDR:PORT MODE
    # shellcheck disable=SC2016 # $1 expands in the inner bash.
    if timeout 3 bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1##*:}"' _ "$2" 2>/dev/null; then
        die "$2 already accepts connections (another test's server?); set WIN_NET to a free 127.x.y"
    fi
    # Debian's python3 (a pyenv shim would fork, and $! would not be the server).
    /usr/bin/python3 "$ROOT/tests/e2e/exchange_smtp.py" --bind "$2" --tls "$3" \
        --cert "$WORK/pki/server.crt" --key "$WORK/pki/server.key" \
        >"$WORK/out/server-$1.log" 2>&1 &
    PIDS+=($!)
    local i
    for ((i = 0; i < 50; i++)); do
        grep -qx ready "$WORK/out/server-$1.log" 2>/dev/null && return 0
        sleep 0.1
    done
    die "server $1 on $2 did not start: $(cat "$WORK/out/server-$1.log")"
}

has() { [[ $SECTIONS == *"$1"* ]]; }

# Every process below $1, by id.
descendants() {
    local c
    for c in $(pgrep -P "$1" || true); do
        echo "$c"
        descendants "$c"
    done
}

log "test CA and certificates in $WORK/pki"
mkdir -p "$WORK/pki"
(
    cd "$WORK/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -keyout ca.key -out ca.crt \
        -subj "/CN=tlscheck Wine test CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr \
        -subj "/CN=ex2013.contoso.test" 2>/dev/null
    printf '%s\n' 'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' \
        "subjectAltName=DNS:ex2013.contoso.test,IP:$NET.51,IP:$NET.52,IP:$NET.53,IP:$NET.54" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
        -days 30 -extfile server.ext -out server.crt 2>/dev/null
)

# --- basics ------------------------------------------------------------------
SECTION=basics
if has basics; then
    pair version --version
    pair completions-powershell completions powershell
    expect "completions powershell registers tlscheck and tlscheck.exe" \
        grep -q "Register-ArgumentCompleter -Native -CommandName 'tlscheck', 'tlscheck.exe'" \
        "$WORK/out/basics-completions-powershell.wine"
    pair usage-error --no-such-flag
    pair schannel-help schannel --help
fi

# --- explain -----------------------------------------------------------------
SECTION=explain
if has explain; then
    pair socket-error explain "421 4.4.2 Connection dropped due to SocketError"
    pair socket-error-json explain --format json "421 4.4.2 Connection dropped due to SocketError"
    pair starttls-required explain "451 5.7.3 STARTTLS is required to send mail"
    pair no-match explain "nothing tlscheck knows"
    printf '%s\n' "450 4.7.320 Certificate validation failed" >"$WORK/explain.txt"
    pair stdin explain - "stdin:$WORK/explain.txt"
fi

# --- schannel on the fixtures ------------------------------------------------
SECTION=schannel
if has schannel; then
    for f in "$FIXTURES"/*; do
        [[ $f == *.py ]] && continue
        n=$(basename "$f")
        pair "$n text" schannel "path:$f" --os 2019
        pair "$n json" schannel --format json "path:$f"
        pair "$n markdown" schannel --format markdown "path:$f" --os 2022
    done
    pair "stdin tls12-client-disabled" schannel - "stdin:$FIXTURES/tls12-client-disabled.reg"
    pair "missing file" schannel "path:$WORK/does-not-exist.reg"
fi

# --- schannel --local under Wine ---------------------------------------------
SECTION=local
# Empties the keys the audit reads in Wine's registry.
reset_registry() {
    wine reg delete "$SCHANNEL_KEY" /f >/dev/null 2>&1 || true
    wine reg delete 'HKLM\SOFTWARE\Microsoft\.NETFramework' /f >/dev/null 2>&1 || true
    wine reg delete 'HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework' /f >/dev/null 2>&1 || true
    wine reg add "$SCHANNEL_KEY" /f >/dev/null
}

# local_vs_file NAME REG_FILE OS FORMAT: the live audit of what Wine's
# registry holds now against the file audit of REG_FILE. The source line
# (File: / "source") and line numbers (there is no file) are masked.
local_vs_file() {
    local name=$1 reg=$2 os=$3 format=$4 rl=0 rw=0
    local base=$WORK/out/local-${name//[^A-Za-z0-9._-]/_}-$format
    "$LINUX" schannel --format "$format" --os "$os" "$reg" >"$base.linux" 2>"$base.linux.err" || rl=$?
    win schannel --local --format "$format" --os "$os" >"$base.wine" 2>"$base.wine.err" || rw=$?
    # dotnet-not-in-export (and the ".NET Framework:" line): a file without
    # .NET keys was not exported with them; a live registry without them has
    # no .NET Framework, and says so.
    # nine-digit-dword is about a line of a file, which regedit (Wine's too)
    # refuses to import: the live registry never has it, so it is left out
    # of the file's side, with the findings count it changes.
    for f in "$base.linux" "$base.wine"; do
        if [[ $format == json ]]; then
            jq -S 'del(.source) | walk(if type == "object" and has("lines") then .lines = [] else . end)
                | walk(if type == "object" and .id? == "dotnet-not-in-export"
                       then .summary = "" | .detail = "" else . end)
                | .findings |= map(select(.id != "nine-digit-dword"))' \
                "$f" >"$f.cmp" 2>&1 || cp "$f" "$f.cmp"
        else
            # A finding is "  SEVERITY id  title" and its indented lines;
            # "seen   line(s) N of the file" names lines a live registry has not.
            grep -vE '^(File: |\.NET Framework: (not in|no key))|^ +seen +lines? [0-9, ]+ of the file$' "$f" |
                awk '/^  (ERROR|WARN|INFO) |^[^ ]/ { skip = 0 }
                     /^  (INFO +dotnet-not-in-export|WARN +nine-digit-dword) / { skip = 1 }
                     !skip' >"$f.cmp" || true
        fi
    done
    cp "$base.wine.err" "$base.wine.cmp.err" 2>/dev/null || true
    compare_files "$name ($format, --os $os)" "$base.linux.cmp" "$rl" "$base.wine.cmp" "$rw"
}

# import_reg FILE: wine regedit /s, as UTF-16LE with BOM (what regedit
# writes) unless the file is REGEDIT4: Wine's regedit, like Windows', reads
# a version 5 file only in UTF-16.
import_reg() {
    local src=$1 dst=$WORK/import.reg
    if [[ $(head -c 2 "$src" | od -An -tx1) == " ff fe" ]] || head -c 8 "$src" | grep -q REGEDIT4; then
        cp "$src" "$dst"
    else
        { printf '\xff\xfe'; sed '1s/^\xEF\xBB\xBF//' "$src" | iconv -f utf-8 -t utf-16le; } >"$dst"
    fi
    wine regedit /s "$(winpath "$dst")" >/dev/null 2>&1
}

if has local; then
    log "schannel --local: fixtures imported into Wine's registry with wine regedit /s"
    for n in tls12-client-disabled tls12-server-disabled-by-default article-typo hardened-2022 \
        comma-key-only defaults-2019 regedit4-2012r2; do
        reset_registry
        import_reg "$FIXTURES/$n.reg" || result "$n: wine regedit /s" FAILED
        for fmt in text json; do
            local_vs_file "$n" "$FIXTURES/$n.reg" 2022 "$fmt"
        done
    done

    log "bad input written with wine reg add: REG_SZ and REG_BINARY where a DWORD belongs, TLS 1,2"
    reset_registry
    P="$SCHANNEL_KEY\\Protocols"
    wine reg add "$P\\TLS 1.2\\Client" /v Enabled /t REG_SZ /d 1 /f >/dev/null
    wine reg add "$P\\TLS 1.2\\Client" /v DisabledByDefault /t REG_BINARY /d 00 /f >/dev/null
    wine reg add "$P\\TLS 1,2\\Server" /v Enabled /t REG_DWORD /d 1 /f >/dev/null
    wine reg add "$P\\TLS 1.0\\Server" /v Enabled /t REG_QWORD /d 0 /f >/dev/null
    wine reg add 'HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319' /v SchUseStrongCrypto /t REG_SZ /d 1 /f >/dev/null
    S='[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL'
    printf '%s\r\n' 'Windows Registry Editor Version 5.00' '' "$S]" '' \
        "$S\\Protocols\\TLS 1.2\\Client]" '"Enabled"="1"' '"DisabledByDefault"=hex:00' '' \
        "$S\\Protocols\\TLS 1,2\\Server]" '"Enabled"=dword:00000001' '' \
        "$S\\Protocols\\TLS 1.0\\Server]" '"Enabled"=hex(b):00,00,00,00,00,00,00,00' '' \
        '[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]' '"SchUseStrongCrypto"="1"' \
        >"$WORK/bad-input.reg"
    for fmt in text json; do
        local_vs_file bad-input "$WORK/bad-input.reg" 2016 "$fmt"
    done
    expect "bad input: wrong-value-type and the TLS 1,2 typo are reported" \
        grep -q 'wrong-value-type' "$WORK/out/local-bad-input-json.wine"
    expect "bad input: TLS 1,2 reported" grep -q 'typo-key-tls-1-comma-2' "$WORK/out/local-bad-input-json.wine"

    log "the Windows version from the registry: Server 2022 (build 20348) without --os"
    reset_registry
    import_reg "$FIXTURES/hardened-2022.reg"
    CV='HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    wine reg add "$CV" /v InstallationType /t REG_SZ /d Server /f >/dev/null
    wine reg add "$CV" /v CurrentBuildNumber /t REG_SZ /d 20348 /f >/dev/null
    wine reg add "$CV" /v ProductName /t REG_SZ /d "Windows Server 2022 Standard" /f >/dev/null
    rc=0
    win schannel --local >"$WORK/out/local-detect.wine" 2>"$WORK/out/local-detect.wine.err" || rc=$?
    expect "detects Windows Server 2022 from the build number" \
        grep -q '^Defaults: Windows Server 2022$' "$WORK/out/local-detect.wine"
    expect "says where the defaults come from (stderr)" \
        grep -q 'detected from the build number' "$WORK/out/local-detect.wine.err"
    expect "hardened 2022: exit 0 as for the file" test "$rc" = 0
    rc=0
    "$LINUX" schannel --local >/dev/null 2>"$WORK/out/local-linux.err" || rc=$?
    expect "Linux: schannel --local exits 2 and names reg export" \
        bash -c "[[ $rc == 2 ]] && grep -q 'reg export' '$WORK/out/local-linux.err'"

    # Last: Wine cannot delete the denied key afterwards.
    log "access denied: a DACL that denies everyone on TLS 1.2\\Client (tests/e2e/deny_read.c)"
    reset_registry
    x86_64-w64-mingw32-gcc -municode -O2 -o "$WORK/deny_read.exe" "$ROOT/tests/e2e/deny_read.c" -ladvapi32
    K='SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client'
    wine reg add "HKLM\\$K" /v Enabled /t REG_DWORD /d 1 /f >/dev/null
    wine "$WORK/deny_read.exe" "$K"
    rc=0
    win schannel --local --os 2022 >"$WORK/out/local-denied.wine" 2>"$WORK/out/local-denied.wine.err" || rc=$?
    sed 's/^/    /' "$WORK/out/local-denied.wine.err"
    expect "access denied: exit 2, nothing on stdout" \
        bash -c "[[ $rc == 2 && ! -s '$WORK/out/local-denied.wine' ]]"
    expect "access denied: names the key" \
        grep -qF "access denied reading HKLM\\$K:" "$WORK/out/local-denied.wine.err"
fi

# --- Exchange-style OpenSSL servers ------------------------------------------
SECTION=exchange
if has exchange; then
    start_server tls10 "$NET.51:2525" tls10
    start_server modern "$NET.52:2525" modern
    start_server none "$NET.53:2525" none
    for s in "tls10 $NET.51" "modern $NET.52" "none $NET.53"; do
        read -r n a <<<"$s"
        pair "$n text" --host --timeout 5 --color never "$a:2525"
        pair "$n json" --host --timeout 5 --format json "$a:2525"
        pair "$n markdown" --host --timeout 5 --format markdown "$a:2525"
    done
    pair "tls10 --ca-file Z:\\" --host --timeout 5 --ca-file "path:$WORK/pki/ca.crt" "$NET.51:2525"
    printf '%s\n' "# targets" "$NET.51:2525" "$NET.52:2525" >"$WORK/targets.txt"
    pair "-i Z:\\targets.txt json" --host --timeout 5 --format json -i "path:$WORK/targets.txt"
    expect "--ca-file Z:\\...: the test CA is trusted (no untrusted-issuer)" \
        bash -c "! grep -q 'untrusted issuer' '$WORK/out/exchange-tls10_--ca-file_Z__.wine'"
fi

# --- listen --once with openssl s_client as the sender -----------------------
SECTION=listen
listen_pair() { # NAME S_CLIENT_VERSION_FLAG
    local name=$1 flag=$2 side rc base
    for side in linux wine; do
        base=$WORK/out/listen-$name
        rc=0
        if [[ $side == linux ]]; then
            "$LINUX" listen --once --bind "$NET.54:2525" --hostname listen.contoso.test \
                --cert "$WORK/pki/server.crt" --key "$WORK/pki/server.key" --format json --timeout 10 \
                >"$base.$side.raw" 2>"$base.$side.err" &
        else
            win listen --once --bind "$NET.54:2525" --hostname listen.contoso.test \
                --cert "$(winpath "$WORK/pki/server.crt")" --key "$(winpath "$WORK/pki/server.key")" \
                --format json --timeout 10 >"$base.$side.raw" 2>"$base.$side.err" &
        fi
        local pid=$! i
        for ((i = 0; i < 100; i++)); do
            grep -q 'listening on' "$base.$side.err" 2>/dev/null && break
            sleep 0.1
        done
        timeout 20 openssl s_client -starttls smtp -connect "$NET.54:2525" "$flag" \
            -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$base.$side.sclient" 2>&1 || true
        wait "$pid" || rc=$?
        echo "$rc" >"$base.$side.rc"
        # The sender's source port differs from run to run.
        jq -S . "$base.$side.raw" 2>/dev/null |
            sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g; s/"port": [0-9]+/"port": 0/' \
                >"$base.$side" || cp "$base.$side.raw" "$base.$side"
    done
    compare_files "$name" "$base.linux" "$(cat "$base.linux.rc")" "$base.wine" "$(cat "$base.wine.rc")"
    expect "$name: the exe printed where it listens" grep -q "listening on $NET.54:2525" "$base.wine.err"
}
if has listen; then
    listen_pair "sender TLS 1.2 (openssl -tls1_2)" -tls1_2
    listen_pair "sender TLS 1.0 only (openssl -tls1)" -tls1
fi

# --- console: colour and Ctrl-C ----------------------------------------------
SECTION=console
if has console; then
    win explain "421 4.4.2 Connection dropped due to SocketError" >"$WORK/out/color-redirected" 2>&1 || true
    expect "no colour when redirected" bash -c "! grep -q $'\\e\\[' '$WORK/out/color-redirected'"
    win explain --color always "421 4.4.2 Connection dropped due to SocketError" \
        >"$WORK/out/color-always" 2>&1 || true
    expect "--color always: escape codes" grep -q $'\e\[' "$WORK/out/color-always"
    # A terminal: script(1) gives the exe a pty, which Wine turns into a console.
    script -qec "wine '$WIN_EXE' explain '421 4.4.2 Connection dropped due to SocketError'" \
        /dev/null >"$WORK/out/color-tty" 2>&1 </dev/null || true
    expect "colour on a console (VT processing)" grep -q $'\e\[1m\|\e\[3[0-9]m' "$WORK/out/color-tty"
    NO_COLOR=1 script -qec "wine '$WIN_EXE' explain '421 4.4.2 Connection dropped due to SocketError'" \
        /dev/null >"$WORK/out/color-nocolor" 2>&1 </dev/null || true
    expect "NO_COLOR=1 on a console: no colour" \
        bash -c "! grep -q $'\\e\\[1m\\|\\e\\[3[0-9]m' '$WORK/out/color-nocolor'"

    # Ctrl-C: one server answers at once (TLS 1.0 only), one accepts and
    # never greets; after 4 s both builds get SIGINT (Wine turns it into
    # CTRL_C_EVENT) and must print the partial report and exit 130.
    start_server silent "$NET.55:2525" silent
    start_server ctrlc-tls10 "$NET.56:2525" tls10
    for side in linux wine; do
        rc=0
        if [[ $side == linux ]]; then
            "$LINUX" --host --timeout 30 "$NET.56:2525" "$NET.55:2525" \
                >"$WORK/out/ctrlc.$side" 2>"$WORK/out/ctrlc.$side.err" &
        else
            win --host --timeout 30 "$NET.56:2525" "$NET.55:2525" \
                >"$WORK/out/ctrlc.$side" 2>"$WORK/out/ctrlc.$side.err" &
        fi
        pid=$!
        sleep 4
        # The process running tlscheck is the job itself (Linux) or a
        # descendant of it (Wine's loader): signal it by id, nothing else.
        for p in "$pid" $(descendants "$pid"); do
            if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE 'tlscheck(\.exe)? '; then
                kill -INT "$p" 2>/dev/null || true
            fi
        done
        wait "$pid" || rc=$?
        echo "$rc" >"$WORK/out/ctrlc.$side.rc"
    done
    expect "Ctrl-C: exit 130 (wine)" test "$(cat "$WORK/out/ctrlc.wine.rc")" = 130
    expect "Ctrl-C: exit 130 (linux)" test "$(cat "$WORK/out/ctrlc.linux.rc")" = 130
    expect "Ctrl-C: the finished server's verdict is in the report" \
        grep -q "^FAIL $NET.56:2525: .*The server accepts only TLS 1.0/1.1" "$WORK/out/ctrlc.wine"
    expect "Ctrl-C: the silent server is reported as interrupted" \
        grep -q "interrupted" "$WORK/out/ctrlc.wine"
    compare_files "Ctrl-C partial report" "$WORK/out/ctrlc.linux" "$(cat "$WORK/out/ctrlc.linux.rc")" \
        "$WORK/out/ctrlc.wine" "$(cat "$WORK/out/ctrlc.wine.rc")"
fi

# --- the system resolver, described from Wine's adapters ---------------------
SECTION=resolver
if has resolver; then
    # A namespace with loopback only: the query to the system resolver
    # cannot leave the machine (it fails at once), but the report names it.
    ip netns add tlscheck-win
    ip netns exec tlscheck-win ip link set lo up
    rc=0
    ip netns exec tlscheck-win "$LINUX" --format json --timeout 2 contoso.test \
        >"$WORK/out/resolver.linux" 2>&1 || rc=$?
    ip netns exec tlscheck-win wine "$WIN_EXE" --format json --timeout 2 contoso.test \
        >"$WORK/out/resolver.wine" 2>&1 || rc=$?
    lr=$(jq -r '.targets[0].dns.resolver // empty' "$WORK/out/resolver.linux" 2>/dev/null || true)
    wr=$(jq -r '.targets[0].dns.resolver // empty' "$WORK/out/resolver.wine" 2>/dev/null || true)
    printf '    linux: %s\n    wine:  %s\n' "$lr" "$wr"
    expect "Linux names /etc/resolv.conf" bash -c "[[ '$lr' == 'system (/etc/resolv.conf: '* ]]"
    expect "Windows names the adapters, never resolv.conf" \
        bash -c "[[ '$wr' == 'system (DNS servers of the network adapters that are up'* ]]"
    ip netns del tlscheck-win
fi

# --- real Postfix, by address and as domains through dnsmasq -----------------
SECTION=postfix
if has postfix; then
    cmp_dir=$WORK/out/postfix
    mkdir -p "$cmp_dir"
    cat >"$WORK/pair.sh" <<'EOF'
#!/usr/bin/env bash
# TLSCHECK for tests/e2e/postfix.sh: runs the Linux build and the exe with the
# same arguments (JSON, as postfix.sh asks, and text), records whether they
# agree, and hands the exe's JSON and exit code to postfix.sh.
set -u
n=$(date +%s%N)
out=$CMP_DIR/$n
text=()
for a in "$@"; do [[ $a == json ]] && text+=(text) || text+=("$a"); done
"$LINUX" "$@" >"$out.linux.json" 2>/dev/null & pl=$!
wine "$WIN_EXE" "$@" >"$out.wine.json" 2>/dev/null & pw=$!
wait $pl; rl=$?; wait $pw; rw=$?
"$LINUX" "${text[@]}" --color never >"$out.linux.txt" 2>/dev/null & pl=$!
wine "$WIN_EXE" "${text[@]}" --color never >"$out.wine.txt" 2>/dev/null & pw=$!
wait $pl; tl=$?; wait $pw; tw=$?
echo "${*: -1} $rl $rw $tl $tw" >"$out.args"
cat "$out.wine.json"
exit "$rw"
EOF
    chmod +x "$WORK/pair.sh"
    rc=0
    CMP_DIR=$cmp_dir LINUX=$LINUX WIN_EXE=$WIN_EXE TLSCHECK=$WORK/pair.sh \
        TLSCHECK_FLAGS="--host --format json --timeout 5" \
        "$ROOT/tests/e2e/postfix.sh" >"$WORK/out/postfix.log" 2>&1 || rc=$?
    grep -E '^(LISTENER|[a-z0-9_.]+ +(TLS|starttls|req-tls|exit))' "$WORK/out/postfix.log" | grep -v ' ok$' | head -20 || true
    tail -n 1 "$WORK/out/postfix.log"
    expect "postfix.sh with the exe: every verdict matches OpenSSL's ground truth" test "$rc" = 0
    for f in "$cmp_dir"/*.args; do
        [[ -e $f ]] || continue
        b=${f%.args}
        read -r target rl rw tl tw <"$f"
        compare_files "$target json" "$b.linux.json" "$rl" "$b.wine.json" "$rw"
        compare_files "$target text" "$b.linux.txt" "$tl" "$b.wine.txt" "$tw"
    done
fi

echo "$passed passed, $failed failed"
((failed == 0))
