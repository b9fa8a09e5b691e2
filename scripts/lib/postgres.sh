# shellcheck shell=bash
# shellcheck disable=SC2119 # koc_pg_stop without arguments stops our own cluster
#
# A throwaway PostgreSQL cluster for tests and development.
#
#     source scripts/lib/postgres.sh
#     koc_pg_start          # exports DATABASE_URL, KOC_PG_DIR, ...
#     cargo test -p koc-store-postgres
#     koc_pg_stop           # stops the server and deletes its directory
#
# scripts/test uses these functions (with a trap so the cluster goes away even
# when a step fails); scripts/pg-start and scripts/pg-stop wrap them for a
# developer's shell.
#
# The cluster lives in a fresh temporary directory, listens on a free port on
# 127.0.0.1 only (plus a Unix socket inside that directory), trusts every
# local connection and runs with fsync off: it is for tests, never for data.
#
# initdb and postgres refuse to run as root, so as root the cluster runs as an
# unprivileged user: $KOC_PG_OS_USER if set, else `postgres` when it exists,
# else a `koc-test` system user that is created for the purpose.
#
# Knobs (all optional):
#   KOC_PG_BINDIR   directory with initdb, pg_ctl and postgres (default: the
#                   newest /usr/lib/postgresql/*/bin, else wherever initdb is
#                   on PATH)
#   KOC_PG_OS_USER  the OS user to run the server as when we are root
#   KOC_PG_TMPDIR   where to create the cluster directory (default $TMPDIR or
#                   /tmp); it must be reachable by that user
#   KOC_PG_OPTIONS  more server options, appended to the defaults (e.g.
#                   "-c shared_preload_libraries=pg_stat_statements" to
#                   profile, "-c synchronous_commit=on" to measure with the
#                   server's defaults)
#
# The functions return non-zero on failure instead of exiting, so they are
# safe to source into an interactive shell; messages go to stderr.

_koc_pg_say() { printf 'postgres: %s\n' "$*" >&2; }

