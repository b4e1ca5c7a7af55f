#!/usr/bin/env bash
# SIGHUP: the agent re-reads its -config files and applies log_level; a
# file that no longer loads is reported and the agent keeps running.
. "$(dirname "$0")/lib.sh"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONF="$T_TMP/agent.hcl"
LOG="$T_TMP/agent.log"
write_conf() { # log_level
    printf 'log_level = "%s"\nports {\n  http = %s\n}\n' "$1" "$PORT" >"$CONF"
}
write_conf info
"$CARAVAN" agent -dev -config "$CONF" >"$LOG" 2>&1 &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
API=http://127.0.0.1:$PORT/v1
up() { api_check "$API/agent/self" '.config != null' || api_check "$API/status/leader" '. != null'; }
# wait_log N PATTERN: true once the log holds at least N lines matching.
wait_log() {
    for _ in $(seq 100); do
        [ "$(grep -c -- "$2" "$LOG")" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
# A request line the HTTP parser refuses: the server logs it at debug.
bad_request() {
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'NOT HTTP\r\n\r\n' >&3
    timeout 5 cat <&3 >/dev/null
    exec 3<&-
}
for _ in $(seq 100); do up && break; sleep 0.1; done
up
t_ok $? "the agent runs on the file's port"
t_contains "the file's level in the banner" "$(cat "$LOG")" "Log Level: INFO"

bad_request
# The agent answered the bad request: any debug line would be there by now.
t_eq "no debug lines at info" "$(grep -c '\[DEBUG\]' "$LOG")" "0"

write_conf debug
kill -HUP $AGENT
wait_log 1 "reload: log_level INFO -> DEBUG"
t_ok $? "SIGHUP applies the new log_level"
t_contains "says it reloads" "$(cat "$LOG")" "==> Reloading configuration..."
bad_request
wait_log 1 '\[DEBUG\].*refusing request'
t_ok $? "debug lines appear after the reload"

printf 'log_level = "info"\nports {\n  http = ' >"$CONF"
kill -HUP $AGENT
wait_log 1 "reload: error loading configuration from $CONF"
t_ok $? "a broken file is reported"
kill -0 $AGENT
t_ok $? "the agent keeps running"
up
t_ok $? "and answers"
bad_request
wait_log 2 '\[DEBUG\].*refusing request'
t_ok $? "the running level (debug) stays"

write_conf loud
kill -HUP $AGENT
wait_log 1 'reload: invalid log_level "loud": keeping DEBUG'
t_ok $? "an invalid level is refused"

printf 'log_level = "info"\ndatacenter = "elsewhere"\nports {\n  http = %s\n}\n' "$PORT" >"$CONF"
kill -HUP $AGENT
wait_log 1 "reload: log_level DEBUG -> INFO"
t_ok $? "back to info"
t_contains "a setting that needs a restart is named" "$(cat "$LOG")" "reload: datacenter changed, but takes effect only when the agent restarts"
t_eq "the datacenter stays" "$(curl -sf "$API/nodes" | jq -r '.[0].Datacenter')" "dc1"
n=$(grep -c '\[DEBUG\]' "$LOG")
bad_request
kill -INT $AGENT
wait $AGENT
t_ok $? "clean exit"
t_eq "no debug lines at info again" "$(grep -c '\[DEBUG\]' "$LOG")" "$n"
done_testing
