#!/usr/bin/env bash
# End-to-end test: `tlscheck listen` with a real Postfix as the *sender*.
#
# For each case it starts `tlscheck listen --once --bind 127.0.0.40:2525
# --format json`, then a private Postfix instance (its own config, queue and
# log under a temp dir; /etc/postfix is neither read nor changed; no smtpd
# listener at all) whose smtp client relays everything to that listener
# (`relayhost = [127.0.0.40]:2525`, `smtp_tls_security_level = may`) with
# `smtp_tls_protocols` restricted, injects one message with `sendmail -C`,
# and compares tlscheck's JSON verdict and exit code with what Postfix was
# limited to. Postfix's own mail log must tell the same story (TLS
# established, or the handshake lost). Loopback only; the message is
# refused by the listener and never delivered anywhere.
#
# Run as root:  tests/e2e/listen.sh
# Environment:
#   TLSCHECK=PATH   binary under test [default: target/debug/tlscheck, built
#                   with `cargo build` if missing]
#   E2E_KEEP=1      keep the work directory (logs, JSON) and print its path
#   E2E_LISTEN_ADDR=127.0.0.40  the listener's loopback address
# Ends with the line "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"
# shellcheck source=scripts/lib/postfix.sh
source "$ROOT/scripts/lib/postfix.sh"
# shellcheck source=scripts/lib/postfix-conf.sh
source "$ROOT/scripts/lib/postfix-conf.sh"

ADDR=${E2E_LISTEN_ADDR:-127.0.0.40}
PORT=2525
KEEP=${E2E_KEEP:-0}
LOCK_FILE=/run/lock/tlscheck-e2e-listen.lock
TMP_PREFIX=/tmp/tlscheck-e2e-listen.
# Bounds: how long the listener waits for Postfix's session, and how long
# the listener may run in all.
WAIT_SECS=60
LISTEN_TIMEOUT=90
# OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; the legacy
# cases lower it for Postfix's client, as an old sender effectively has it.
LEGACY_CIPHERS=aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0

# The cases. level: smtp_tls_security_level. protocols: smtp_tls_protocols
# ("-": none set). Expected from tlscheck: verdict, highest version,
# offered versions (comma-separated; "-": no ClientHello), handshake result,
# exit code. Without supported_versions (a client capped at TLS 1.2 or
# below sends none) the hello states only its highest version
# (client_version); which lower ones it would accept is not established,
# so the offered list holds that one version.
CASES=(
    # name       level protocols           verdict highest offered      handshake          exit
    "tls10       may   >=TLSv1,<=TLSv1     fail    1.0     1.0          closed_legacy_only 1"
    "tls10_11    may   <=TLSv1.1           fail    1.1     1.1          closed_legacy_only 1"
    "tls12       may   >=TLSv1.2,<=TLSv1.2 pass    1.2     1.2          completed          0"
    "tls12_13    may   >=TLSv1.2           pass    1.3     1.2,1.3      completed          0"
    "no_tls      none  -                   fail    -       -            not_reached        1"
)

passed=0
failed=0

if ((EUID != 0)); then
    die "run as root (Postfix drops privileges to the postfix user)"
fi


