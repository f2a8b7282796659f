#!/usr/bin/env bash
# End-to-end test: tlscheck against a real Postfix.
#
# Starts a private Postfix instance (its own config, queue and log under a
# temp dir; /etc/postfix is neither read nor changed) with one smtpd listener
# per server behaviour, each on its own loopback address, port 25. For every
# listener it takes the ground truth from `openssl s_client` (one forced TLS
# version per connection) and from a plain SMTP dialogue (bash /dev/tcp:
# EHLO, MAIL FROM, STARTTLS), then runs tlscheck against the same address and
# compares every verdict. Loopback only; nothing leaves the host.
#
# Run as root:  tests/e2e/postfix.sh
# Environment:
#   TLSCHECK=PATH            binary under test [default: target/debug/tlscheck,
#                            built with `cargo build` if missing]
#   TLSCHECK_FLAGS="..."     flags before the address
#                            [default: --host --format json --timeout 5]
#   E2E_GROUND_TRUTH_ONLY=1  stop after the OpenSSL/SMTP ground truth
#   E2E_KEEP=1               leave Postfix running and print how to stop it
#                            (the next run stops it too)
#   E2E_NET=127.0.0          the /24 the listeners live in (.11 to .24)
#   TLSCHECK_E2E_DNS=0       skip the domain run (by default each listener is also
#                            checked as a domain through a
#                            test DNS zone (dnsmasq on $E2E_NET.30:53)
#   TLSCHECK_DNS_FLAGS="..." flags that point tlscheck at that resolver
#                            [default: --resolver $E2E_NET.30:53]
# Ends with the line "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"
# shellcheck source=scripts/lib/postfix.sh
source "$ROOT/scripts/lib/postfix.sh"
# shellcheck source=scripts/lib/postfix-conf.sh
source "$ROOT/scripts/lib/postfix-conf.sh"

NET=${E2E_NET:-127.0.0}
KEEP=${E2E_KEEP:-0}
GROUND_TRUTH_ONLY=${E2E_GROUND_TRUTH_ONLY:-0}
DNS_RUN=${TLSCHECK_E2E_DNS:-1}
DNS_ADDR=$NET.30
read -r -a TLSCHECK_ARGS <<<"${TLSCHECK_FLAGS:---host --format json --timeout 5}"
read -r -a TLSCHECK_DNS_ARGS <<<"${TLSCHECK_DNS_FLAGS:---resolver $DNS_ADDR:53}"
# One lock per machine: the listener addresses are fixed.
LOCK_FILE=/run/lock/tlscheck-e2e.lock
TMP_PREFIX=/tmp/tlscheck-e2e.
# Bounds: how long a listener may take to greet after start, and how long one
# openssl or tlscheck run may take.
WAIT_SECS=20
PROBE_TIMEOUT=10
TLSCHECK_TIMEOUT=60
VERSIONS=(1.0 1.1 1.2 1.3)
LEGACY_CIPHERS=aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH

# The listeners. protocols: the smtpd_tls_protocols range ("-": none set).
# accepts: the versions a handshake succeeds with ("-": none). level:
# smtpd_tls_security_level, or "broken" = may with a key file that cannot be
# loaded, so STARTTLS is answered 454. seclevel: the @SECLEVEL appended to
# tls_medium_cipherlist ("-": Postfix default).
#
# Postfix 3.7 on Debian 12 already runs OpenSSL at security level 0, so TLS
# 1.0/1.1 work without @SECLEVEL=0 (checked with s_client); the listeners that
# enable 1.0/1.1 still say so, in case a build or openssl.cnf raises the
# level. @SECLEVEL=1 makes them fail with alert internal_error ("no suitable
# signature algorithm": TLS < 1.2 signs with SHA-1), which tls10_seclevel1
# keeps as a behaviour of its own.
# smtpd uses the "medium" list for level may (smtpd_tls_ciphers) and encrypt
# (smtpd_tls_mandatory_ciphers); tls_high_cipherlist is never consulted here.
LISTENERS=(
    # name          octet protocols accepts          level   seclevel
    "tls10           11   1.0-1.0   1.0              may     0"
    "tls10_11        12   1.0-1.1   1.0,1.1          may     0"
    "tls12           13   1.2-1.2   1.2              may     -"
    "tls13           14   1.3-1.3   1.3              may     -"
    "tls12_13        15   1.2-1.3   1.2,1.3          may     -"
    "tls_all         16   1.0-1.3   1.0,1.1,1.2,1.3  may     0"
    "no_starttls     17   -         -                none    -"
    "encrypt         18   1.2-1.3   1.2,1.3          encrypt -"
    "starttls_454    19   -         -                broken  -"
    "tls10_seclevel1 20   1.0-1.1   -                may     1"
    # Restricted cipher lists (issue 14); extra options in CIPHER_OPTS.
    "ciphers_ecdsa   21   1.2-1.3   1.2,1.3          may     -"
    "ciphers_chacha  22   1.2-1.2   1.2              may     -"
    "ciphers_rsa_cbc 23   1.2-1.2   1.2              may     -"
    "ciphers_o365    24   1.2-1.2   1.2              may     -"
)

