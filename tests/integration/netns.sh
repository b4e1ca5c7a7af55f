# Several hosts on one machine, for mesh and Raft tests: source this file.
#
#   netns_available || skip       namespaces (and root) are usable here
#   netns_setup 3                 switch + hosts 1..3 at 10.77.0.1..3/24
#   netns_exec 2 cmd args...      runs cmd inside host 2 (foreground)
#   netns_spawn 2 cmd args...     the same in the background; $! is its pid
#   netns_ip 2                    prints 10.77.0.2
#   netns_partition 1 2           drops everything between hosts 1 and 2
#   netns_partition_oneway 1 2    drops what 1 sends to 2 (2 -> 1 still flows)
#   netns_isolate 3               drops everything to and from host 3
#   netns_loss 1 30 [2]           drops 30% of what 1 sends (to 2, or to all)
#   netns_heal [1 2]              removes the rules between 1 and 2 (or all)
#   netns_link_down 2 / netns_link_up 2
#   netns_cleanup                 ends processes, removes everything; also
#                                 runs on EXIT, whatever the test's outcome
#
# Layout: one "switch" namespace holding a bridge, and one namespace per
# host with eth0 on a veth pair whose other end (port pN) is a bridge port
# in the switch. Hosts are reached only from inside namespaces: nothing
# crosses the root namespace. Faults are nft rules in the switch's bridge
# family forward hook, so they are silent drops, as a real partition is.
# There is no tc netem on these machines: added delay comes from the
# transport's own fault injection (mesh/net.h).
#
# Names carry a per-run prefix (the pid), so tests run in parallel do not
# clash; addresses may repeat, since each run has its own switch.

NETNS_PREFIX=${NETNS_PREFIX:-cv$$}
NETNS_SWITCH=${NETNS_PREFIX}sw
NETNS_SUBNET=${NETNS_SUBNET:-10.77.0}
NETNS_N=0
NETNS_NFT_TABLE=caravan_faults

# The namespace of host $1.
netns_name() { echo "${NETNS_PREFIX}h$1"; }
netns_ip() { echo "$NETNS_SUBNET.$1"; }

# True when namespaces can be made here (root, ip(8), a kernel that
# allows them). Leaves nothing behind.
netns_available() {
    local probe=${NETNS_PREFIX}probe
    [ "$(id -u)" -eq 0 ] || return 1
    command -v ip >/dev/null 2>&1 || return 1
    ip netns add "$probe" 2>/dev/null || return 1
    ip netns del "$probe" 2>/dev/null
    return 0
}

# True when nft(8) is installed (partitions and loss need it).
netns_have_nft() { command -v nft >/dev/null 2>&1; }

_netns_sw() { ip netns exec "$NETNS_SWITCH" "$@"; }

# netns_setup N: the switch and hosts 1..N. Fails (and cleans up) on any
# error.
netns_setup() {
    local n=$1 i ns
    _netns_trap
    ip netns add "$NETNS_SWITCH" || return 1
    ip -n "$NETNS_SWITCH" link set lo up &&
        ip -n "$NETNS_SWITCH" link add br0 type bridge &&
        ip -n "$NETNS_SWITCH" link set br0 up || { netns_cleanup; return 1; }
    for ((i = 1; i <= n; i++)); do
        ns=$(netns_name "$i")
        ip netns add "$ns" &&
            ip -n "$ns" link set lo up &&
            ip -n "$ns" link add eth0 type veth peer name "p$i" netns "$NETNS_SWITCH" &&
            ip -n "$NETNS_SWITCH" link set "p$i" master br0 &&
            ip -n "$NETNS_SWITCH" link set "p$i" up &&
            ip -n "$ns" addr add "$(netns_ip "$i")/24" dev eth0 &&
            ip -n "$ns" link set eth0 up || { netns_cleanup; return 1; }
        NETNS_N=$i
    done
    if netns_have_nft; then
        _netns_sw nft -f - <<EOF || { netns_cleanup; return 1; }
table bridge $NETNS_NFT_TABLE {
    chain forward {
        type filter hook forward priority 0; policy accept;
    }
}
EOF
    fi
    return 0
}

netns_exec() {
    local h=$1
    shift
    ip netns exec "$(netns_name "$h")" "$@"
}

# Runs in the background; the caller reads $! (netns_cleanup ends it).
netns_spawn() {
    local h=$1
    shift
    ip netns exec "$(netns_name "$h")" "$@" &
}

# _netns_rule TAG RULE...: adds a drop rule tagged for netns_heal.
_netns_rule() {
    local tag=$1
    shift
    netns_have_nft || { echo "netns: nft is not installed" >&2; return 1; }
    _netns_sw nft add rule bridge "$NETNS_NFT_TABLE" forward "$@" drop comment "\"$tag\""
}

netns_partition_oneway() { # from to
    _netns_rule "pair-$1-$2" iifname "p$1" oifname "p$2"
}

netns_partition() { # a b
    netns_partition_oneway "$1" "$2" && netns_partition_oneway "$2" "$1"
}

netns_isolate() { # host
    _netns_rule "pair-$1-any" iifname "p$1" &&
        _netns_rule "pair-any-$1" oifname "p$1"
}

# netns_loss FROM PERCENT [TO]: random loss, decided per packet.
netns_loss() {
    local from=$1 pct=$2 to=${3:-} match=()
    [ "$pct" -le 0 ] && return 0
    # numgen's values are 0..99: "lt 100" is out of its range.
    [ "$pct" -lt 100 ] && match=(numgen random mod 100 lt "$pct")
    if [ -n "$to" ]; then
        _netns_rule "loss-$from-$to" iifname "p$from" oifname "p$to" "${match[@]}"
    else
        _netns_rule "loss-$from-any" iifname "p$from" "${match[@]}"
    fi
}

# netns_heal [A B]: removes the rules between A and B (both ways, loss
# included), or every rule.
netns_heal() {
    local h
    netns_have_nft || return 0
    if [ $# -eq 0 ]; then
        _netns_sw nft flush chain bridge "$NETNS_NFT_TABLE" forward
        return
    fi
    for h in $(_netns_sw nft -a list chain bridge "$NETNS_NFT_TABLE" forward |
        awk -v a="$1" -v b="$2" '
            /comment/ && /# handle/ {
                if ($0 ~ "\"(pair|loss)-" a "-" b "\"" ||
                    $0 ~ "\"(pair|loss)-" b "-" a "\"")
                    print $NF
            }'); do
        _netns_sw nft delete rule bridge "$NETNS_NFT_TABLE" forward handle "$h"
    done
}

netns_link_down() { ip -n "$NETNS_SWITCH" link set "p$1" down; }
netns_link_up() { ip -n "$NETNS_SWITCH" link set "p$1" up; }

# Ends every process inside our namespaces, then removes them. Safe to
# call more than once.
netns_cleanup() {
    local ns pids
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${NETNS_PREFIX}"); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill $pids 2>/dev/null
    done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${NETNS_PREFIX}"); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    NETNS_N=0
}

# Chains netns_cleanup in front of whatever EXIT trap the test has, and
# turns INT/TERM into an exit so that it runs then too.
_netns_trap() {
    local old
    old=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
    case $old in *netns_cleanup*) return ;; esac
    # shellcheck disable=SC2064
    trap "netns_cleanup; $old" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
