#!/usr/bin/env bash
# The getting-started app of examples/getting-started-local on a dev agent:
# redis, web, setup and the periodic employee run; the web page shows the
# seeded budget, employees come online and spend it; stopping the jobs
# ends their processes.
. "$(dirname "$0")/lib.sh"


# scripts/install-deps.sh installs redis-server: CI always runs this test.
if [ ! -x /usr/bin/redis-server ] || [ ! -x /usr/bin/python3 ]; then
    echo "1..0 # SKIP redis-server or /usr/bin/python3 missing (scripts/install-deps.sh installs them)"
    exit 0
fi

PORT=$(free_port)
WEB=$(free_port)
"$CARAVAN" agent -dev -http-port "$PORT" >"$T_TMP/agent.log" 2>&1 &
AGENT=$!
trap 'kill -9 $AGENT 2>/dev/null; [ -n "$REDIS" ] && pkill -9 -f "redis-server.*:$REDIS" 2>/dev/null; rm -rf "$T_TMP"' EXIT
REDIS=
export CARAVAN_ADDR=http://127.0.0.1:$PORT
API=$CARAVAN_ADDR/v1
node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
wait_until 100 node_ready
t_ok $? "dev agent is up"

DIR=$TOP_SRCDIR/examples/getting-started-local
APP=(-var "app_dir=$DIR/app")
alloc_is() { api_check "$API/job/$1/allocations" "any(.ClientStatus == \"$2\")"; }

t_run "run redis" 0 "$CARAVAN" job run -detach "$DIR/pytechco-redis.nomad.hcl"
wait_until 100 alloc_is pytechco-redis running
t_ok $? "redis runs"
registered() { api_check "$API/service/redis-svc" 'length == 1 and .[0].Port > 0'; }
wait_until 100 registered
t_ok $? "redis-svc is in the service catalogue"
REDIS=$(curl -sf "$API/service/redis-svc" | jq -r '.[0].Port')
t_ok $(pgrep -f "redis-server.*:$REDIS" >/dev/null; echo $?) "its redis-server process exists"
t_run "run web" 0 "$CARAVAN" job run -detach "${APP[@]}" -var "web_port=$WEB" "$DIR/pytechco-web.nomad.hcl"
web_up() { curl -sf "http://127.0.0.1:$WEB/api/state" >/dev/null; }
wait_until 150 web_up
t_ok $? "the web page answers"
t_run "register the parameterized setup" 0 "$CARAVAN" job run "${APP[@]}" "$DIR/pytechco-setup.nomad.hcl"
t_run "dispatch it with a budget of 300" 0 "$CARAVAN" job dispatch -meta budget=300 pytechco-setup
budget_is() { api_check "http://127.0.0.1:$WEB/api/state" ".budget == $1"; }
wait_until 150 budget_is 300
t_ok $? "the page shows the budget"
t_contains "the html page too" "$(curl -sf "http://127.0.0.1:$WEB/")" "Budget: <b id=\"budget\">\$300</b>"

t_run "run the employee" 0 "$CARAVAN" job run "${APP[@]}" "$DIR/pytechco-employee.nomad.hcl"
t_contains "a periodic job" "$T_OUT" "Approximate next launch time: "
someone_online() { curl -sf "http://127.0.0.1:$WEB/api/state" | jq -e '.online | length > 0'; }
wait_until 100 someone_online
t_ok $? "an employee comes online"
spent() { curl -sf "http://127.0.0.1:$WEB/api/state" | jq -e '.budget < 300'; }
wait_until 100 spent
t_ok $? "employees spend the budget"
went_offline() { curl -sf "http://127.0.0.1:$WEB/api/state" | jq -e '.log | any(test("went offline"))'; }
wait_until 150 went_offline
t_ok $? "an employee goes offline"

t_run "stop the employee" 0 "$CARAVAN" job stop -purge pytechco-employee
t_run "dispatch again with 500" 0 "$CARAVAN" job dispatch -meta budget=500 pytechco-setup
# Employees launched before the stop may still spend: the reset itself
# shows in the event log.
reset_logged() { api_check "http://127.0.0.1:$WEB/api/state" '.log | any(test("budget set to [$]500"))'; }
wait_until 150 reset_logged
t_ok $? "the budget is reset"
# The tutorial's last edit: sales engineers only, one every second.
sed -e 's|cron             = "0/3 \* \* \* \* \* \*"|cron             = "0/1 * * * * * *"|' \
    -e 's|args    = \["${var.app_dir}/employee.py"\]|args    = ["${var.app_dir}/employee.py", "--employee-type", "sales_engineer"]|' \
    "$DIR/pytechco-employee.nomad.hcl" >"$T_TMP/employee.nomad.hcl"
t_contains "the edit took" "$(cat "$T_TMP/employee.nomad.hcl")" '"--employee-type", "sales_engineer"'
t_run "run the edited employee job" 0 "$CARAVAN" job run "${APP[@]}" "$T_TMP/employee.nomad.hcl"
t_contains "registered" "$T_OUT" "Job registration successful"
t_contains "the next launch within a second" "$T_OUT" "Approximate next launch time: "
engineers_only() {
    api_check "http://127.0.0.1:$WEB/api/state" \
        '(.online | length > 0) and (.online | all(.type == "sales_engineer"))'
}
wait_until 200 engineers_only
t_ok $? "only sales engineers come online"
t_run "stop the employee again" 0 "$CARAVAN" job stop -purge pytechco-employee
t_run "stop setup" 0 "$CARAVAN" job stop -purge pytechco-setup
t_run "stop web" 0 "$CARAVAN" job stop -purge pytechco-web
t_run "stop redis" 0 "$CARAVAN" job stop -purge pytechco-redis
web_gone() { ! curl -sf "http://127.0.0.1:$WEB/api/state"; }
wait_until 100 web_gone
t_ok $? "the web process is gone"
redis_gone() { ! pgrep -f "redis-server.*:$REDIS" >/dev/null; }
wait_until 100 redis_gone
t_ok $? "the redis process is gone"
kill -INT $AGENT
wait $AGENT
t_ok $? "the agent exits cleanly"
done_testing