# The cipher listeners: their extra smtpd options ($WORK expands later),
# and whether Microsoft 365's documented suites can negotiate with them
# (checked against s_client offering exactly those suites).
declare -A CIPHER_OPTS=(
    [ciphers_ecdsa]="smtpd_tls_cert_file=@WORK@/pki/ecdsa.crt smtpd_tls_key_file=@WORK@/pki/ecdsa.key"
    [ciphers_chacha]="tls_medium_cipherlist=ECDHE-RSA-CHACHA20-POLY1305"
    [ciphers_rsa_cbc]="tls_medium_cipherlist=AES128-SHA:AES256-SHA"
    [ciphers_o365]="tls_medium_cipherlist=ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA"
)
declare -A CIPHER_M365=(
    [ciphers_ecdsa]=refused
    [ciphers_chacha]=refused
    [ciphers_rsa_cbc]=refused
    [ciphers_o365]=negotiated
)
CIPHER_NAMES=(ciphers_ecdsa ciphers_chacha ciphers_rsa_cbc ciphers_o365)
# Microsoft 365's eight TLS 1.2 suites in OpenSSL's names (src/proto/tls/profiles.rs).
M365_OPENSSL=ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:AES256-GCM-SHA384:AES128-GCM-SHA256

declare -A ADDR PROTOS ACCEPTS LEVEL SECLEVEL CONFIG OSSL_ID
NAMES=()
for spec in "${LISTENERS[@]}"; do
    read -r name octet protos accepts level seclevel <<<"$spec"
    NAMES+=("$name")
    ADDR[$name]=$NET.$octet
    PROTOS[$name]=$protos
    ACCEPTS[$name]=$accepts
    LEVEL[$name]=$level
    SECLEVEL[$name]=$seclevel
    case $level in
        none) CONFIG[$name]="security_level=none" ;;
        broken) CONFIG[$name]="key not loadable" ;;
        *) CONFIG[$name]="$protos $level" ;;
    esac
    [[ $seclevel == - ]] || CONFIG[$name]+=" @SECLEVEL=$seclevel"
done

passed=0
failed=0

if ((EUID != 0)); then
    die "run as root (Postfix binds port 25 and drops to the postfix user)"
fi

# --- set-up ------------------------------------------------------------------


cleanup() {
    local rc=$?
    if [[ -n ${DNS_PID:-} ]]; then
        kill "$DNS_PID" 2>/dev/null || true
    fi
    if [[ -n ${WORK:-} && -d $WORK ]]; then
        if ((KEEP == 1)); then
            echo "E2E_KEEP=1: Postfix still runs from $WORK (log: $WORK/log/maillog)"
            echo "stop it with: postfix -c $WORK/etc stop && rm -rf $WORK"
        else
            stop_instance "$WORK/etc"
            rm -rf "$WORK"
        fi
    fi
    return "$rc"
}

show_maillog() {
    echo "--- last lines of $WORK/log/maillog ---" >&2
    tail -n 30 "$WORK/log/maillog" >&2 2>/dev/null || true
}

mkdir -p "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
flock -w 120 9 || die "another e2e run holds $LOCK_FILE"

debs_ensure postfix openssl jq

# Instances left by an earlier run (E2E_KEEP=1, or a run that was killed).
# We hold the lock, so no other run is using them.
for stale in "$TMP_PREFIX"*; do
    [[ -d $stale ]] || continue
    log "stopping the instance left by an earlier run in $stale"
    stop_instance "$stale/etc"
    rm -rf "$stale"
done

