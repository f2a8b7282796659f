#!/usr/bin/env bash
# Speed benchmark of issue #6: tlscheck against testssl.sh and sslscan over a
# path with a real round-trip time, plus a 1,000-target batch on loopback.
#
#   sudo bench/run.sh
#
# Not part of CI. Everything runs inside two network namespaces this script
# creates (tlsbench-c, the client, and tlsbench-s, the server, joined by a
# veth pair on 10.250.0.0/24, which exists only inside them) and is torn down
# by a trap, even on failure. Nothing is sent to any address outside those
# namespaces. Packets on the veth are delayed by RTT/2 in each direction:
# with `tc netem` where the kernel has it, otherwise in user space through
# NFQUEUE (bench/delay.py). See bench/README.md for how to read the output.
#
# Environment:
#   TLSCHECK=PATH                 binary under test [default:
#                                 target/release/tlscheck, built with
#                                 `cargo build --release` when cargo exists]
#   BENCH_RTT_MS=50               round-trip time of the path
#   BENCH_RUNS=5                  measured runs per case (plus one warm-up)
#   BENCH_BATCH_TARGETS=1000      targets in the batch
#   BENCH_BATCH_MAX_CONNECTIONS=128  the "higher" --max-connections
#   BENCH_SKIP_OTHERS=1           skip testssl.sh and sslscan
#   BENCH_OUT=DIR                 keep the raw outputs there [default: a temp
#                                 dir, removed at the end]
#   BENCH_HOLD=SECS               keep the set-up running SECS (at most 1800)
#                                 after the tables, to poke at it by hand
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"
# shellcheck source=scripts/lib/postfix-conf.sh
source "$ROOT/scripts/lib/postfix-conf.sh"

RTT_MS=${BENCH_RTT_MS:-50}
RUNS=${BENCH_RUNS:-5}
BATCH_TARGETS=${BENCH_BATCH_TARGETS:-1000}
BATCH_HIGH=${BENCH_BATCH_MAX_CONNECTIONS:-128}
SKIP_OTHERS=${BENCH_SKIP_OTHERS:-0}

NS_C=tlsbench-c
NS_S=tlsbench-s
VETH_C=tb-c
VETH_S=tb-s
NET=10.250.0
CLIENT_IP=$NET.1
SERVER_IP=$NET.2
# Resolver behind the delayed path (one RTT away) and one inside the client
# namespace (next to the client, as a site's own resolver would be).
DNS_FAR=$NET.53
DNS_NEAR=127.0.0.53
# The DANE + MTA-STS case (issue #15): NSD serving $DOMAIN signed by
# ldns-signzone (MX mx2, its TLSA, _mta-sts, _smtp._tls), one RTT away,
# and the policy over HTTPS on $STS_IP:443 (Postfix's *.$DOMAIN certificate).
DNS_SIGNED=$NET.54
STS_IP=$NET.80
DOMAIN=example.test
LOCK_FILE=/run/lock/tlscheck-bench.lock
TMP_PREFIX=/tmp/tlscheck-bench.
# Bounds: one measured command, one batch, the wait for Postfix to greet.
CMD_TIMEOUT=300
BATCH_TIMEOUT=900
WAIT_SECS=20
# bench/delay.py stops by itself after this long, whatever happens here.
DELAY_MAX_SECS=3600

# The listeners: name, address, smtpd_tls_protocols range. The single-server
# cases use "all" and "modern"; the domain's three MX are mx1..mx3; the batch
# cycles over b1..b6 on the server namespace's loopback (no delay there).
LISTENERS=(
    "all    $NET.11     1.0-1.3"
    "modern $NET.12     1.2-1.3"
    "mx1    $NET.13     1.0-1.3"
    "mx2    $NET.14     1.2-1.3"
    "mx3    $NET.15     1.2-1.3"
    "b1     127.0.0.11  1.0-1.3"
    "b2     127.0.0.12  1.2-1.3"
    "b3     127.0.0.13  1.0-1.3"
    "b4     127.0.0.14  1.2-1.3"
    "b5     127.0.0.15  1.0-1.3"
    "b6     127.0.0.16  1.2-1.3"
)
declare -A ADDR PROTOS
NAMES=()
for spec in "${LISTENERS[@]}"; do
    read -r name addr protos <<<"$spec"
    NAMES+=("$name")
    ADDR[$name]=$addr
    PROTOS[$name]=$protos
done

log() { printf '==> %s\n' "$*"; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}
in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

((EUID == 0)) || die "run as root: sudo bench/run.sh (namespaces, Postfix on port 25)"

# --- teardown ------------------------------------------------------------------

# Stops the Postfix instance configured in $1, bounded.
stop_postfix() {
    local conf=$1 i
    [[ -f $conf/main.cf ]] || return 0
    postfix -c "$conf" status >/dev/null 2>&1 || return 0
    postfix -c "$conf" stop >/dev/null 2>&1 || true
    for ((i = 0; i < 50; i++)); do
        postfix -c "$conf" status >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    postfix -c "$conf" abort >/dev/null 2>&1 || true
}

