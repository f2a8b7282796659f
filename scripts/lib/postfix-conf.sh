# shellcheck shell=bash
# The one generator of private Postfix instance configurations, shared by
# tests/e2e/postfix.sh, tests/e2e/listen.sh and bench/run.sh. Source it; it
# defines functions only and prints configuration text on stdout, so each
# caller appends what is its own (listeners, limits, relayhost) after it.
#
# Every instance is private: its own queue, data and log directories under
# the caller's work directory, no chroot, no local delivery, no mail to
# postmaster (notify_classes empty). See
# /usr/share/doc/postfix (postconf(5), master(5)) for each parameter.

# Postfix spells TLS 1.0 "TLSv1" (postconf(5) smtpd_tls_protocols).
postfix_proto() {
    if [[ $1 == 1.0 ]]; then echo TLSv1; else echo "TLSv$1"; fi
}

# A protocol range for smtpd_tls_protocols / smtp_tls_protocols from
# "LOW-HIGH" in tlscheck's spelling: "1.0-1.2" -> ">=TLSv1,<=TLSv1.2".
postfix_protocol_range() {
    echo ">=$(postfix_proto "${1%-*}"),<=$(postfix_proto "${1#*-}")"
}

# main.cf lines every private instance has. $1 the instance directory (its
# spool/, data/ and log/ are used), $2 who wrote it (a comment), $3
# myhostname, $4 mydomain, $5 inet_interfaces.
postfix_main_cf() {
    local dir=$1 writer=$2 host=$3 domain=$4 interfaces=$5
    cat <<CONF
# Private instance written by $writer.
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir/log
myhostname = $host
mydomain = $domain
inet_interfaces = $interfaces
inet_protocols = ipv4
mydestination =
alias_maps =
alias_database =
# A broken listener would mail a transcript to postmaster on every connection.
notify_classes =
biff = no
smtputf8_enable = no
CONF
}

# main.cf lines of an instance that receives but delivers nothing: every
# transport is an error transport naming $1.
postfix_receive_only() {
    cat <<CONF
# It receives but delivers nothing.
relay_domains =
local_recipient_maps =
default_transport = error:$1 delivers nothing
local_transport = error:$1 delivers nothing
relay_transport = error:$1 delivers nothing
CONF
}

# The internal services of master.cf (after the caller's smtpd listeners).
# With "sender" as $1 it adds the smtp and relay clients a sending instance
# needs. chroot (5th column) is off everywhere, so nothing has to be copied
# into a jail.
postfix_services() {
    cat <<'CONF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
CONF
    if [[ ${1:-} == sender ]]; then
        cat <<'CONF'
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
CONF
    fi
    cat <<'CONF'
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
}
