#!/usr/bin/env python3
"""A canned HTTP agent for the CLI tests: one node with two allocations.

The dev agent has no client yet, so no node registers and no allocation
is ever placed; `node status` and `alloc status` on real objects are
checked against this stand-in instead. The JSON has the shapes Caravan's
API returns (flat NodeResources, TaskResources, Ports). Usage:
fake_agent.py PORTFILE: binds 127.0.0.1:0, writes the port to PORTFILE.
"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

T0 = 1714557600 * 10**9  # 2024-05-01T10:00:00Z
NODE_ID = "f1e2d3c4-0000-4000-8000-00000000aaaa"
ALLOC_A = "3f2a5c1e-0b1d-4c2f-9a7e-1d2c3b4a5f60"
ALLOC_B = "3f9b0000-1111-4222-8333-444455556666"
EVAL_ID = "5e3b6a0c-2f1d-4b7e-9c8a-1d2e3f4a5b6c"

JOB = {
    "ID": "web", "Name": "web", "Type": "service", "Version": 3,
    "TaskGroups": [{
        "Name": "g",
        "Networks": [{"Mode": "host"}],
        "ReschedulePolicy": None,
        "Tasks": [
            {"Name": "t", "Lifecycle": None},
            {"Name": "init",
             "Lifecycle": {"Hook": "prestart", "Sidecar": False}},
        ],
    }],
}

NODE = {
    "ID": NODE_ID, "Name": "node1", "Datacenter": "dc1",
    "NodePool": "default", "NodeClass": "", "HTTPAddr": "10.0.0.5:4646",
    "Version": "0.1.0",
    "Attributes": {"driver.raw_exec": "1", "kernel.name": "linux",
                   "os.name": "ubuntu", "unique.hostname": "node1"},
    "Meta": {"rack": "r1"},
    "Drivers": {
        "raw_exec": {"Name": "raw_exec", "Detected": True, "Healthy": True,
                     "HealthDescription": "Healthy",
                     "UpdateTime": T0},
        "docker": {"Name": "docker", "Detected": True, "Healthy": False,
                   "HealthDescription": "Docker is not running",
                   "UpdateTime": T0},
        "exec": {"Name": "exec", "Detected": False, "Healthy": False,
                 "HealthDescription": "", "UpdateTime": T0},
    },
    "NodeResources": {"CpuShares": 4000, "MemoryMB": 8192, "DiskMB": 51200},
    "ReservedResources": {"CpuShares": 0, "MemoryMB": 0, "DiskMB": 0},
    "Status": "ready", "StatusDescription": "",
    "SchedulingEligibility": "eligible", "Drain": False,
    "Events": [
        {"Message": "Node registered", "Subsystem": "Cluster",
         "Timestamp": T0, "CreateIndex": 1},
        {"Message": "Node heartbeat missed", "Subsystem": "Cluster",
         "Timestamp": T0 + 60 * 10**9, "CreateIndex": 5},
    ],
    "CreateIndex": 1, "ModifyIndex": 5,
}


def node_stub(n):
    keys = ["Address", "ID", "Datacenter", "Name", "NodeClass", "NodePool",
            "Version", "Drain", "SchedulingEligibility", "Status",
            "StatusDescription", "Drivers", "CreateIndex", "ModifyIndex"]
    out = {k: n.get(k) for k in keys}
    out["Address"] = "10.0.0.5"
    return out


def event(typ, t, msg="", **kw):
    e = {"Type": typ, "Time": T0 + t * 10**9, "DisplayMessage": msg,
         "Details": {}, "ExitCode": 0, "Signal": 0, "Message": ""}
    e.update(kw)
    return e


ALLOCS = {
    ALLOC_A: {
        "ID": ALLOC_A, "Namespace": "default", "EvalID": EVAL_ID,
        "Name": "web.g[0]", "NodeID": NODE_ID, "NodeName": "node1",
        "JobID": "web", "Job": JOB, "TaskGroup": "g",
        "TaskResources": {
            "t": {"Task": "t", "CpuShares": 100, "Cores": 0,
                  "MemoryMB": 64, "MemoryMaxMB": 128},
            "init": {"Task": "init", "CpuShares": 50, "Cores": 0,
                     "MemoryMB": 32, "MemoryMaxMB": 0},
        },
        "SharedDiskMB": 300,
        "Ports": [{"Label": "http", "Value": 23456, "To": 8080,
                   "HostIP": "10.0.0.5"}],
        "Metrics": {"NodesEvaluated": 1, "NodesFiltered": 0,
                    "NodesExhausted": 0, "CoalescedFailures": 0,
                    "AllocationTime": 1500000},
        "DesiredStatus": "run", "DesiredDescription": "",
        "ClientStatus": "running", "ClientDescription": "Tasks are running",
        "TaskStates": {
            "t": {"Task": "t", "State": "running", "Failed": False,
                  "Restarts": 0, "LastRestart": 0,
                  "StartedAt": T0 + 2 * 10**9, "FinishedAt": 0,
                  "Events": [
                      event("Received", 1, "Task received by client"),
                      event("Task Setup", 1, "Building Task Directory"),
                      event("Started", 2, "Task started by client"),
                  ]},
            "init": {"Task": "init", "State": "dead", "Failed": False,
                     "Restarts": 0, "LastRestart": 0,
                     "StartedAt": T0 + 1 * 10**9,
                     "FinishedAt": T0 + 2 * 10**9,
                     "Events": [event("Terminated", 2)]},
        },
        "DeploymentStatus": None, "DeploymentID": "",
        "PreviousAllocation": "", "NextAllocation": "",
        "FollowupEvalID": "", "CreateIndex": 10, "ModifyIndex": 12,
        "CreateTime": T0, "ModifyTime": T0 + 2 * 10**9,
    },
}
ALLOCS[ALLOC_B] = dict(ALLOCS[ALLOC_A], ID=ALLOC_B, Name="web.g[1]",
                       ClientStatus="complete", DesiredStatus="stop")

STUB_KEYS = ["ID", "EvalID", "Name", "Namespace", "NodeID", "NodeName",
             "JobID", "TaskGroup", "DesiredStatus", "DesiredDescription",
             "ClientStatus", "ClientDescription", "TaskStates",
             "CreateIndex", "ModifyIndex", "CreateTime", "ModifyTime"]


def alloc_stub(a):
    out = {k: a.get(k) for k in STUB_KEYS}
    out["JobVersion"] = a["Job"]["Version"]
    out["JobType"] = a["Job"]["Type"]
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = (json.dumps(body) if code == 200 else body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json"
                         if code == 200 else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        prefix = q.get("prefix", [""])[0]
        parts = url.path.strip("/").split("/")
        if url.path == "/v1/status/leader":
            return self.reply(200, "127.0.0.1:4647")
        if url.path == "/v1/nodes":
            return self.reply(200, [node_stub(NODE)]
                              if NODE_ID.startswith(prefix) else [])
        if url.path == "/v1/allocations":
            return self.reply(200, [alloc_stub(a) for i, a in
                                    sorted(ALLOCS.items())
                                    if i.startswith(prefix)])
        if url.path in ("/v1/evaluations", "/v1/jobs"):
            return self.reply(200, [])
        if parts[:2] == ["v1", "node"] and len(parts) >= 3:
            if parts[2] != NODE_ID:
                return self.reply(404, "node not found")
            if len(parts) == 4 and parts[3] == "allocations":
                return self.reply(200, [alloc_stub(a)
                                        for _, a in sorted(ALLOCS.items())])
            return self.reply(200, NODE)
        if parts[:2] == ["v1", "allocation"] and len(parts) == 3:
            if parts[2] not in ALLOCS:
                return self.reply(404, "alloc not found")
            return self.reply(200, ALLOCS[parts[2]])
        return self.reply(404, "Not found")


def main():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    # Renamed into place so readers never see a half-written port.
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