cleanup() {
    local rc=$? dir
    if [[ -n ${LISTEN_PID:-} ]]; then
        kill "$LISTEN_PID" 2>/dev/null || true
    fi
    if [[ -n ${WORK:-} && -d $WORK ]]; then
        for dir in "$WORK"/*/etc; do
            stop_instance "$dir"
        done
        if ((KEEP == 1)); then
            echo "E2E_KEEP=1: logs and JSON kept in $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    return "$rc"
}

mkdir -p "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
flock -w 120 9 || die "another run holds $LOCK_FILE"

debs_ensure postfix openssl jq

for stale in "$TMP_PREFIX"*; do
    [[ -d $stale ]] || continue
    log "removing what an earlier run left in $stale"
    for dir in "$stale"/*/etc; do
        stop_instance "$dir"
    done
    rm -rf "$stale"
done

if [[ -z ${TLSCHECK:-} ]]; then
    TLSCHECK=$ROOT/target/debug/tlscheck
    if [[ ! -x $TLSCHECK ]]; then
        log "building tlscheck (cargo build)"
        (cd "$ROOT" && cargo build --bin tlscheck)
    fi
fi
[[ -x $TLSCHECK ]] || die "tlscheck binary not found or not executable: $TLSCHECK"

# shellcheck disable=SC2016 # $1 and $2 expand in the inner bash.
if timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$ADDR" "$PORT" 2>/dev/null; then
    die "$ADDR:$PORT already accepts connections; stop whatever listens there"
fi

WORK=$(mktemp -d "${TMP_PREFIX}XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
chmod 755 "$WORK"

# Writes the private instance for case $1 into $WORK/$1: sender only, no
# smtpd. $2 is smtp_tls_security_level, $3 smtp_tls_protocols ("-": unset).
make_instance() {
    local dir=$WORK/$1 level=$2 protos=$3
    mkdir -p "$dir/etc" "$dir/spool" "$dir/data" "$dir/log"
    chown postfix "$dir/data"
    {
        postfix_main_cf "$dir" tests/e2e/listen.sh "sender-$1.e2e.test" e2e.test loopback-only
        cat <<EOF
relayhost = [$ADDR]:$PORT
# The listener refuses the message with a 550; the bounce to the sender
# would go to the listener again. Discard it instead.
transport_maps = inline:{ e2e.test=discard: }
smtp_tls_security_level = $level
smtp_tls_loglevel = 1
tls_medium_cipherlist = $LEGACY_CIPHERS
EOF
    } >"$dir/etc/main.cf"
    if [[ $protos != - ]]; then
        echo "smtp_tls_protocols = $protos" >>"$dir/etc/main.cf"
    fi
    {
        echo '# Sending only: no smtpd.'
        postfix_services sender
    } >"$dir/etc/master.cf"
}

# One row of the result table, counting the check: $1 check, $2 expected,
# $3 got.
compare() {
    local status=ok
    if [[ $2 == "$3" ]]; then
        passed=$((passed + 1))
    else
        status=MISMATCH
        failed=$((failed + 1))
    fi
    printf '%-10s %-16s %-20s %-20s %s\n' "$name" "$1" "$2" "${3:0:20}" "$status"
}

# jq program: the compared fields of tlscheck's JSON document, one per line.
# shellcheck disable=SC2016
JQ_FIELDS='
  def show: if . == null then "-" else tostring end;
  .verdict,
  (.client_hello.highest_version | show),
  (.client_hello.offered_versions | if . == null then "-" else join(",") end),
  .handshake.result,
  (.sender.starttls | show),
  (.sender.ehlo_name | show),
  (.exit_code | show)'

log "tlscheck: $TLSCHECK listen --once --bind $ADDR:$PORT --format json"
log "Postfix $(postconf -d -h mail_version) as the sender, one private instance per case"
printf '%-10s %-16s %-20s %-20s %s\n' CASE CHECK EXPECTED TLSCHECK RESULT
for spec in "${CASES[@]}"; do
    read -r name level protos want_verdict want_highest want_offered want_handshake want_exit <<<"$spec"
    dir=$WORK/$name
    make_instance "$name" "$level" "$protos"
    json=$dir/listen.json
    rc=0
    timeout "$LISTEN_TIMEOUT" "$TLSCHECK" listen --once --bind "$ADDR:$PORT" \
        --hostname listener.e2e.test --format json --wait "$WAIT_SECS" --timeout 20 \
        >"$json" 2>"$dir/listen.err" </dev/null 9>&- &
    LISTEN_PID=$!
    # Wait (bounded) until it accepts connections.
    # shellcheck disable=SC2016
    for ((i = 0; i < 50; i++)); do
        timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$ADDR" "$PORT" 2>/dev/null && break
        sleep 0.1
    done
    # That probe was a session without a command: the listener ignores it.
    postfix -c "$dir/etc" check
    if ! postfix -c "$dir/etc" start 9>&- >/dev/null 2>&1; then
        tail -n 20 "$dir/log/maillog" >&2 2>/dev/null || true
        die "postfix -c $dir/etc start failed"
    fi
    printf 'Subject: tlscheck listen e2e %s\n\nThis message is refused by the listener.\n' "$name" |
        sendmail -C "$dir/etc" -f "sender@e2e.test" "test@listen.e2e.test"
    wait "$LISTEN_PID" || rc=$?
    LISTEN_PID=""
    stop_instance "$dir/etc"

    fields=()
    if [[ -s $json ]] && mapfile -t fields < <(jq -r "$JQ_FIELDS" "$json" 2>/dev/null) &&
        ((${#fields[@]} == 7)); then
        compare verdict "$want_verdict" "${fields[0]}"
        compare highest "$want_highest" "${fields[1]}"
        compare offered "$want_offered" "${fields[2]}"
        compare handshake "$want_handshake" "${fields[3]}"
        want_starttls=true
        [[ $level == none ]] && want_starttls=false
        compare starttls "$want_starttls" "${fields[4]}"
        compare ehlo_name "sender-$name.e2e.test" "${fields[5]}"
        compare json_exit "$want_exit" "${fields[6]}"
    else
        compare json "one JSON document" "unreadable"
        head -n 5 "$dir/listen.err" >&2
    fi
    compare exit_code "$want_exit" "$rc"

    # Postfix's side of the story, from its own log.
    maillog=$dir/log/maillog
    if [[ $want_handshake == completed ]]; then
        seen=$(grep -oE "TLS connection established to [^ ]+: TLSv1\.[0-9]" "$maillog" | head -n 1 | awk '{print $NF}' || true)
        want=TLSv$want_highest
        compare postfix_log "$want" "${seen:-nothing}"
    elif [[ $want_handshake == closed_legacy_only ]]; then
        seen=nothing
        grep -qE "SSL_connect error|lost connection|TLS handshake" "$maillog" 2>/dev/null && seen=handshake_lost
        compare postfix_log handshake_lost "$seen"
    else
        seen=nothing
        grep -q "Must issue a STARTTLS command first" "$maillog" 2>/dev/null && seen=530_logged
        compare postfix_log 530_logged "$seen"
    fi
done

((failed == 0)) || echo "listener output and Postfix logs in $WORK (kept with E2E_KEEP=1)"
echo "$passed passed, $failed failed"
((failed == 0))