WORK=$(mktemp -d "${TMP_PREFIX}XXXXXX")
trap cleanup EXIT
# Without these, bash dies on the signal and skips the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# The postfix user must reach the queue inside. The keys stay root-only:
# smtpd loads them before it drops privileges.
chmod 755 "$WORK"
mkdir -p "$WORK/etc" "$WORK/spool" "$WORK/data" "$WORK/log" "$WORK/pki" "$WORK/out"
# master.lock lives here, and Postfix insists that the postfix user owns it.
chown postfix "$WORK/data"

log "test CA and server certificate in $WORK/pki"
(
    cd "$WORK/pki"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
        -keyout ca.key -out ca.crt -subj "/CN=tlscheck e2e test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 \
        -keyout server.key -out server.csr -subj "/CN=mx.e2e.test" 2>/dev/null
    {
        echo 'basicConstraints=CA:FALSE'
        echo 'keyUsage=critical,digitalSignature,keyEncipherment'
        echo 'extendedKeyUsage=serverAuth'
        printf 'subjectAltName=DNS:mx.e2e.test,DNS:*.e2e.test'
        for name in "${NAMES[@]}"; do
            printf ',IP:%s' "${ADDR[$name]}"
        done
        echo
    } >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -sha256 -days 2 -extfile server.ext -out server.crt 2>/dev/null
    # ECDSA P-256 only, for ciphers_ecdsa.
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
        -keyout ecdsa.key -out ecdsa.csr -subj "/CN=mx.e2e.test" 2>/dev/null
    openssl x509 -req -in ecdsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -sha256 -days 2 -extfile server.ext -out ecdsa.crt 2>/dev/null
    chmod 644 ecdsa.crt
    # Not a key at all: smtpd cannot set up TLS and answers STARTTLS with
    # "454 4.7.0 TLS not available due to local problem". (Mode 000 would not
    # do: smtpd reads its keys as root.)
    echo 'this is not a private key' >broken.key
    chmod 644 ca.crt server.crt
)

{
    postfix_main_cf "$WORK" tests/e2e/postfix.sh mx.e2e.test e2e.test loopback-only
    postfix_receive_only "tlscheck e2e instance"
    cat <<EOF
smtpd_tls_cert_file = $WORK/pki/server.crt
smtpd_tls_key_file = $WORK/pki/server.key
smtpd_tls_loglevel = 1
EOF
} >"$WORK/etc/main.cf"

{
    echo '# One smtpd per server behaviour. chroot (5th column) is off everywhere,'
    echo '# so nothing has to be copied into a jail.'
    for name in "${NAMES[@]}"; do
        opts=(-o "syslog_name=postfix/$name" -o "myhostname=$name.e2e.test")
        case ${LEVEL[$name]} in
            broken) opts+=(-o smtpd_tls_security_level=may
                -o "smtpd_tls_key_file=$WORK/pki/broken.key") ;;
            *) opts+=(-o "smtpd_tls_security_level=${LEVEL[$name]}") ;;
        esac
        protos=${PROTOS[$name]}
        if [[ $protos != - ]]; then
            range=$(postfix_protocol_range "$protos")
            opts+=(-o "smtpd_tls_protocols=$range" -o "smtpd_tls_mandatory_protocols=$range")
        fi
        if [[ ${SECLEVEL[$name]} != - ]]; then
            opts+=(-o "tls_medium_cipherlist=$LEGACY_CIPHERS:@SECLEVEL=${SECLEVEL[$name]}")
        fi
        for opt in ${CIPHER_OPTS[$name]:-}; do
            opts+=(-o "${opt//@WORK@/$WORK}")
        done
        echo "${ADDR[$name]}:25 inet n - n - - smtpd"
        printf '  %s %s\n' "${opts[@]}"
    done
    postfix_services
} >"$WORK/etc/master.cf"

# shellcheck disable=SC2016 # $1 expands in the inner bash.
# A listener on 0.0.0.0:25 (a system MTA) would keep ours from binding.
for name in "${NAMES[@]}"; do
    if timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/25"' _ "${ADDR[$name]}" 2>/dev/null; then
        die "${ADDR[$name]}:25 already accepts connections (a system MTA on 0.0.0.0:25?); stop it first"
    fi
done

log "starting Postfix $(postconf -d -h mail_version) from $WORK/etc"
postfix -c "$WORK/etc" check
# 9>&-: the daemons must not inherit (and hold) the lock.
if ! postfix -c "$WORK/etc" start 9>&-; then
    show_maillog
    die "postfix -c $WORK/etc start failed"