# Prints the directory holding initdb, pg_ctl and postgres; fails if none.
koc_pg_bindir() {
    local dir candidate
    if [[ -n ${KOC_PG_BINDIR:-} ]]; then
        if [[ -x $KOC_PG_BINDIR/initdb && -x $KOC_PG_BINDIR/pg_ctl && -x $KOC_PG_BINDIR/postgres ]]; then
            printf '%s\n' "$KOC_PG_BINDIR"
            return 0
        fi
        _koc_pg_say "KOC_PG_BINDIR=$KOC_PG_BINDIR lacks initdb, pg_ctl or postgres"
        return 1
    fi
    # Debian keeps the server binaries out of PATH, one directory per version.
    dir=""
    for candidate in /usr/lib/postgresql/*/bin; do
        [[ -x $candidate/initdb && -x $candidate/pg_ctl && -x $candidate/postgres ]] || continue
        if [[ -z $dir ]] || [[ $(printf '%s\n%s\n' "$dir" "$candidate" | sort -V | tail -n 1) == "$candidate" ]]; then
            dir=$candidate
        fi
    done
    if [[ -z $dir ]] && candidate=$(command -v initdb 2>/dev/null); then
        candidate=$(readlink -f "$candidate")
        dir=${candidate%/*}
        [[ -x $dir/pg_ctl && -x $dir/postgres ]] || dir=""
    fi
    [[ -n $dir ]] || return 1
    printf '%s\n' "$dir"
}

# Installs the PostgreSQL server with apt-get when no initdb can be found.
koc_pg_install() {
    if koc_pg_bindir >/dev/null; then
        _koc_pg_say "server found in $(koc_pg_bindir)"
        return 0
    fi
    local -a privileged=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            privileged=(sudo)
        else
            _koc_pg_say "no PostgreSQL server found, and neither root nor sudo to install it"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        _koc_pg_say "no PostgreSQL server found and no apt-get: install PostgreSQL (initdb, pg_ctl, postgres) or set KOC_PG_BINDIR"
        return 1
    fi
    _koc_pg_say "no PostgreSQL server found; installing it with apt-get"
    "${privileged[@]}" apt-get update || return 1
    "${privileged[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends postgresql || return 1
    if ! koc_pg_bindir >/dev/null; then
        _koc_pg_say "installed the postgresql package but still found no initdb"
        return 1
    fi
    _koc_pg_say "server installed in $(koc_pg_bindir)"
}

# Prints the name of the OS user the server will run as (empty: ourselves),
# creating `koc-test` when we are root and no suitable user exists.
_koc_pg_os_user() {
    if [[ $(id -u) -ne 0 ]]; then
        printf '\n'
        return 0
    fi
    local user=${KOC_PG_OS_USER:-}
    if [[ -z $user ]]; then
        if id -u postgres >/dev/null 2>&1 && [[ $(id -u postgres) -ne 0 ]]; then
            user=postgres
        else
            user=koc-test
        fi
    fi
    if ! id -u "$user" >/dev/null 2>&1; then
        _koc_pg_say "creating system user $user to run the server (initdb refuses root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$user" >&2 || return 1
    fi
    if [[ $(id -u "$user") -eq 0 ]]; then
        _koc_pg_say "user $user is root; the server needs an unprivileged user"
        return 1
    fi
    printf '%s\n' "$user"
}

# Runs a command as $KOC_PG_OS_USER (or as ourselves when that is empty),
# from the cluster directory so the command never trips over a cwd it
# cannot read.
_koc_pg_as() {
    local user=$1
    shift
    (
        cd "$KOC_PG_DIR" || exit 1
        if [[ -z $user ]]; then
            exec "$@"
        elif command -v runuser >/dev/null 2>&1; then
            exec runuser -u "$user" -- "$@"
        elif command -v setpriv >/dev/null 2>&1; then
            exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
        else
            exec su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"
        fi
    )
}

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
_koc_pg_free_port() {
    local port
    if command -v python3 >/dev/null 2>&1 &&
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null) &&
        [[ -n $port ]]; then
        printf '%s\n' "$port"
        return 0
    fi
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    return 1
}

# Starts a throwaway cluster and exports DATABASE_URL (plus KOC_PG_DIR,
# KOC_PG_PORT, KOC_PG_OS_USER and KOC_PG_BINDIR, which koc_pg_stop uses).
koc_pg_start() {
    if [[ -n ${KOC_PG_DIR:-} && -d ${KOC_PG_DIR:-} ]]; then
        _koc_pg_say "a cluster is already running from $KOC_PG_DIR (koc_pg_stop first)"
        return 1
    fi
    local bindir user base
    if ! bindir=$(koc_pg_bindir); then
        _koc_pg_say "no PostgreSQL server found (initdb, pg_ctl, postgres); run koc_pg_install"
        return 1
    fi
    user=$(_koc_pg_os_user) || return 1
    base=${KOC_PG_TMPDIR:-${TMPDIR:-/tmp}}
    KOC_PG_DIR=$(mktemp -d "$base/koc-pg.XXXXXX") || return 1
    export KOC_PG_DIR KOC_PG_BINDIR=$bindir KOC_PG_OS_USER=$user
    mkdir "$KOC_PG_DIR/socket" || { koc_pg_stop; return 1; }
    if [[ -n $user ]]; then
        chown -R "$user:$(id -g "$user")" "$KOC_PG_DIR" || { koc_pg_stop; return 1; }
        if ! _koc_pg_as "$user" test -w "$KOC_PG_DIR"; then
            _koc_pg_say "user $user cannot write to $KOC_PG_DIR; set KOC_PG_TMPDIR to a directory it can reach"
            koc_pg_stop
            return 1
        fi
    fi
    _koc_pg_say "initdb in $KOC_PG_DIR/data${user:+ as user $user} ($bindir)"
    if ! _koc_pg_as "$user" "$bindir/initdb" --pgdata="$KOC_PG_DIR/data" --username=postgres \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >"$KOC_PG_DIR/initdb.log" 2>&1; then
        _koc_pg_say "initdb failed:"
        cat "$KOC_PG_DIR/initdb.log" >&2 || true
        koc_pg_stop
        return 1
    fi
    local attempt port
    for ((attempt = 1; attempt <= 5; attempt++)); do
        port=$(_koc_pg_free_port) || { _koc_pg_say "found no free port"; break; }
        _koc_pg_say "starting on 127.0.0.1:$port"
        if _koc_pg_as "$user" "$bindir/pg_ctl" --pgdata="$KOC_PG_DIR/data" \
            --log="$KOC_PG_DIR/server.log" --wait --timeout=60 --silent \
            -o "-k '$KOC_PG_DIR/socket' -h 127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${KOC_PG_OPTIONS:-}" \
            start >&2; then
            export KOC_PG_PORT=$port
            export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
            _koc_pg_say "ready: DATABASE_URL=$DATABASE_URL"
            return 0
        fi
        # Another process may have taken the port between our probe and the
        # bind; anything else is a real failure.
        if ! grep -q 'could not bind\|Address already in use' "$KOC_PG_DIR/server.log" 2>/dev/null; then
            break
        fi
        _koc_pg_say "port $port was taken; trying another"
    done
    _koc_pg_say "the server did not start; its log:"
    cat "$KOC_PG_DIR/server.log" >&2 || true
    koc_pg_stop
    return 1
}

# Stops the cluster started by koc_pg_start (or the one in the directory given
# as $1) and deletes its directory. Safe to call more than once.
# shellcheck disable=SC2120 # the directory argument is optional
koc_pg_stop() {
    local dir=${1:-${KOC_PG_DIR:-}}
    [[ -n $dir ]] || return 0
    if [[ ! -d $dir ]]; then
        [[ $dir == "${KOC_PG_DIR:-}" ]] && unset KOC_PG_DIR KOC_PG_PORT DATABASE_URL
        return 0
    fi
    # Only ever delete what koc_pg_start made.
    if [[ ${dir##*/} != koc-pg.* ]]; then
        _koc_pg_say "$dir was not made by koc_pg_start; not touching it"
        return 1
    fi
    local user bindir pid
    user=$(stat -c %U "$dir")
    [[ $user == "$(id -un)" ]] && user=""
    bindir=${KOC_PG_BINDIR:-$(koc_pg_bindir)}
    if [[ -f $dir/data/postmaster.pid ]]; then
        # The data is thrown away, so there is nothing to flush: immediate.
        KOC_PG_DIR=$dir _koc_pg_as "$user" "$bindir/pg_ctl" --pgdata="$dir/data" \
            --mode=immediate --wait --timeout=30 --silent stop >/dev/null 2>&1
        if [[ -f $dir/data/postmaster.pid ]]; then
            pid=$(head -n 1 "$dir/data/postmaster.pid")
            if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                _koc_pg_say "pg_ctl stop did not stop postmaster $pid; killing it"
                kill -KILL "$pid" 2>/dev/null
                local waited
                for ((waited = 0; waited < 50; waited++)); do
                    kill -0 "$pid" 2>/dev/null || break
                    sleep 0.1
                done
            fi
        fi
    fi
    rm -rf -- "$dir"
    if [[ -e $dir ]]; then
        _koc_pg_say "could not remove $dir"
        return 1
    fi
    _koc_pg_say "stopped and removed $dir"
    if [[ $dir == "${KOC_PG_DIR:-}" ]]; then
        unset KOC_PG_DIR KOC_PG_PORT DATABASE_URL
    fi
    return 0
}
