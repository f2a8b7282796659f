# shellcheck shell=bash
# Helpers shared by the scripts that run private Postfix instances
# (tests/e2e/postfix.sh, tests/e2e/listen.sh). Source it; it defines
# functions only.

log() { printf '==> %s\n' "$*"; }

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Stops the instance whose config dir is $1 and waits (bounded) until its
# master is gone, so that the directory can be removed afterwards.
stop_instance() {
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
