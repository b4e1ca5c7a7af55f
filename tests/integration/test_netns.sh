#!/usr/bin/env bash
# The network-namespace kit (netns.sh) checks itself: two hosts talk UDP
# through the switch; a symmetric partition, a one-way partition, full
# loss and a link down each stop what they should and no more; healing
# restores the traffic; cleanup leaves no namespace behind. Prints TAP.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/netns.sh"

PY=/usr/bin/python3
if ! netns_available; then
    echo "1..0 # SKIP network namespaces cannot be created here (needs root and ip netns)"
    exit 0
fi
if [ ! -x "$PY" ]; then
    echo "1..0 # SKIP $PY missing (scripts/install-deps.sh installs it)"
    exit 0
fi

netns_setup 2
t_ok $? "two hosts behind a switch"
t_eq "host 2's address" "$(netns_exec 2 ip -4 -o addr show dev eth0 | awk '{print $4}')" "10.77.0.2/24"
t_eq "the root namespace holds no test address" \
    "$(ip -4 -o addr show | grep -c " $NETNS_SUBNET\.")" 0

# A UDP echo server on each host, port 7000.
ECHO='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind((sys.argv[1],7000))
while True:
    d,a=s.recvfrom(2048); s.sendto(d,a)'
# udp_ping FROM TO: one datagram to TO's echo server; true on the echo
# (0.5 s to answer: a bounded wait for an absence, not a pause).
PING='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(b"ping",(sys.argv[1],7000))
try:
    d,_=s.recvfrom(2048); sys.exit(0 if d==b"ping" else 1)
except OSError:
    sys.exit(1)'
netns_spawn 1 "$PY" -c "$ECHO" "$(netns_ip 1)"
netns_spawn 2 "$PY" -c "$ECHO" "$(netns_ip 2)"
udp_ping() { netns_exec "$1" "$PY" -c "$PING" "$(netns_ip "$2")"; }

wait_until 50 udp_ping 1 2
t_ok $? "1 -> 2 echoes"
wait_until 50 udp_ping 2 1
t_ok $? "2 -> 1 echoes"

if netns_have_nft; then
    netns_partition 1 2
    udp_ping 1 2
    t_ok $([ $? -ne 0 ]; echo $?) "partitioned: 1 -> 2 blocked"
    udp_ping 2 1
    t_ok $([ $? -ne 0 ]; echo $?) "partitioned: 2 -> 1 blocked"
    netns_heal 1 2
    wait_until 50 udp_ping 1 2
    t_ok $? "healed: 1 -> 2 echoes again"

    # One way: what 1 sends to 2 is dropped. 2's request reaches 1, but
    # the echo (1 -> 2) is lost, and 1's request never reaches 2: both
    # fail, yet 2 -> 1 traffic itself flows, which the counter shows.
    netns_partition_oneway 1 2
    udp_ping 1 2
    t_ok $([ $? -ne 0 ]; echo $?) "one-way: 1 -> 2 blocked"
    RECV='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind((sys.argv[1],7001)); s.settimeout(3)
try:
    s.recvfrom(16); sys.exit(0)
except OSError:
    sys.exit(1)'
    SEND='import socket,sys
socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b"x",(sys.argv[1],7001))'
    netns_spawn 1 "$PY" -c "$RECV" "$(netns_ip 1)"
    recv_pid=$!
    got=1
    for _ in $(seq 30); do
        netns_exec 2 "$PY" -c "$SEND" "$(netns_ip 1)"
        if ! kill -0 "$recv_pid" 2>/dev/null; then
            wait "$recv_pid"
            got=$?
            break
        fi
        sleep 0.1
    done
    t_eq "one-way: 2 -> 1 still delivered" "$got" 0
    netns_heal
    wait_until 50 udp_ping 1 2
    t_ok $? "heal all: 1 -> 2 echoes again"

    netns_loss 1 100
    udp_ping 1 2
    t_ok $([ $? -ne 0 ]; echo $?) "100% loss from 1: blocked"
    netns_heal 1 any
    # 50%: some of 40 datagrams get through and some do not (the chance
    # that all 40 fall one way is 2^-39).
    netns_loss 1 50 2
    SENDN='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(40): s.sendto(b"%d" % i,(sys.argv[1],7002))'
    COUNT='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind((sys.argv[1],7002)); s.settimeout(1); n=0
open(sys.argv[2],"w").close()
try:
    while True: s.recvfrom(16); n+=1
except OSError:
    pass
print(n)'
    netns_spawn 2 "$PY" -c "$COUNT" "$(netns_ip 2)" "$T_TMP/ready" >"$T_TMP/count"
    count_pid=$!
    wait_until 50 test -e "$T_TMP/ready"
    netns_exec 1 "$PY" -c "$SENDN" "$(netns_ip 2)"
    wait "$count_pid"
    n=$(cat "$T_TMP/count")
    t_ok $([ "$n" -gt 0 ] && [ "$n" -lt 40 ]; echo $?) "50% loss: $n of 40 arrived"
    netns_loss 1 100
    netns_heal 1 any
    wait_until 50 udp_ping 1 2
    t_ok $? "loss removed: echoes again"

    netns_isolate 2
    udp_ping 1 2
    t_ok $([ $? -ne 0 ]; echo $?) "host 2 isolated"
    netns_heal
else
    t_ok 0 "# SKIP nft is not installed: no partition checks (scripts/install-deps.sh installs nftables)"
fi

netns_link_down 2
udp_ping 1 2
t_ok $([ $? -ne 0 ]; echo $?) "link down: blocked"
netns_link_up 2
wait_until 50 udp_ping 1 2
t_ok $? "link up: echoes again"

netns_cleanup
t_eq "cleanup leaves no namespace" "$(ip netns list | grep -c "^${NETNS_PREFIX}")" 0
done_testing