fi

# Waits until $1:25 sends a 220 greeting, at most WAIT_SECS seconds.
# shellcheck disable=SC2016 # $1 and $l expand in the inner bash.
wait_greeting() {
    local deadline=$((SECONDS + WAIT_SECS)) line
    while ((SECONDS < deadline)); do
        if line=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/25" && IFS= read -r -t 2 l <&3 && printf "%s" "$l"' _ "$1" 2>/dev/null) &&
            [[ $line == 220* ]]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

for name in "${NAMES[@]}"; do
    if ! wait_greeting "${ADDR[$name]}"; then
        show_maillog
        die "$name (${ADDR[$name]}:25) sent no 220 greeting within ${WAIT_SECS}s"
    fi
done
log "all ${#NAMES[@]} listeners greet"

# --- ground truth ------------------------------------------------------------

# Reads one SMTP reply (all its lines) from fd $1 into REPLY_CODE and
# REPLY_TEXT (lines joined by "\n", CR dropped). At most 100 lines, 5 s each.
read_reply() {
    local line i
    REPLY_CODE=""
    REPLY_TEXT=""
    for ((i = 0; i < 100; i++)); do
        IFS= read -r -t 5 -u "$1" line || return 1
        line=${line%$'\r'}
        REPLY_TEXT+=${REPLY_TEXT:+$'\n'}$line
        if [[ ! $line =~ ^[0-9]{3}- ]]; then
            REPLY_CODE=${line:0:3}
            return 0
        fi
    done
    return 1
}

# Sends command $2 on fd $1 and reads the reply.
smtp_cmd() {
    printf '%s\r\n' "$2" >&"$1"
    read_reply "$1"
}

# Plain SMTP dialogue with $1:25 over two connections (EHLO + MAIL FROM, then
# EHLO + STARTTLS). Sets GT_STARTTLS (offered | not_offered | refused |
# unknown), GT_STARTTLS_REPLY, GT_REQUIRES_TLS (true | false | unknown) and
# GT_MAIL_REPLY.
smtp_policy() {
    local fd ehlo
    GT_STARTTLS=unknown GT_STARTTLS_REPLY="" GT_REQUIRES_TLS=unknown GT_MAIL_REPLY=""
    exec {fd}<>"/dev/tcp/$1/25" || return 1
    if ! read_reply "$fd" || ! smtp_cmd "$fd" "EHLO e2e-client.test"; then
        exec {fd}>&-
        return 1
    fi
    ehlo=$REPLY_TEXT
    if smtp_cmd "$fd" "MAIL FROM:<>"; then
        GT_MAIL_REPLY=$REPLY_TEXT
        case $REPLY_CODE in
            530) GT_REQUIRES_TLS=true ;;
            2??) GT_REQUIRES_TLS=false ;;
        esac
    fi
    smtp_cmd "$fd" QUIT || true
    exec {fd}>&-

    if ! grep -qiE '^250[- ]STARTTLS$' <<<"$ehlo"; then
        GT_STARTTLS=not_offered
        return 0
    fi
    exec {fd}<>"/dev/tcp/$1/25" || return 1
    if read_reply "$fd" && smtp_cmd "$fd" "EHLO e2e-client.test" &&
        smtp_cmd "$fd" STARTTLS; then
        GT_STARTTLS_REPLY=$REPLY_TEXT
        if [[ $REPLY_CODE == 220 ]]; then GT_STARTTLS=offered; else GT_STARTTLS=refused; fi
    fi
    # After 220 the server waits for a ClientHello; closing is enough.
    exec {fd}>&-
}

