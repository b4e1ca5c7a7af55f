"""pytechco web: a page with the budget and who is online, refreshed every
REFRESH_INTERVAL ms, and the same as JSON at /api/state."""
import html
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ptc

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>pytechco</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}</style>
</head><body><h1>pytechco</h1>
<p>Budget: <b id="budget">%(budget)s</b></p>
<h2>Employees online (<span id="count">%(count)d</span>)</h2>
<table id="online"><tr><th>ID</th><th>Type</th></tr>%(rows)s</table>
<h2>Recent events</h2><pre id="log">%(log)s</pre>
<script>
setInterval(async () => {
  const s = await (await fetch("/api/state")).json();
  document.getElementById("budget").textContent = "$" + s.budget;
  document.getElementById("count").textContent = s.online.length;
  document.getElementById("online").innerHTML = "<tr><th>ID</th><th>Type</th></tr>" +
    s.online.map(e => `<tr><td>${e.id}</td><td>${e.type}</td></tr>`).join("");
  document.getElementById("log").textContent = s.log.join("\\n");
}, %(refresh)d);
</script></body></html>
"""


def state():
    r = ptc.Redis()
    try:
        budget = r.cmd("GET", "budget")
        online = r.cmd("HGETALL", "online") or []
        log = r.cmd("LRANGE", "log", 0, 19) or []
    finally:
        r.sock.close()
    pairs = sorted(zip(online[0::2], online[1::2]))
    return {
        "budget": int(budget) if budget is not None else None,
        "online": [{"id": i, "type": t} for i, t in pairs],
        "log": log,
    }


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            s = state()
        except OSError as e:
            self.send_error(503, "redis unreachable: %s" % e)
            return
        if self.path == "/api/state":
            body = json.dumps(s).encode()
            ctype = "application/json"
        elif self.path == "/":
            rows = "".join("<tr><td>%s</td><td>%s</td></tr>" % (
                html.escape(e["id"]), html.escape(e["type"])) for e in s["online"])
            body = (PAGE % {
                "budget": "$%s" % s["budget"],
                "count": len(s["online"]),
                "rows": rows,
                "log": html.escape("\n".join(s["log"])),
                "refresh": int(os.environ.get("REFRESH_INTERVAL", "500")),
            }).encode()
            ctype = "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    host = os.environ.get("FLASK_HOST", "0.0.0.0")
    port = int(os.environ.get("NOMAD_PORT_web", "5000"))
    print("pytechco web on http://%s:%d" % (host, port), flush=True)
    ThreadingHTTPServer((host, port), Handler).serve_forever()


if __name__ == "__main__":
    main()
