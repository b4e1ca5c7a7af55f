#!/usr/bin/env bash
# The gossip keyring of an agent: `caravan operator gossip keyring` in its
# subcommand and flag forms, Nomad's /v1/agent/keyring/ endpoints, the
# keyring file in the data dir (made from -encrypt or server { encrypt }
# on first start, ruling after), and Nomad's errors for bad operations.
. "$(dirname "$0")/lib.sh"

KR="$CARAVAN operator gossip keyring"

t_run "generate" 0 $KR generate
K1=$T_OUT
t_eq "a key is 44 characters of base64" "${#K1}" 44
t_eq "of 32 bytes" "$(printf '%s' "$K1" | base64 -d | wc -c)" 32
t_run "generate as a flag" 0 $KR -generate
K2=$T_OUT
t_ok $([ "$K1" != "$K2" ]; echo $?) "two keys differ"
K3=$($KR generate)
t_run "no subcommand" 1 $KR
t_contains "prints the help" "$T_ERR" "Usage: caravan operator gossip keyring"
t_run "two actions" 1 $KR -list -generate
t_contains "says so" "$T_ERR" "Only a single action is allowed"
t_run "install without a key" 1 $KR install
t_contains "asks for it" "$T_ERR" "This command requires one argument"

# An agent whose data dir survives it, started with -encrypt.
DATA=$T_TMP/data
PORT=$(free_port)
export CARAVAN_ADDR=http://127.0.0.1:$PORT
start_agent() { # extra agent args...
    "$CARAVAN" agent -dev -data-dir "$DATA" -http-port "$PORT" "$@" \
        >"$T_TMP/agent.log" 2>&1 &
    AGENT=$!
    wait_until 100 curl -sf "$CARAVAN_ADDR/v1/agent/keyring/list"
}
stop_agent() {
    kill -INT "$AGENT" 2>/dev/null
    wait "$AGENT" 2>/dev/null
}
trap 'stop_agent; rm -rf "$T_TMP"' EXIT

start_agent -encrypt "$K1"
t_ok $? "agent with -encrypt is up"
t_run "list" 0 $KR list
t_eq "lists the -encrypt key" "$T_OUT" "Gathering installed encryption keys...
Key
$K1"
t_eq "the keyring file is the owner's only" "$(stat -c %a "$DATA/keyring")" 600
t_eq "and holds the key" "$(jq -r '.[0]' "$DATA/keyring")" "$K1"

t_run "install" 0 $KR install "$K2"
t_eq "says so" "$T_OUT" "Installing new gossip encryption key..."
t_run "list with two" 0 $KR -list
t_eq "primary first" "$T_OUT" "Gathering installed encryption keys...
Key
$K1
$K2"
t_run "use the new key (flag form)" 0 $KR -use="$K2"
t_eq "says so" "$T_OUT" "Changing primary gossip encryption key..."
t_eq "the API lists both" \
    "$(curl -sf "$CARAVAN_ADDR/v1/agent/keyring/list" | jq -c '[(.Keys | length), .NumNodes]')" \
    "[2,1]"
t_run "remove the primary" 1 $KR remove "$K2"
t_contains "is refused" "$T_ERR" "error: Unexpected response code: 500 (Removing the primary key is not allowed)"
t_run "use a key not installed" 1 $KR use "$K3"
t_contains "is refused" "$T_ERR" "Requested key is not in the keyring"
t_run "install a bad key" 1 $KR install "not-base64!"
t_contains "names the problem" "$T_ERR" "400 (key is not valid base64)"
t_run "install a short key" 1 $KR install "AAAA"
t_contains "names the size" "$T_ERR" "key size must be 32 bytes, got 3"
t_run "remove the old key" 0 $KR remove "$K1"
t_eq "says so" "$T_OUT" "Removing gossip encryption key..."
t_eq "the file follows" "$(jq -c . "$DATA/keyring")" "[\"$K2\"]"
t_eq "a bad request body gets a 400" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d '{' "$CARAVAN_ADDR/v1/agent/keyring/install")" 400

# A restart with the old flag: the file, with the rotation, wins.
stop_agent
start_agent -encrypt "$K1"
t_ok $? "agent restarted"
t_run "list after restart" 0 $KR list
t_eq "the rotated key survived" "$T_OUT" "Gathering installed encryption keys...
Key
$K2"
stop_agent

# server { encrypt } in a config file, on a fresh data dir.
rm -rf "$DATA"
printf 'server {\n  encrypt = "%s"\n}\n' "$K3" >"$T_TMP/agent.hcl"
start_agent -config "$T_TMP/agent.hcl"
t_ok $? "agent with server.encrypt is up"
t_run "list" 0 $KR list
t_contains "holds the configured key" "$T_OUT" "$K3"
# Another key in the file and a reload: a warning, and the keyring stays.
printf 'server {\n  encrypt = "%s"\n}\n' "$K1" >"$T_TMP/agent.hcl"
kill -HUP "$AGENT"
wait_until 50 grep -q "server.encrypt changed" "$T_TMP/agent.log"
t_ok $? "a reload warns that the keyring file rules"
t_ok $(! grep -q -e "$K1" -e "$K3" "$T_TMP/agent.log"; echo $?) "no key is ever logged"
t_run "list after reload" 0 $KR list
t_contains "still the first key" "$T_OUT" "$K3"
stop_agent

# A bad key stops the start, saying why.
rm -rf "$DATA"
t_run "bad -encrypt" 1 "$CARAVAN" agent -dev -data-dir "$DATA" -http-port "$PORT" -encrypt "AAAA"
t_contains "names the key problem" "$T_ERR" "gossip keyring: encrypt: key size must be 32 bytes, got 3"

# No key at all: plaintext, an empty keyring.
rm -rf "$DATA"
start_agent
t_run "list without keys" 0 $KR list
t_eq "no keys" "$T_OUT" "Gathering installed encryption keys...
Key"
done_testing
