#!/usr/bin/env bash
# Service checks on a dev agent: a raw_exec task serving HTTP (python3's
# standard library) with an http and a tcp check. Its registration shows
# passing in /v1/service/:name and `service info -verbose`; when the
# server answers 500 the health turns critical and check_restart restarts
# the task; when it answers 200 again the health is passing again.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

start_dev_agent

FLAG="$T_TMP/fail"
cat >"$T_TMP/server.py" <<'PYEOF'
import http.server, os, sys

flag = sys.argv[1]

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        bad = os.path.exists(flag)
        body = b"broken\n" if bad else b"fine\n"
        self.send_response(500 if bad else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

port = int(os.environ["NOMAD_PORT_http"])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
if len(sys.argv) > 2:  # serve https with this certificate and key
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PYEOF

cat >"$T_TMP/chk.nomad.hcl" <<HCL
job "chk" {
  group "g" {
    network {
      port "http" {}
    }
    update {
      min_healthy_time = "1s"
    }
    restart {
      attempts = 10
      interval = "10m"
      delay    = "1s"
      mode     = "fail"
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = "$PY"
        args    = ["$T_TMP/server.py", "$FLAG"]
      }
      service {
        name     = "chk-web"
        port     = "http"
        provider = "nomad"
        check {
          name     = "http-ok"
          type     = "http"
          path     = "/health"
          interval = "1s"
          timeout  = "1s"
          check_restart {
            limit = 3
            grace = "1s"
          }
        }
        check {
          name     = "tcp-up"
          type     = "tcp"
          interval = "1s"
          timeout  = "1s"
        }
      }
    }
  }
}
HCL

t_run "run a job with checks" 0 "$CARAVAN" job run -detach "$T_TMP/chk.nomad.hcl"
passing() { api_check "$API/service/chk-web" 'length == 1 and .[0].Health == "passing"'; }
wait_until 300 passing
t_ok $? "its registration turns up passing"
REG=$(curl -sf "$API/service/chk-web")
t_contains "with the check's output" "$(jq -r '.[0].HealthOutput' <<<"$REG")" "200 OK"
t_ok $([ "$(jq -r '.[0].HealthCheckedUnixMs' <<<"$REG")" -gt 0 ]; echo $?) "and when it was checked"
t_run "service info -verbose" 0 "$CARAVAN" service info -verbose chk-web
t_contains "shows the health" "$T_OUT" "passing"
t_contains "under its name" "$T_OUT" "Health"

ALLOC=$(curl -sf "$API/job/chk/allocations" | jq -r '.[0].ID')
healthy() { api_check "$API/allocation/$ALLOC" '.DeploymentStatus.Healthy == true'; }
wait_until 300 healthy
t_ok $? "the deployment sees the alloc healthy once its checks pass"

CHECKS=$(curl -sf "$API/client/allocation/$ALLOC/checks")
t_eq "the alloc's check results" "$(jq -r '[.[] | "\(.Check)=\(.Status)"] | sort | join(" ")' <<<"$CHECKS")" "http-ok=success tcp-up=success"
t_eq "keyed by their IDs" "$(jq -r '[to_entries[] | .key == .value.ID] | all' <<<"$CHECKS")" "true"
t_eq "http's status code" "$(jq -r '.[] | select(.Check == "http-ok") | .StatusCode' <<<"$CHECKS")" "200"
t_run "alloc checks" 0 "$CARAVAN" alloc checks "$ALLOC"
t_contains "counts them" "$T_OUT" "Status of 2 Nomad Service Checks"
t_contains "names the task" "$T_OUT" "Task       = web"
t_contains "with the http status" "$T_OUT" "StatusCode = 200"
t_run "alloc checks of an unknown alloc" 1 "$CARAVAN" alloc checks 00000000

restarts() { curl -sf "$API/allocation/$ALLOC" | jq -r '.TaskStates.web.Restarts'; }
t_eq "no restarts yet" "$(restarts)" "0"