# One handshake forced to version $3 with openssl s_client against listener
# $1 at $2:25. Prints "accepted CIPHER" or "no: REASON"; the raw output stays
# in $WORK/out/openssl-NAME-VERSION.txt.
openssl_probe() {
    local out="$WORK/out/openssl-$1-$3.txt" flag proto cipher err
    case $3 in
        1.0) flag=-tls1 ;;
        1.1) flag=-tls1_1 ;;
        1.2) flag=-tls1_2 ;;
        1.3) flag=-tls1_3 ;;
    esac
    local args=(s_client -starttls smtp -connect "$2:25" "$flag")
    # Security level 0 on our side so that only the server decides. TLS 1.3
    # keeps the default -ciphersuites.
    [[ $3 == 1.3 ]] || args+=(-cipher 'DEFAULT:@SECLEVEL=0')
    timeout "$PROBE_TIMEOUT" openssl "${args[@]}" </dev/null >"$out" 2>&1 || true
    # "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384" after a
    # handshake, "New, (NONE), Cipher is (NONE)" after a failed one. Its
    # "TLSv1.2" names the version that introduced the cipher, not the one
    # negotiated (TLS 1.1 shows "TLSv1.0"); that one is in the session
    # block ("Protocol  : TLSv1.1"), which TLS 1.3 prints only once a
    # ticket arrived, often not before s_client quits. The client was
    # pinned to one version anyway, so a cipher means that version.
    cipher=$(awk '/^New, / { print $NF; exit }' "$out")
    proto=$(awk '$1 == "Protocol" && $2 == ":" { print $3; exit }' "$out")
    proto=${proto#TLSv}
    [[ $proto == 1 ]] && proto=1.0
    if [[ -n $cipher && $cipher != "(NONE)" ]]; then
        if [[ -z $proto || $proto == "$3" ]]; then
            echo "accepted $cipher"
        else
            echo "no: negotiated TLS $proto"
        fi
        return 0
    fi
    # "...:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:..."
    err=$(awk -F: '/:error:/ { print $5 ":" $6; exit }' "$out")
    case $err in
        ssl_choose_client_version:*) echo "no: server chose another version" ;;
        ?*) echo "no: ${err#*:}" ;;
        *) echo "no: handshake failed" ;;
    esac
}

# One row of the ground-truth table.
gt_row() {
    printf '%-16s %-16s %-27s %-8s %s\n' "$@"
}

declare -A GT
setup_checks=0
setup_mismatch=0
# Records ground truth $4 for check $3 of listener $1 ($2 is what the
# configuration promises) and prints its row.
gt_check() {
    local name=$1 want=$2 check=$3 got=$4 kind=$4 mark=""
    GT[$name.$check]=$got
    [[ $check == TLS* ]] && { [[ $got == accepted* ]] && kind=accepted || kind=no; }
    [[ $check == starttls ]] && kind=${got%% *}
    [[ $check == req-tls ]] && kind=${got%% *}
    setup_checks=$((setup_checks + 1))
    if [[ $kind != "$want" ]]; then
        mark="  SETUP-MISMATCH (configured: $want)"
        setup_mismatch=$((setup_mismatch + 1))
    fi
    gt_row "$name" "${ADDR[$name]}:25" "${CONFIG[$name]}" "$check" "$got$mark"
}

log "ground truth: openssl s_client -starttls smtp -tls1|-tls1_1|-tls1_2|-tls1_3; SMTP over /dev/tcp"
gt_row LISTENER ADDRESS CONFIG CHECK GROUND-TRUTH
for name in "${NAMES[@]}"; do
    addr=${ADDR[$name]}
    level=${LEVEL[$name]}
    smtp_policy "$addr" || true
    case $level in
        none) want=not_offered ;;
        broken) want=refused ;;
        *) want=offered ;;
    esac
    gt_check "$name" "$want" starttls "$GT_STARTTLS${GT_STARTTLS_REPLY:+ ($(head -n1 <<<"$GT_STARTTLS_REPLY"))}"
    GT[$name.starttls]=$GT_STARTTLS
    want=false
    [[ $level == encrypt ]] && want=true
    gt_check "$name" "$want" req-tls "$GT_REQUIRES_TLS (MAIL FROM: $(head -n1 <<<"$GT_MAIL_REPLY"))"
    GT[$name.req-tls]=$GT_REQUIRES_TLS
    for ver in "${VERSIONS[@]}"; do
        want=no
        [[ ,${ACCEPTS[$name]}, == *",$ver,"* ]] && want=accepted
        gt_check "$name" "$want" "TLS $ver" "$(openssl_probe "$name" "$addr" "$ver")"
    done
done

if ((setup_mismatch > 0)); then
    show_maillog
    echo "the Postfix set-up does not behave as configured in $setup_mismatch checks" >&2
    echo "(raw openssl output: $WORK/out, kept with E2E_KEEP=1)" >&2
    failed=$((failed + setup_mismatch))
fi

if ((GROUND_TRUTH_ONLY == 1)); then
    echo "E2E_GROUND_TRUTH_ONLY=1: tlscheck not run"
    echo "$((setup_checks - setup_mismatch)) passed, $setup_mismatch failed"
    ((setup_mismatch == 0))
    exit
