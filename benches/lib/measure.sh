# shellcheck shell=bash
# What benches/scale and benches/copies share: the tools they measure with,
# psql, and reading the counts of `koc process --json`. Sourced, not run.

# Installs GNU time (not the shell keyword: for the peak memory) and jq (to
# check counts) with apt-get when missing, as scripts/test may run the
# scripts on a fresh machine; fails with $1 (the caller's name) when they
# are still missing.
koc_bench_tools() {
    local missing=() privileged=()
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v jq >/dev/null || missing+=(jq)
    if ((${#missing[@]})) && command -v apt-get >/dev/null; then
        printf '%s: installing %s (apt-get install)\n' "$1" "${missing[*]}" >&2
        ((EUID == 0)) || privileged=(sudo)
        "${privileged[@]}" apt-get update -qq >&2 || true
        "${privileged[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || true
    fi
    [[ -x /usr/bin/time ]] || { printf '%s: GNU time (/usr/bin/time) is needed: apt-get install time\n' "$1" >&2; return 2; }
    command -v jq >/dev/null || { printf '%s: jq is needed to check the counts: apt-get install jq\n' "$1" >&2; return 2; }
}

# Prints the path of psql, or nothing when there is none.
koc_bench_psql() {
    local found=(/usr/lib/postgresql/*/bin/psql)
    command -v psql || { [[ -x ${found[-1]} ]] && printf '%s' "${found[-1]}"; } || true
}

# koc_process_counts FILE: the processed count and the outcome counts of the
# output of `koc process --json` in FILE, as sorted compact JSON (empty when
# FILE has none), to compare with the generator's expected.json. The totals
# follow the results array, which ends with a line "  ],", at the end of the
# output: only its last 4 kB are read, however many results precede them.
koc_process_counts() {
    tail -c 4096 "$1" | sed -n '/^  \],$/,$p' | sed '1s/.*/{/' | jq -cS '{processed, outcomes}' 2>/dev/null || true
}