# Removes namespace $1 after ending the processes left inside it. Only our
# own namespaces get here, so whatever runs in them was started by a bench run.
drop_ns() {
    local ns=$1 pids
    ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    if [[ -n ${pids// /} ]]; then
        # shellcheck disable=SC2086 # a list of pids
        kill $pids 2>/dev/null || true
        sleep 0.5
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        # shellcheck disable=SC2086
        [[ -z ${pids// /} ]] || kill -9 $pids 2>/dev/null || true
    fi
    ip netns delete "$ns" 2>/dev/null || true
}

cleanup() {
    local rc=$? pid
    trap - EXIT
    for pid in ${SAMPLER_PID:-} ${DELAY_PID:-} ${DNS_FAR_PID:-} ${DNS_NEAR_PID:-} ${NSD_PID:-} ${STS_PID:-}; do
        kill "$pid" 2>/dev/null || true
    done
    [[ -n ${WORK:-} ]] && stop_postfix "$WORK/etc"
    drop_ns "$NS_C"
    drop_ns "$NS_S"
    rm -f "/etc/netns/$NS_C/resolv.conf"
    rmdir "/etc/netns/$NS_C" 2>/dev/null || true
    [[ -n ${MADE_ETC_NETNS:-} ]] && rmdir /etc/netns 2>/dev/null
    if [[ -n ${WORK:-} && -d $WORK && -z ${BENCH_OUT:-} ]]; then
        rm -rf "$WORK"
    fi
    exit "$rc"
}

mkdir -p "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
flock -w 60 9 || die "another bench run holds $LOCK_FILE"

# What a killed earlier run left behind (we hold the lock: nobody uses it).
for stale in "$TMP_PREFIX"*; do
    [[ -d $stale ]] || continue
    stop_postfix "$stale/etc"
    rm -rf "$stale"
done
drop_ns "$NS_C"
drop_ns "$NS_S"
rm -f "/etc/netns/$NS_C/resolv.conf"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- packages and binary -----------------------------------------------------------

debs_ensure postfix testssl.sh sslscan dnsmasq-base iproute2 iptables time jq \
    openssl python3 bind9-dnsutils procps nsd ldnsutils curl
PY=/usr/bin/python3

if [[ -z ${TLSCHECK:-} ]]; then
    TLSCHECK=${CARGO_TARGET_DIR:-$ROOT/target}/release/tlscheck
    cargo_user=""
    if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
        cargo_user=$SUDO_USER
        PATH=$(getent passwd "$cargo_user" | cut -d: -f6)/.cargo/bin:$PATH
    fi
    [[ -x $HOME/.cargo/bin/cargo ]] && PATH=$HOME/.cargo/bin:$PATH
    if command -v cargo >/dev/null; then
        log "cargo build --release --bin tlscheck (a few minutes the first time)"
        if [[ -n $cargo_user ]]; then
            (cd "$ROOT" && sudo -u "$cargo_user" -H env "PATH=$PATH" cargo build --release --bin tlscheck)
        else
            (cd "$ROOT" && cargo build --release --bin tlscheck)
        fi
    fi
fi
[[ -x $TLSCHECK ]] || die "no tlscheck binary at $TLSCHECK (set TLSCHECK=PATH)"

if [[ -n ${BENCH_OUT:-} ]]; then
    WORK=$BENCH_OUT
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMP_PREFIX}XXXXXX")
fi
chmod 755 "$WORK"
mkdir -p "$WORK/etc" "$WORK/spool" "$WORK/data" "$WORK/log" "$WORK/pki" "$WORK/runs"
chown postfix "$WORK/data"

# --- namespaces and the delayed path ---------------------------------------------

log "namespaces $NS_C ($CLIENT_IP) and $NS_S ($SERVER_IP), veth $VETH_C <-> $VETH_S"
ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
ip -n "$NS_C" addr add "$CLIENT_IP/24" dev "$VETH_C"
ip -n "$NS_S" addr add "$SERVER_IP/24" dev "$VETH_S"
for name in "${NAMES[@]}"; do
    [[ ${ADDR[$name]} == "$NET".* ]] && ip -n "$NS_S" addr add "${ADDR[$name]}/24" dev "$VETH_S"
done
ip -n "$NS_S" addr add "$DNS_FAR/24" dev "$VETH_S"
ip -n "$NS_S" addr add "$DNS_SIGNED/24" dev "$VETH_S"
ip -n "$NS_S" addr add "$STS_IP/24" dev "$VETH_S"
for ns in "$NS_C" "$NS_S"; do
    ip -n "$ns" link set lo up
done
ip -n "$NS_C" link set "$VETH_C" up
ip -n "$NS_S" link set "$VETH_S" up

half_ms=$(awk -v r="$RTT_MS" 'BEGIN { printf "%g", r / 2 }')
if in_c tc qdisc add dev "$VETH_C" root netem delay "${half_ms}ms" 2>/dev/null &&
    in_s tc qdisc add dev "$VETH_S" root netem delay "${half_ms}ms" 2>/dev/null; then
    DELAY_HOW="tc netem: ${half_ms} ms on each veth's egress"
else
    # No sch_netem: hold every packet crossing the server's veth in NFQUEUE
    # for RTT/2. Each packet crosses exactly one of the two hooks once.
    ipt=iptables
    command -v iptables-legacy >/dev/null && ipt=iptables-legacy
    in_s "$ipt" -A INPUT -i "$VETH_S" -j NFQUEUE --queue-num 0
    in_s "$ipt" -A OUTPUT -o "$VETH_S" -j NFQUEUE --queue-num 0
    ip netns exec "$NS_S" "$PY" "$ROOT/bench/delay.py" --queue 0 --delay-ms "$half_ms" \
        --max-seconds "$DELAY_MAX_SECS" >"$WORK/log/delay.log" 2>&1 9>&- &
    DELAY_PID=$!
    sleep 0.5
    kill -0 "$DELAY_PID" 2>/dev/null || die "bench/delay.py did not start: $(cat "$WORK/log/delay.log")"
    DELAY_HOW="no sch_netem in this kernel; NFQUEUE ($ipt) + bench/delay.py: ${half_ms} ms per packet, each direction"
fi
log "delay: $DELAY_HOW"

# --- certificates, Postfix, DNS ----------------------------------------------------

(
    cd "$WORK/pki"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 90 -keyout ca.key -out ca.crt \
        -subj "/CN=tlscheck bench CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr \
        -subj "/CN=mx1.$DOMAIN" 2>/dev/null
    {
        echo 'basicConstraints=CA:FALSE'
        echo 'keyUsage=critical,digitalSignature,keyEncipherment'
        echo 'extendedKeyUsage=serverAuth'
        printf 'subjectAltName=DNS:*.%s' "$DOMAIN"
        for name in "${NAMES[@]}"; do printf ',IP:%s' "${ADDR[$name]}"; done
        echo
    } >server.ext
    # 90 days: a certificate about to expire is a finding of its own.
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
        -days 90 -extfile server.ext -out server.crt 2>/dev/null
    chmod 644 ca.crt server.crt
)
CA=$WORK/pki/ca.crt

# The same private-instance approach as tests/e2e/postfix.sh (see there and
# /work/shared/notes/real-servers-for-tests.md), cut to what the bench needs.
# Differences on purpose: it listens only inside the server namespace
# (inet_interfaces = all there), does no reverse DNS of clients (no server-
# side delay to measure), and lifts Postfix's per-client limits so the batch
# (thousands of connections from one client address) is not throttled by
# anvil: smtpd_client_connection_count_limit (default 50) and the rate limits.
{
    postfix_main_cf "$WORK" bench/run.sh "mx1.$DOMAIN" "$DOMAIN" all
    postfix_receive_only "benchmark instance"
    cat <<EOF
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
default_process_limit = 200
# Keep idle smtpd processes (defaults 100 s and 100 connections): the cases
# then measure the protocol, not Postfix forking smtpd on demand, one after
# the other (~15 ms each), after testssl.sh or sslscan let them expire.
max_idle = 3600s
max_use = 100000
smtpd_tls_security_level = may
smtpd_tls_cert_file = $WORK/pki/server.crt
smtpd_tls_key_file = $WORK/pki/server.key
smtpd_tls_loglevel = 0
EOF
} >"$WORK/etc/main.cf"

{
    for name in "${NAMES[@]}"; do
        p=${PROTOS[$name]}
        range=$(postfix_protocol_range "$p")
        echo "${ADDR[$name]}:25 inet n - n - - smtpd"
        echo "  -o syslog_name=postfix/$name -o myhostname=$name.$DOMAIN"
        echo "  -o smtpd_tls_protocols=$range -o smtpd_tls_mandatory_protocols=$range"
        # TLS 1.0/1.1 sign with SHA-1: OpenSSL 3 wants security level 0.
        [[ $p == 1.0-* ]] && echo "  -o tls_medium_cipherlist=aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0"
    done
    postfix_services
} >"$WORK/etc/master.cf"

log "Postfix $(postconf -d -h mail_version) in $NS_S: ${#NAMES[@]} listeners"
postfix -c "$WORK/etc" check
in_s postfix -c "$WORK/etc" start 9>&- || {
    tail -n 20 "$WORK/log/maillog" >&2 || true
    die "postfix start failed"
}

# Waits (bounded) until $1:25 greets, asked from inside the server namespace
# (its own addresses: no delay).
# shellcheck disable=SC2016 # $1 and $l expand in the inner bash.
wait_greeting() {
    local deadline=$((SECONDS + WAIT_SECS)) line
    while ((SECONDS < deadline)); do
        if line=$(in_s timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/25" && IFS= read -r -t 2 l <&3 && printf "%s" "$l"' _ "$1" 2>/dev/null) &&
            [[ $line == 220* ]]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}
for name in "${NAMES[@]}"; do
    wait_greeting "${ADDR[$name]}" || die "$name (${ADDR[$name]}:25) does not greet; see $WORK/log/maillog"
done

# $DOMAIN: three MX (10, 20, 30) -> mx1..mx3, each with one A record.
# --local: dnsmasq answers the zone from its own data only, so an AAAA query
# gets NOERROR with no records, as from a real authoritative server. Without
# it dnsmasq answers REFUSED (no upstream), and the client's resolver retries
# the AAAA query: one more RTT that a real zone would not cost.
dns_args=(--keep-in-foreground --no-resolv --no-hosts --port=53 --bind-interfaces
    --local="/$DOMAIN/")
for i in 1 2 3; do
    dns_args+=(--mx-host="$DOMAIN,mx$i.$DOMAIN,${i}0" --host-record="mx$i.$DOMAIN,${ADDR[mx$i]}")
done
# Started with `ip netns exec` itself (not in_s, a function that would run
# in a subshell under &): $! is then the daemon's own pid.
ip netns exec "$NS_S" dnsmasq "${dns_args[@]}" --listen-address="$DNS_FAR" --pid-file="$WORK/dnsmasq-far.pid" \
    --log-facility="$WORK/log/dnsmasq-far.log" 9>&- &
DNS_FAR_PID=$!
ip netns exec "$NS_C" dnsmasq "${dns_args[@]}" --listen-address="$DNS_NEAR" --pid-file="$WORK/dnsmasq-near.pid" \
    --log-facility="$WORK/log/dnsmasq-near.log" 9>&- &
DNS_NEAR_PID=$!
sleep 0.5
for dns in "$DNS_FAR" "$DNS_NEAR"; do
    mx=$(in_c dig +short +time=2 +tries=1 @"$dns" "$DOMAIN" MX | sort | tr '\n' ' ')
    [[ $mx == "10 mx1.$DOMAIN. 20 mx2.$DOMAIN. 30 mx3.$DOMAIN. " ]] ||
        die "DNS at $dns answers MX '$mx' for $DOMAIN"
    status=$(in_c dig +time=2 +tries=1 @"$dns" "mx1.$DOMAIN" AAAA | sed -nE 's/.*status: ([A-Z]+).*/\1/p')
    [[ $status == NOERROR ]] || die "DNS at $dns answers $status to AAAA mx1.$DOMAIN (want NOERROR, no data)"
done
# testssl.sh --mx and sslscan read /etc/resolv.conf: `ip netns exec` puts
# /etc/netns/NS/resolv.conf in its place inside the namespace.
if [[ ! -e /etc/netns ]]; then
    mkdir /etc/netns
    MADE_ETC_NETNS=1
fi
mkdir -p "/etc/netns/$NS_C"
echo "nameserver $DNS_NEAR" >"/etc/netns/$NS_C/resolv.conf"

# --- DANE and MTA-STS: a signed zone and a policy server ----------------------------

mkdir -p "$WORK/dane/www/.well-known"
spki=$(openssl x509 -in "$WORK/pki/server.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 | awk '{ print $NF }')
cat >"$WORK/dane/$DOMAIN.zone" <<EOF
\$ORIGIN $DOMAIN.
\$TTL 300
@ IN SOA ns.$DOMAIN. hostmaster.$DOMAIN. 1 3600 600 86400 300
@ IN NS ns.$DOMAIN.
ns IN A $DNS_SIGNED
@ IN MX 10 mx2.$DOMAIN.
mx2 IN A ${ADDR[mx2]}
_25._tcp.mx2 IN TLSA 3 1 1 $spki
_mta-sts IN TXT "v=STSv1; id=1"
mta-sts IN A $STS_IP
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@$DOMAIN"
EOF
(
    cd "$WORK/dane"
    ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$DOMAIN")
    zsk=$(ldns-keygen -a ECDSAP256SHA256 "$DOMAIN")
    ldns-signzone -n -f "$DOMAIN.zone.signed" "$DOMAIN.zone" "$ksk" "$zsk"
    cp "$ksk.key" anchor.key
)
ANCHOR=$WORK/dane/anchor.key
cat >"$WORK/dane/nsd.conf" <<EOF
server:
  ip-address: $DNS_SIGNED
  port: 53
  zonesdir: $WORK/dane
  pidfile: $WORK/dane/nsd.pid
  database: ""
  zonelistfile: $WORK/dane/zone.list
  xfrdfile: $WORK/dane/xfrd.state
  xfrdir: $WORK/dane
  username: ""
  chroot: ""
  logfile: $WORK/log/nsd.log
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: $DOMAIN
  zonefile: $DOMAIN.zone.signed
EOF
ip netns exec "$NS_S" nsd -d -c "$WORK/dane/nsd.conf" 9>&- &
NSD_PID=$!
printf 'version: STSv1\r\nmode: enforce\r\nmx: *.%s\r\nmax_age: 86400\r\n' "$DOMAIN" \
    >"$WORK/dane/www/.well-known/mta-sts.txt"
# shellcheck disable=SC2016 # python, not shell
ip netns exec "$NS_S" "$PY" -c '
import functools, http.server, ssl, sys
ip, www, cert, key = sys.argv[1:5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=www)
srv = http.server.ThreadingHTTPServer((ip, 443), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
' "$STS_IP" "$WORK/dane/www" "$WORK/pki/server.crt" "$WORK/pki/server.key" \
    >"$WORK/log/mta-sts.log" 2>&1 9>&- &
STS_PID=$!
sleep 1
soa=$(in_s dig +short +time=2 +tries=1 @"$DNS_SIGNED" "$DOMAIN" SOA)
[[ -n $soa ]] || die "NSD at $DNS_SIGNED does not answer for $DOMAIN; see $WORK/log/nsd.log"
in_s curl -sf --cacert "$CA" --resolve "mta-sts.$DOMAIN:443:$STS_IP" \
    "https://mta-sts.$DOMAIN/.well-known/mta-sts.txt" >/dev/null ||
    die "the MTA-STS policy server on $STS_IP:443 does not serve the policy; see $WORK/log/mta-sts.log"

# --- the path's real RTT -----------------------------------------------------------

log "measuring the path (TCP connect, then the 220 greeting) to ${ADDR[all]}:25"
rtt_line=$(in_c "$PY" "$ROOT/bench/rtt.py" "${ADDR[all]}" 25 --count 9)
RTT_REAL=$(sed -E 's/^connect_ms=([0-9.]+).*/\1/' <<<"$rtt_line")
dns_ms=$(in_c dig +time=2 +tries=1 @"$DNS_FAR" "$DOMAIN" MX | awk '/Query time:/ { print $4 }')
dns_near_ms=$(in_c dig +time=2 +tries=1 @"$DNS_NEAR" "$DOMAIN" MX | awk '/Query time:/ { print $4 }')
echo "    target RTT $RTT_MS ms; measured: $rtt_line"
echo "    DNS query time: $dns_ms ms to $DNS_FAR (behind the delay), $dns_near_ms ms to $DNS_NEAR (client's own namespace)"
awk -v m="$RTT_REAL" -v t="$RTT_MS" 'BEGIN { exit !(m > 0.9 * t && m < 1.3 * t) }' ||
    die "the path's RTT ($RTT_REAL ms) is not close to $RTT_MS ms"

# --- measuring -----------------------------------------------------------------

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# Median and minimum of the numbers on stdin: "MEDIAN MIN".
median_min() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- -"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print m, v[1] }'
}

# One field of a `/usr/bin/time -v` report $2: the number after "$1: ".
time_field() { awk -F': ' -v k="$1" 'index($0, k) { print $NF; exit }' "$2"; }

# Milliseconds in bash `times` values "$1" + "$2" ("0m0.012s").
cpu_ms() {
    awk -v a="$1" -v b="$2" 'function ms(v, p) { split(v, p, /[ms]/); return (p[1] * 60 + p[2]) * 1000 }
        BEGIN { printf "%.0f", ms(a) + ms(b) }'
}

# SMTP connections Postfix has accepted so far (its maillog).
smtp_connections() { grep -c ': connect from ' "$WORK/log/maillog" || true; }

# measure TOOL CASE NS CMD...: one warm-up run, then RUNS runs of CMD inside
# namespace NS under /usr/bin/time -v; wall time from bash's EPOCHREALTIME
# around it (µs; time's own %e has 10 ms steps), CPU from bash's `times`
# (ms; time's has 10 ms steps too), peak RSS from time. Appends to $RESULTS:
# tool, case, median wall ms, min wall ms, median CPU ms (user+sys, children
# included), max peak RSS KiB, exit codes seen, SMTP connections per run
# (counted in Postfix's log).
# shellcheck disable=SC2016 # the inner bash expands them
measure() {
    local tool=$1 case=$2 ns=$3 i dir walls="" cpus="" rss="" codes="" s e rc
    shift 3
    dir=$WORK/runs/$tool-${case//[^A-Za-z0-9.]/_}
    mkdir -p "$dir"
    local conns0 conns
    conns0=$(smtp_connections)
    printf '    %-9s %-34s' "$tool" "$case"
    for ((i = 0; i <= RUNS; i++)); do
        # `times` (a builtin, so no fork) prints the children's user and
        # sys time in ms: /usr/bin/time and everything it waited for.
        read -r s e rc cu cs < <(timeout "$CMD_TIMEOUT" ip netns exec "$ns" bash -c '
            out=$1 tv=$2; shift 2
            s=$EPOCHREALTIME
            /usr/bin/time -v -o "$tv" "$@" >"$out" 2>&1 </dev/null
            rc=$?
            e=$EPOCHREALTIME
            times >"$tv.times"
            { read -r _; read -r cu cs; } <"$tv.times"
            echo "$s $e $rc $cu $cs"' _ "$dir/out.$i" "$dir/time.$i" "$@" || echo "0 $CMD_TIMEOUT 124 0m0s 0m0s")
        ((i == 0)) && continue # warm-up: page cache, first-run costs
        walls+="$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", (e - s) * 1000 }') "
        cpus+="$(cpu_ms "$cu" "$cs") "
        rss+="$(time_field 'Maximum resident set size' "$dir/time.$i") "
        codes+="$rc "
        printf '.'
    done
    local wall cpu rssmax codeset
    wall=$(tr ' ' '\n' <<<"$walls" | grep . | median_min)
    cpu=$(tr ' ' '\n' <<<"$cpus" | grep . | median_min)
    rssmax=$(tr ' ' '\n' <<<"$rss" | grep . | sort -g | tail -n1)
    codeset=$(tr ' ' '\n' <<<"$codes" | grep . | sort -u | paste -sd, -)
    sleep 1 # postlogd writes the maillog a moment later
    conns=$(awk -v a="$conns0" -v b="$(smtp_connections)" -v n="$((RUNS + 1))" 'BEGIN { printf "%.0f", (b - a) / n }')
    printf ' median %s ms (runs: %s)\n' "${wall%% *}" "${walls% }"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "${wall%% *}" "${wall##* }" \
        "${cpu%% *}" "$rssmax" "$codeset" "$conns" >>"$RESULTS"
    LAST_DIR=$dir
}

# What tlscheck's JSON says per server: "ADDR 1.0=accepted 1.1=... ".
tlscheck_summary() {
    jq -r '.targets[].servers[] | "\(.address) " +
        ([.versions | to_entries[] | "\(.key)=\(.value.result)"] | join(" ")) +
        "  (\(.elapsed_ms) ms)"' "$1" 2>/dev/null || echo "unreadable JSON: $(head -c 200 "$1")"
}

CASE_ALL="1 server, TLS 1.0-1.3"
CASE_MODERN="1 server, TLS 1.2-1.3"
CASE_DNS_NEAR="domain, 3 MX, resolver near"
CASE_DNS_FAR="domain, 3 MX, resolver 1 RTT"
# Issue 14: every accepted cipher suite of every version (--ciphers).
CASE_CIPHERS="suites, 1 server, TLS 1.0-1.3"
# The same with as many connections at once as Exchange's Receive
# connectors allow one client by default (MaxInboundConnectionPerSource 20,
# Set-ReceiveConnector), and with twice that.
CASE_CIPHERS_20="suites, --per-server 20"
CASE_CIPHERS_40="suites, --per-server 40"
CASE_DANE="DANE+MTA-STS domain, resolver 1 RTT"
CASE_DANE_OFF="same, --no-policy"

log "tlscheck: $TLSCHECK ($RUNS runs + 1 warm-up each; dots are runs)"
measure tlscheck "$CASE_ALL" "$NS_C" "$TLSCHECK" --host --format json --ca-file "$CA" "${ADDR[all]}"
echo "      $(tlscheck_summary "$LAST_DIR/out.1")"
measure tlscheck "$CASE_MODERN" "$NS_C" "$TLSCHECK" --host --format json --ca-file "$CA" "${ADDR[modern]}"
echo "      $(tlscheck_summary "$LAST_DIR/out.1")"
measure tlscheck "$CASE_DNS_NEAR" "$NS_C" "$TLSCHECK" --resolver "$DNS_NEAR" --format json --ca-file "$CA" "$DOMAIN"
tlscheck_summary "$LAST_DIR/out.1" | sed 's/^/      /'
measure tlscheck "$CASE_DNS_FAR" "$NS_C" "$TLSCHECK" --resolver "$DNS_FAR" --format json --ca-file "$CA" "$DOMAIN"
tlscheck_summary "$LAST_DIR/out.1" | sed 's/^/      /'
measure tlscheck "$CASE_DANE" "$NS_C" "$TLSCHECK" --resolver "$DNS_SIGNED" --trust-anchor "$ANCHOR" \
    --format json --ca-file "$CA" "$DOMAIN"
jq -r '.targets[0].policy | "      MX \(.mx.dnssec.status); DANE \(.exchanges[0].dane) \(.exchanges[0].servers[0].exo // "-"); MTA-STS \(.mta_sts.fetch) \(.mta_sts.mode // "-")"' \
    "$LAST_DIR/out.1" 2>/dev/null || echo "      unreadable JSON"
measure tlscheck "$CASE_DANE_OFF" "$NS_C" "$TLSCHECK" --resolver "$DNS_SIGNED" --no-policy \
    --format json --ca-file "$CA" "$DOMAIN"

# Cipher suite enumeration (issue 14): tlscheck --ciphers against sslscan's
# and testssl.sh's own full suite scans of the same server.
measure tlscheck "$CASE_CIPHERS" "$NS_C" "$TLSCHECK" --host --ciphers --format json --ca-file "$CA" "${ADDR[all]}"
jq -r '.targets[0].servers[0].suites.ciphers.versions | to_entries[]
    | "\(.key): \(.value.accepted | length) suites, \(.value.client_hellos) hellos, \(.value.end)"' \
    "$LAST_DIR/out.1" 2>/dev/null | paste -sd';' - | sed 's/^/      /' || true
for n in 20 40; do
    case_name=$CASE_CIPHERS_20
    ((n == 40)) && case_name=$CASE_CIPHERS_40
    measure tlscheck "$case_name" "$NS_C" "$TLSCHECK" --host --ciphers --per-server "$n" \
        --format json --ca-file "$CA" "${ADDR[all]}"
    jq -r '.targets[0].servers[0].suites.ciphers.versions | to_entries[]
        | "\(.key): \(.value.accepted | length) suites, \(.value.client_hellos) hellos, \(.value.end)"' \
        "$LAST_DIR/out.1" 2>/dev/null | paste -sd';' - | sed 's/^/      /' || true
done
if ((SKIP_OTHERS == 0)); then
    # sslscan: its default scan lists every accepted suite per version;
    # the other checks stay off as above.
    measure sslscan "$CASE_CIPHERS" "$NS_C" sslscan --starttls-smtp --no-colour --no-fallback \
        --no-renegotiation --no-compression --no-heartbleed --no-groups "${ADDR[all]}:25"
    grep -cE '^(Preferred|Accepted) ' "$LAST_DIR/out.1" | sed 's/^/      suites listed: /' || true
    # testssl.sh -e: each cipher suite, one connection per suite.
    measure testssl "$CASE_CIPHERS" "$NS_C" testssl --starttls smtp -e --quiet --color 0 \
        --nodns none --warnings off "${ADDR[all]}:25"
fi

# --- where tlscheck's time goes: --transcript ---------------------------------------

# Prints, per session, the transcript as "time in RTTs, direction, first
# words" from a tlscheck JSON run with --transcript; of a multi-line reply
# only its last line. The last number is when the session's last event was.
timeline() {
    jq -r --argjson rtt "$RTT_REAL" '
        def rtts: (. / $rtt * 10 | round) / 10;
        .targets[].servers[] | .address as $a | (.transcript // {}) | to_entries[] |
        "    \(.key | . + " " * (6 - length)) " + ([.value[]
            | select(.dir != "received" or (.text | test("^[0-9]{3}-") | not))
            | "\(.at_ms | rtts)\(if .dir == "sent" then ">" elif .dir == "received" then "<" else "!" end)\(.text | gsub("\\s+"; " ") | .[0:20])"
        ] | join(" | ")) + "   => ends at \(.value | map(.at_ms) | max // 0 | rtts) RTT"' "$1"
}
log "tlscheck --transcript on ${ADDR[all]} (times in RTTs of $RTT_REAL ms from each session's connect; > sent, < received, ! note)"
# Right after the measured runs, so Postfix's smtpd processes are warm.
in_c timeout "$CMD_TIMEOUT" "$TLSCHECK" --host --format json --transcript --ca-file "$CA" \
    "${ADDR[all]}" >"$WORK/transcript-all.json" 2>&1 || true
timeline "$WORK/transcript-all.json" || head -c 500 "$WORK/transcript-all.json"

if ((SKIP_OTHERS == 0)); then
    # testssl.sh: -p is its protocol check (SSLv2, SSLv3, TLS 1.0-1.3, and
    # NPN/ALPN which it skips under STARTTLS); nothing else is run. --nodns
    # none: an IP needs no lookups (no rDNS either). --warnings off: never
    # stop to ask. There is no flag to leave SSLv2/SSLv3 out.
    testssl_args=(testssl --starttls smtp -p --quiet --color 0 --nodns none --warnings off)
    # sslscan: protocol enumeration is always on; everything else that costs
    # connections is switched off (cipher suites, fallback SCSV,
    # renegotiation, compression, Heartbleed, groups). It still fetches the
    # certificate once.
    sslscan_args=(sslscan --starttls-smtp --no-colour --no-ciphersuites --no-fallback
        --no-renegotiation --no-compression --no-heartbleed --no-groups)
    for which in all modern; do
        case_name=$CASE_ALL
        [[ $which == modern ]] && case_name=$CASE_MODERN
        measure testssl "$case_name" "$NS_C" "${testssl_args[@]}" "${ADDR[$which]}:25"
        grep -E '^ *(SSLv[23]|TLS 1(\.[0-3])?) ' "$LAST_DIR/out.1" | sed -E 's/ +/ /g; s/^ ?/      /' | paste -sd';' - || true
        measure sslscan "$case_name" "$NS_C" "${sslscan_args[@]}" "${ADDR[$which]}:25"
        grep -E '^(SSLv[23]|TLSv1\.[0-3]) ' "$LAST_DIR/out.1" | sed -E 's/ +/ /g; s/^/      /' | paste -sd';' - || true
    done
    # The domain: testssl.sh looks the MX up itself (--mx, one server after
    # the other, through the near resolver in resolv.conf); sslscan has no MX
    # mode, so it gets the three exchange names in a --targets file.
    measure testssl "$CASE_DNS_NEAR" "$NS_C" testssl -p --quiet --color 0 --warnings off --mx "$DOMAIN"
    grep -cE '^ *TLS 1\.2 +offered' "$LAST_DIR/out.1" | sed 's/^/      servers with "TLS 1.2 offered": /'
    printf 'mx%s.%s:25\n' 1 "$DOMAIN" 2 "$DOMAIN" 3 "$DOMAIN" >"$WORK/sslscan-targets.txt"
    measure sslscan "$CASE_DNS_NEAR" "$NS_C" "${sslscan_args[@]}" --targets="$WORK/sslscan-targets.txt"
    grep -cE '^TLSv1\.2 +enabled' "$LAST_DIR/out.1" | sed 's/^/      servers with "TLSv1.2 enabled": /'
fi

# --- batch on loopback ---------------------------------------------------------

BATCH_FILE=$WORK/batch.txt
batch_addrs=()
for name in "${NAMES[@]}"; do
    [[ $name == b* ]] && batch_addrs+=("${ADDR[$name]}")
done
for ((i = 0; i < BATCH_TARGETS; i++)); do
    echo "${batch_addrs[i % ${#batch_addrs[@]}]}"
done >"$BATCH_FILE"
BATCH_RESULTS=$WORK/batch.tsv
: >"$BATCH_RESULTS"

# "BUSY TOTAL" jiffies of the whole machine from /proc/stat (all cores):
# the batch shares two cores with the Postfix it talks to.
host_cpu() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i
        print t - $5 - $6, t; exit }' /proc/stat
}

# batch LABEL [FLAGS...]: runs the batch once inside the server namespace
# (loopback, no delay) and samples tlscheck's VmRSS every 0.5 s.
# shellcheck disable=SC2016 # $0 and $@ expand in the inner bash
batch() {
    local label=$1 tv out samples pidfile pid tpid wall s e rc cpu rss lines bad
    shift
    tv=$WORK/runs/batch-$label.time out=$WORK/runs/batch-$label.ndjson
    samples=$WORK/runs/batch-$label.rss pidfile=$WORK/runs/batch-$label.pid
    : >"$samples"
    rm -f "$pidfile"
    local busy0 busy1
    busy0=$(host_cpu)
    s=$EPOCHREALTIME
    # The inner bash writes its pid and then execs tlscheck under that pid.
    ip netns exec "$NS_S" /usr/bin/time -v -o "$tv" timeout "$BATCH_TIMEOUT" \
        bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$TLSCHECK" --format ndjson \
        --ca-file "$CA" --input "$BATCH_FILE" "$@" >"$out" 2>"$out.err" </dev/null 9>&- &
    tpid=$!
    pid=""
    while kill -0 "$tpid" 2>/dev/null; do
        [[ -z $pid && -s $pidfile ]] && pid=$(<"$pidfile")
        if [[ -n $pid ]]; then
            awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null >>"$samples" || true
        fi
        sleep 0.5
    done
    rc=0
    wait "$tpid" || rc=$?
    e=$EPOCHREALTIME
    busy1=$(host_cpu)
    wall=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
    cpu=$(awk -v u="$(time_field 'User time' "$tv")" -v y="$(time_field 'System time' "$tv")" \
        'BEGIN { printf "%.2f", u + y }')
    rss=$(time_field 'Maximum resident set size' "$tv")
    # Target lines only: the stream ends with a summary record.
    lines=$(grep -c '^{"kind":"target"' "$out" || true)
    # Targets where some session did not get an answer from the server.
    bad=$(jq -c 'select([.servers[]?.versions[]?.result] | any(. == "timeout" or . == "dropped" or . == "not_tested"))' "$out" 2>/dev/null | grep -c . || true)
    local rmin rmax rfirst rlast n
    n=$(grep -c . "$samples" || true)
    rmin=$(sort -n "$samples" | head -n1)
    rmax=$(sort -n "$samples" | tail -n1)
    rfirst=$(head -n1 "$samples")
    rlast=$(tail -n1 "$samples")
    local busy
    busy=$(awk -v a="$busy0" -v b="$busy1" 'BEGIN { split(a, x, " "); split(b, y, " ")
        t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$cpu" "$rss" "$lines" "$bad" \
        "$n" "${rmin:--}" "${rmax:--}" "${rfirst:--}" "${rlast:--}" "$rc" "$busy" >>"$BATCH_RESULTS"
    printf '    %-28s %s s, %s lines, exit %s\n' "$label" "$wall" "$lines" "$rc"
}

log "batch: $BATCH_TARGETS targets cycling over ${batch_addrs[*]} (loopback of $NS_S, no delay)"
batch "default (32)"
batch "--max-connections $BATCH_HIGH" --max-connections "$BATCH_HIGH"

# --- tables ----------------------------------------------------------------------

# Round trips from theory, per case (see bench/README.md): as tlscheck is
# built now (QUIT is sent without waiting for the 221; the TLS 1.2 session
# with its EHLO inside TLS is the slowest: 7), and the fewest a check with
# the same results could need. A resolver 1 RTT away adds 2 (MX, then A and
# AAAA of all exchanges at once).
declare -A FLOOR_NOW FLOOR_MIN
FLOOR_NOW[$CASE_ALL]=7
FLOOR_MIN[$CASE_ALL]=6
FLOOR_NOW[$CASE_MODERN]=7
FLOOR_MIN[$CASE_MODERN]=6
FLOOR_NOW[$CASE_DNS_NEAR]=7
FLOOR_MIN[$CASE_DNS_NEAR]=6
FLOOR_NOW[$CASE_DNS_FAR]=9
FLOOR_MIN[$CASE_DNS_FAR]=8

echo
echo "=== Results: RTT $RTT_REAL ms measured (target $RTT_MS ms; $DELAY_HOW)"
echo "    median of $RUNS runs after one warm-up; CPU = user+sys incl. children; RSS = peak of the largest process;"
echo "    CONNS = SMTP connections per run (Postfix's log); FLOOR/IDEAL = RTTs from theory (bench/README.md)"
printf '%-9s %-30s %9s %9s %6s %6s %6s %8s %8s %5s %5s\n' TOOL CASE "WALL(med)" "WALL(min)" RTTs "FLOOR" "IDEAL" "CPU(med)" "RSS(max)" CONNS EXIT
while IFS=$'\t' read -r tool case wmed wmin cpu rss codes conns; do
    floor=- ideal=-
    if [[ $tool == tlscheck ]]; then floor=${FLOOR_NOW[$case]:--} ideal=${FLOOR_MIN[$case]:--}; fi
    awk -v t="$tool" -v c="$case" -v wm="$wmed" -v wn="$wmin" -v r="$RTT_REAL" -v f="$floor" \
        -v i="$ideal" -v cpu="$cpu" -v rss="$rss" -v x="$codes" -v n="$conns" 'BEGIN {
        printf "%-9s %-30s %7.0fms %7.0fms %6.1f %6s %6s %6.0fms %6.1fMB %5s %5s\n",
            t, c, wm, wn, wm / r, f, i, cpu, rss / 1024, n, x }'
done <"$RESULTS"

if ((SKIP_OTHERS == 0)); then
    echo
    echo "=== Ratios (median wall time, median CPU) against tlscheck on the same server"
    printf '%-30s %16s %16s %16s %16s\n' CASE "testssl/tlscheck" "(CPU)" "sslscan/tlscheck" "(CPU)"
    for case_name in "$CASE_ALL" "$CASE_MODERN" "$CASE_DNS_NEAR" "$CASE_CIPHERS"; do
        awk -F'\t' -v c="$case_name" '$2 == c { w[$1] = $3; u[$1] = $5 } END {
            printf "%-30s %15.1fx %15.1fx %15.1fx %15.1fx\n", c,
                w["testssl"] / w["tlscheck"], u["testssl"] / (u["tlscheck"] ? u["tlscheck"] : 1),
                w["sslscan"] / w["tlscheck"], u["sslscan"] / (u["tlscheck"] ? u["tlscheck"] : 1) }' "$RESULTS"
    done
fi

echo
echo "=== Batch: $BATCH_TARGETS targets, --format ndjson --input FILE, loopback (no delay), one run each"
echo "    CPU = tlscheck user+sys; ms/target = that CPU per target; HOST = busy share of all cores during the run"
echo "    (Postfix on the same machine does the other half of every handshake); VmRSS sampled every 0.5 s"
echo "    from /proc/PID/status; NO ANSWER = targets with a session that timed out, was dropped or not tested"
echo "    GROWTH = (last - first VmRSS sample) / targets: ~0 when memory is steady"
printf '%-26s %7s %9s %7s %9s %5s %8s %6s %6s %7s %28s %9s %4s\n' "--max-connections" WALL "targets/s" CPU "ms/target" HOST "RSS(max)" LINES "NO ANS" SAMPLES "VmRSS min/max (first..last)" GROWTH EXIT
while IFS=$'\t' read -r label wall cpu rss lines bad n rmin rmax rfirst rlast rc busy; do
    awk -v l="$label" -v w="$wall" -v c="$cpu" -v r="$rss" -v ln="$lines" -v b="$bad" -v n="$n" \
        -v a="$rmin" -v z="$rmax" -v f="$rfirst" -v la="$rlast" -v t="$BATCH_TARGETS" -v x="$rc" -v h="$busy" 'BEGIN {
        printf "%-26s %6.1fs %9.0f %6.2fs %9.2f %4d%% %6.1fMB %6d %6d %7d %28s %6.1fKB %4s\n", l, w, t / w, c, 1000 * c / t, h,
            r / 1024, ln, b, n, sprintf("%.1f/%.1fMB (%.1f..%.1f)", a / 1024, z / 1024, f / 1024, la / 1024),
            (la - f) / t, x }'
done <"$BATCH_RESULTS"

echo
[[ -n ${BENCH_OUT:-} ]] && echo "raw outputs kept in $WORK" || echo "raw outputs were in $WORK (set BENCH_OUT=DIR to keep them)"

if [[ -n ${BENCH_HOLD:-} ]]; then
    hold=$((BENCH_HOLD > 1800 ? 1800 : BENCH_HOLD))
    echo "BENCH_HOLD: namespaces $NS_C/$NS_S stay up for ${hold}s (ip netns exec $NS_C ...)"
    sleep "$hold"
fi