fi

# --- tlscheck ----------------------------------------------------------------

if [[ -z ${TLSCHECK:-} ]]; then
    TLSCHECK=$ROOT/target/debug/tlscheck
    if [[ ! -x $TLSCHECK ]]; then
        log "building tlscheck (cargo build)"
        (cd "$ROOT" && cargo build --bin tlscheck)
    fi
fi
[[ -x $TLSCHECK ]] || die "tlscheck binary not found or not executable: $TLSCHECK"

# jq program: from a tlscheck JSON document (docs/schema.md), the fields we
# compare of targets[0].servers[0], as "key<TAB>value" lines.
# shellcheck disable=SC2016 # jq variables, not shell ones.
JQ_FIELDS='
  def show: if . == null then "null" else tostring end;
  (.targets[0].servers[0] // error("no targets[0].servers[0]")) as $s
  | ["starttls", ($s.starttls | show)],
    ["requires_tls", ($s.requires_tls | show)],
    ["exit_code", (.exit_code | show)],
    (["1.0", "1.1", "1.2", "1.3"][] as $v
      | ($s.versions[$v] // {}) as $r
      | ["TLS " + $v, ($r.result // "<absent>" | show)],
        ["TLS " + $v + " detail",
         ([$r.cipher,
           ($r.alert | if . then "alert " + . else null end),
           ($r.answered_version | if . then "answered " + . else null end),
           $r.reason, $r.error]
          | map(select(. != null) | tostring) | join(", "))])
  | @tsv'

# One row of the comparison table for run $label: check, ground truth,
# tlscheck's value, 1 if they agree. Counts the check.
compare() {
    local status=ok
    if (($4 == 1)); then
        passed=$((passed + 1))
    else
        status=MISMATCH
        failed=$((failed + 1))
    fi
    printf '%-22s %-8s %-36s %-42s %s\n' "$label" "$1" "${2:0:36}" "${3:0:42}" "$status"
}

# Runs tlscheck on target $2 and compares what it says with the ground truth
# of listener $1. $3 labels the rows; the remaining arguments are extra flags.
check_target() {
    local name=$1 target=$2 label=$3
    shift 3
    local json="$WORK/out/tlscheck-$label.json" errf="$WORK/out/tlscheck-$label.err"
    local rc=0 fields key value gt mine ok ver failed_before=$failed
    local -A got=()
    timeout "$TLSCHECK_TIMEOUT" "$TLSCHECK" "${TLSCHECK_ARGS[@]}" "$@" "$target" \
        >"$json" 2>"$errf" </dev/null || rc=$?
    # Empty stdout gives jq nothing to fail on, hence the -n test.
    if fields=$(jq -r "$JQ_FIELDS" "$json" 2>&1) && [[ -n $fields ]]; then
        while IFS=$'\t' read -r key value; do
            [[ -n $key ]] && got[$key]=$value
        done <<<"$fields"
    else
        [[ -s $json ]] || fields="no output"
        compare json "one JSON document" "unreadable: ${fields//$'\n'/ }" 0
    fi

    # Accepted in OpenSSL <=> "accepted" in tlscheck; any other result
    # (rejected, dropped, not_tested, ...) stands for not accepted.
    for ver in "${VERSIONS[@]}"; do
        gt=${GT[$name.TLS $ver]}
        mine=${got[TLS $ver]:-<no json>}
        ok=0
        if [[ $gt == accepted* ]]; then
            [[ $mine == accepted ]] && ok=1
        else
            [[ $mine != accepted && $mine != "<no json>" ]] && ok=1
        fi
        value=${got[TLS $ver detail]:-}
        compare "TLS $ver" "$gt" "$mine${value:+ ($value)}" "$ok"
    done

    gt=${GT[$name.starttls]}
    mine=${got[starttls]:-<no json>}
    ok=0
    [[ $mine == "$gt" ]] && ok=1
    compare starttls "$gt" "$mine" "$ok"

    # Only a definite 530 must show as true; tlscheck may leave requires_tls
    # null where it did not ask.
    gt=${GT[$name.req-tls]}
    mine=${got[requires_tls]:-<no json>}
    ok=0
    if [[ $gt == true ]]; then
        [[ $mine == true ]] && ok=1
    else
        [[ $mine != true && $mine != "<no json>" ]] && ok=1
    fi
    compare req-tls "$gt" "$mine" "$ok"

    # Exit code 0 when TLS 1.2 or 1.3 is accepted, 1 otherwise; the JSON's
    # exit_code must say the same. A cipher listener that Microsoft 365's
    # suites cannot negotiate with is an error finding: exit 1 (issue 14).
    gt=1
    [[ ${GT[$name.TLS 1.2]} == accepted* || ${GT[$name.TLS 1.3]} == accepted* ]] && gt=0
    [[ ${CIPHER_M365[$name]:-} == refused ]] && gt=1
    ok=0
    [[ $rc == "$gt" ]] && ok=1
    mine=$rc
    if [[ -n ${got[exit_code]:-} && ${got[exit_code]} != "$rc" ]]; then
        ok=0
        mine="$rc (JSON exit_code ${got[exit_code]})"
    fi
    compare exit "$gt" "$mine" "$ok"
    if ((failed > failed_before)); then
        printf '%-22s exit %s; %s\n' "$label" "$rc" "stdout: $json, stderr: $errf"
        head -n 3 "$errf" | sed "s/^/$label stderr: /"
    fi
}

log "tlscheck: $TLSCHECK ${TLSCHECK_ARGS[*]} ADDRESS"
printf '%-22s %-8s %-36s %-42s %s\n' LISTENER CHECK OPENSSL/SMTP TLSCHECK RESULT
for name in "${NAMES[@]}"; do
    check_target "$name" "${ADDR[$name]}" "$name"
done

# --- cipher suites (issue 14) ------------------------------------------------
# For each restricted listener: tlscheck --ciphers lists the TLS 1.2 suites;
# each must be negotiable with `s_client -cipher NAME`, and s_client offering
# every other suite the local OpenSSL knows must fail. The Microsoft 365
# verdict must match s_client offering exactly Microsoft 365's eight suites.

# IANA name -> OpenSSL name, from `openssl ciphers -V` (TLS <= 1.2, no
# PSK/SRP/GOST: tlscheck does not offer those).
ALL_OSSL=()
while read -r id _ oname proto _; do
    [[ $proto == TLSv1.3 || $oname == *PSK* || $oname == *SRP* || $oname == *GOST* ]] && continue
    ALL_OSSL+=("$oname")
    OSSL_ID[$oname]=$id
done < <(openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0')

# The OpenSSL name of IANA number $1 (e.g. 49200), or nothing.
ossl_of_id() {
    local hex n
    hex=$(printf '0x%02X,0x%02X' $(($1 >> 8)) $(($1 & 255)))
    for n in "${ALL_OSSL[@]}"; do
        [[ ${OSSL_ID[$n]} == "$hex" ]] && { echo "$n"; return 0; }
    done
    return 1
}

# s_client pinned to TLS 1.2 against $1:25 offering cipher list $2: prints
# the cipher negotiated, or nothing.
s_client12() {
    timeout "$PROBE_TIMEOUT" openssl s_client -starttls smtp -connect "$1:25" -tls1_2 \
        -cipher "$2:@SECLEVEL=0" </dev/null 2>/dev/null |
        awk '/^New, / { if ($NF != "(NONE)") print $NF; exit }' || true
}

log "cipher suites: $TLSCHECK --host --format json --ciphers ADDRESS vs openssl s_client -cipher"
for name in "${CIPHER_NAMES[@]}"; do
    addr=${ADDR[$name]}
    label=$name
    json="$WORK/out/tlscheck-ciphers-$name.json"
    timeout "$TLSCHECK_TIMEOUT" "$TLSCHECK" --host --format json --timeout 5 --ciphers "$addr" \
        >"$json" 2>"$WORK/out/tlscheck-ciphers-$name.err" </dev/null || true
    mapfile -t ids < <(jq -r '.targets[0].servers[0].suites.ciphers.versions["1.2"].accepted[].id' "$json" 2>/dev/null)
    m365=$(jq -r '.targets[0].servers[0].suites.profiles[] | select(.profile == "microsoft365") | .result' "$json" 2>/dev/null || echo "<no json>")
    end=$(jq -r '.targets[0].servers[0].suites.ciphers.versions["1.2"].end' "$json" 2>/dev/null || echo "<no json>")
    compare "1.2 end" complete "$end" "$([[ $end == complete ]] && echo 1 || echo 0)"
    listed=()
    for id in "${ids[@]}"; do
        if n=$(ossl_of_id "$id"); then listed+=("$n"); else listed+=("0x$id?"); fi
    done
    compare "1.2 list" "(s_client)" "${listed[*]:-none}" "$(( ${#listed[@]} > 0 ? 1 : 0 ))"
    for n in "${listed[@]}"; do
        got=$(s_client12 "$addr" "$n")
        compare "1.2 $n" "$n" "${got:-refused}" "$([[ $got == "$n" ]] && echo 1 || echo 0)"
    done
    others=()
    for n in "${ALL_OSSL[@]}"; do
        [[ " ${listed[*]} " == *" $n "* ]] || others+=("$n")
    done
    got=$(s_client12 "$addr" "$(IFS=:; echo "${others[*]}")")
    compare "1.2 others" refused "${got:-refused}" "$([[ -z $got ]] && echo 1 || echo 0)"
    # The same list plus one listed suite must work, or "refused" above
    # proved nothing (an unusable cipher string fails too).
    if ((${#listed[@]} > 0)); then
        got=$(s_client12 "$addr" "$(IFS=:; echo "${others[*]}"):${listed[0]}")
        compare "1.2 others+1" "${listed[0]}" "${got:-refused}" "$([[ -n $got ]] && echo 1 || echo 0)"
    fi
    # Microsoft 365: ground truth from s_client with exactly its suites.
    gt=$(s_client12 "$addr" "$M365_OPENSSL")
    gt=${gt:+negotiated}
    gt=${gt:-refused}
    ok=0
    [[ $gt == "$m365" && $m365 == "${CIPHER_M365[$name]}" ]] && ok=1
    compare m365 "$gt" "$m365" "$ok"
done

# --- domain run (TLSCHECK_E2E_DNS=1) -----------------------------------------
# dnsmasq on $DNS_ADDR:53 answers, for every listener NAME,
#   NAME.e2e.test MX 10 mx.NAME.e2e.test   and   mx.NAME.e2e.test A <address>
# and tlscheck checks each domain through it (domain mode: TLSCHECK_FLAGS
# without --host, plus TLSCHECK_DNS_FLAGS), compared with the same ground
# truth. Domain-level checks (dns.result, findings) go into check_target's
# caller here.
if ((DNS_RUN == 1)); then
    debs_ensure dnsmasq-base bind9-dnsutils
    dns_args=(--keep-in-foreground --no-resolv --no-hosts --port=53
        --listen-address="$DNS_ADDR" --bind-dynamic
        --log-facility="$WORK/log/dnsmasq.log")
    for name in "${NAMES[@]}"; do
        dns_args+=(--mx-host="$name.e2e.test,mx.$name.e2e.test,10"
            --host-record="mx.$name.e2e.test,${ADDR[$name]}")
    done
    dnsmasq "${dns_args[@]}" 9>&- &
    DNS_PID=$!
    sleep 0.5
    kill -0 "$DNS_PID" 2>/dev/null || die "dnsmasq on $DNS_ADDR:53 did not start"
    # The zone itself is set-up: a wrong answer here is not tlscheck's fault.
    for name in "${NAMES[@]}"; do
        mx=$(dig +short +time=2 +tries=1 @"$DNS_ADDR" "$name.e2e.test" MX || true)
        a=$(dig +short +time=2 +tries=1 @"$DNS_ADDR" "mx.$name.e2e.test" A || true)
        if [[ $mx != "10 mx.$name.e2e.test." || $a != "${ADDR[$name]}" ]]; then
            echo "SETUP-MISMATCH: $DNS_ADDR answers MX '$mx', A '$a' for $name.e2e.test" >&2
            failed=$((failed + 1))
        fi
    done
    domain_args=()
    for arg in "${TLSCHECK_ARGS[@]}"; do
        [[ $arg == --host ]] || domain_args+=("$arg")
    done
    TLSCHECK_ARGS=("${domain_args[@]}")
    log "domain run: $TLSCHECK ${TLSCHECK_ARGS[*]} ${TLSCHECK_DNS_ARGS[*]} NAME.e2e.test"
    for name in "${NAMES[@]}"; do
        check_target "$name" "$name.e2e.test" "$name.e2e.test" "${TLSCHECK_DNS_ARGS[@]}"
    done
else
    echo "domain run skipped (TLSCHECK_E2E_DNS=0)"
fi

((failed == 0)) || echo "raw outputs in $WORK/out (kept with E2E_KEEP=1)"
echo "$passed passed, $failed failed"
((failed == 0))
