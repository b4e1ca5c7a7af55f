"""What the pytechco stand-ins share: a minimal Redis client (RESP over a
socket, Python's standard library only) and the keys the app keeps.

Keys: budget (integer dollars), online (hash employee id -> type),
log (list of recent events, newest first, kept to 50).
"""
import os
import socket
import time


class Redis:
    def __init__(self, host=None, port=None, timeout=5.0):
        host = host or os.environ.get("REDIS_HOST", "127.0.0.1")
        port = int(port or os.environ.get("REDIS_PORT", "6379"))
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()


def connect_retrying(deadline_s=30):
    """Redis may still be starting when a job's task starts."""
    end = time.time() + deadline_s
    while True:
        try:
            return Redis()
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.2)


def log_event(r, text):
    r.cmd("LPUSH", "log", "%s %s" % (time.strftime("%H:%M:%S"), text))
    r.cmd("LTRIM", "log", 0, 49)
