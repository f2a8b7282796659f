# shellcheck shell=bash
# Debian package set-up shared by scripts/test.sh and tests/e2e/*.sh.
# Source it; it defines functions only and changes no shell options.

# Runs `apt-get update` at most once per process tree.
_debs_updated=${_DEBS_UPDATED:-0}

# Prints each package in "$@" that dpkg does not report as installed.
debs_missing() {
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$pkg"
        fi
    done
}

# Installs the packages in "$@" that are missing; needs root. Postfix is
# pre-seeded with "No configuration" so it installs without a dialogue and
# without configuring (or starting) a system-wide mail server.
debs_ensure() {
    local missing
    mapfile -t missing < <(debs_missing "$@")
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if ((EUID != 0)); then
        echo "error: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    if ((_debs_updated == 0)); then
        apt-get update
        _debs_updated=1
        export _DEBS_UPDATED=1
    fi
    if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
}
