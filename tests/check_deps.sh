#!/usr/bin/env bash
# Fails on any #include "..." of ours that breaks the layer table of
# ARCHITECTURE.md, and on <uv.h>, <lmdb.h> or <curl/...> outside the files
# allowed to use them. Usage: check_deps.sh [ROOT]. Prints TAP.
set -u
root=${1:-${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$root" || exit 1

# May file $1 include our header $2?
allowed_ours() {
    local f=$1 h=$2
    case $h in config.h) return 0 ;; */../* | ../* | ./*) return 1 ;; esac
    case $f in
    agent/main.c | agent/agent.c | agent/agent.h | agent/agent_mesh.* | agent/config.* | agent/reload.*) return 0 ;;
    tests/*) return 0 ;;
    lib/*) [[ $h == lib/* ]] ;;
    mesh/*) [[ $h == lib/* || $h == mesh/* ]] ;;
    discovery/*) [[ $h == lib/* || $h == mesh/mesh.h || $h == mesh/records.h || $h == discovery/* ]] ;;
    scheduler/*) [[ $h == lib/* || $h == scheduler/* ]] ;;
    drivers/*) [[ $h == lib/* || $h == drivers/* ]] ;;
    agent/server/*) [[ $h == lib/* || $h == mesh/* || $h == scheduler/* || $h == agent/server/* ]] ;;
    agent/client/*) [[ $h == lib/* || $h == mesh/* || $h == discovery/* || $h == drivers/* || $h == agent/client/* ]] ;;
    agent/api/*) [[ $h == lib/* || $h == agent/api/* ]] ;;
    agent/http/*) [[ $h == lib/* || $h == discovery/* || $h == agent/server/server.h || $h == agent/client/client.h || $h == agent/http/* ]] ;;
    agent/cli/*) [[ $h == lib/* || $h == agent/api/* || $h == agent/cli/* ]] ;;
    *) return 1 ;;
    esac
}

# May file $1 include the system header $2 (only uv, lmdb, curl are limited)?
allowed_system() {
    local f=$1 h=$2
    case $h in
    uv.h | uv/*)
        case $f in
        lib/*) return 1 ;;
        mesh/*_uv.c | mesh/*_uv.h | mesh/raft/*_uv.c | discovery/check_uv.c) return 0 ;;
        mesh/* | discovery/* | scheduler/* | agent/api/* | agent/cli/*) return 1 ;;
        *) return 0 ;;
        esac ;;
    lmdb.h)
        case $f in
        mesh/raft/raft_lmdb.c | agent/server/state/* | agent/client/client_state.c | agent/main.c | agent/agent.c | tests/*) return 0 ;;
        *) return 1 ;;
        esac ;;
    curl/*)
        case $f in
        lib/* | mesh/* | scheduler/* | agent/cli/* | agent/server/*) return 1 ;;
        discovery/*) [[ $f == discovery/check_uv.c ]] ;;
        *) return 0 ;;
        esac ;;
    *) return 0 ;;
    esac
}

bad=0
n=0
while IFS= read -r f; do
    while IFS= read -r line; do
        lineno=${line%%:*}
        rest=${line#*:}
        if [[ $rest =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
            h=${BASH_REMATCH[1]}
            if ! allowed_ours "$f" "$h"; then
                echo "# $f:$lineno: includes \"$h\", which its layer may not include"
                bad=$((bad + 1))
            fi
        elif [[ $rest =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
            h=${BASH_REMATCH[1]}
            if ! allowed_system "$f" "$h"; then
                echo "# $f:$lineno: includes <$h>, which this file may not use"
                bad=$((bad + 1))
            fi
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
    n=$((n + 1))
done < <(find lib mesh discovery scheduler drivers agent -name '*.[ch]' 2>/dev/null | sort)

echo "1..1"
if [ "$bad" -eq 0 ]; then
    echo "ok 1 - layering: $n files respect ARCHITECTURE.md"
    exit 0
fi
echo "not ok 1 - layering: $bad include(s) break ARCHITECTURE.md"
exit 1