# A blocking query parked at the current index wakes with the new health.
INDEX=$(curl -sf -o /dev/null -D - "$API/service/chk-web" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
curl -sf "$API/service/chk-web?index=$INDEX&wait=60s" >"$T_TMP/block.json" &
BLOCK=$!
touch "$FLAG"
wait $BLOCK
t_ok $? "a blocking query on the service returns"
t_eq "with the health moved" "$(jq -r '.[0].Health' "$T_TMP/block.json")" "critical"
critical() { api_check "$API/service/chk-web" 'length == 1 and .[0].Health == "critical"'; }
wait_until 300 critical
t_ok $? "a 500 turns it critical"
t_contains "the output says why" "$(curl -sf "$API/service/chk-web" | jq -r '.[0].HealthOutput')" "500"

restarted() { [ "$(restarts)" -ge 1 ]; }
wait_until 300 restarted
t_ok $? "check_restart restarts the task"
t_run "alloc status" 0 "$CARAVAN" alloc status "$ALLOC"
t_contains "with the check's reason" "$T_OUT" 'healthcheck: check "http-ok" unhealthy'

rm -f "$FLAG"
wait_until 300 passing
t_ok $? "a 200 again: passing again"

t_run "stop the job" 0 "$CARAVAN" job stop -detach chk
gone() { [ "$(curl -sf "$API/service/chk-web")" = "[]" ]; }
wait_until 150 gone
t_ok $? "its registration goes with it"

# A job whose check never passes: the alloc is not reported healthy (its
# tasks run fine), so the deployment marks it unhealthy at the deadline.
SICK="$T_TMP/sick"
touch "$SICK"
sed -e 's/job "chk"/job "sick"/' -e 's/"chk-web"/"sick-web"/' \
    -e "s|$FLAG|$SICK|" -e 's/min_healthy_time = "1s"/min_healthy_time = "1s"\n      healthy_deadline = "4s"/' \
    -e 's/limit = 3/limit = 0/' "$T_TMP/chk.nomad.hcl" >"$T_TMP/sick.nomad.hcl"
t_run "run a job whose check fails" 0 "$CARAVAN" job run -detach "$T_TMP/sick.nomad.hcl"
sick_critical() { api_check "$API/service/sick-web" 'length == 1 and .[0].Health == "critical"'; }
wait_until 300 sick_critical
t_ok $? "its registration is critical"
SICK_ALLOC=$(curl -sf "$API/job/sick/allocations" | jq -r '.[0].ID')
unhealthy() { api_check "$API/allocation/$SICK_ALLOC" '.DeploymentStatus.Healthy == false'; }
wait_until 300 unhealthy
t_ok $? "its alloc ends unhealthy, not healthy"
t_eq "while its task runs" "$(curl -sf "$API/allocation/$SICK_ALLOC" | jq -r '.TaskStates.web.State')" "running"

# https: a self-signed certificate passes with tls_skip_verify only.
if openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" >/dev/null 2>&1; then
    cat >"$T_TMP/tls.nomad.hcl" <<HCL
job "tls" {
  group "g" {
    network {
      port "http" {}
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = "$PY"
        args    = ["$T_TMP/server.py", "$T_TMP/none", "$T_TMP/cert.pem", "$T_TMP/key.pem"]
      }
      service {
        name     = "tls-skip"
        port     = "http"
        provider = "nomad"
        check {
          type            = "http"
          protocol        = "https"
          tls_skip_verify = true
          path            = "/"
          interval        = "1s"
          timeout         = "1s"
        }
      }
      service {
        name     = "tls-verify"
        port     = "http"
        provider = "nomad"
        check {
          type     = "http"
          protocol = "https"
          path     = "/"
          interval = "1s"
          timeout  = "1s"
        }
      }
    }
  }
}
HCL
    t_run "run an https server" 0 "$CARAVAN" job run -detach "$T_TMP/tls.nomad.hcl"
    skip_passing() { api_check "$API/service/tls-skip" 'length == 1 and .[0].Health == "passing"'; }
    wait_until 300 skip_passing
    t_ok $? "https with tls_skip_verify passes"
    verify_critical() { api_check "$API/service/tls-verify" 'length == 1 and .[0].Health == "critical"'; }
    wait_until 300 verify_critical
    t_ok $? "https verifying a self-signed certificate is critical"
    t_contains "and says why" "$(curl -sf "$API/service/tls-verify" | jq -r '.[0].HealthOutput')" "https://127.0.0.1:"
else
    t_ok 0 "https checks # SKIP no openssl to make a certificate"
fi
done_testing
