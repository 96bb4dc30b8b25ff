"""A real local HTTP receiver for webhooks: verifies every request's Standard Webhooks signature, can fail
on purpose, and records which event ids it accepted (and how often)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORTS = range(8141, 8160)


class Receiver:
    def __init__(self, secret: str = "", fail_first: int = 0, fail_status: int = 500):
        self.secret = secret
        self.fail_first = fail_first  # answer fail_status to the first N tries of each webhook-id
        self.fail_status = fail_status
        self.tries: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}
        self.bad_signatures = 0
        self._lock = threading.Lock()
        self.server = None
        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
                break
            except OSError:
                continue
        if self.server is None:
            raise RuntimeError("no free port in 8141-8159 for the webhook receiver")
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                msg_id = self.headers.get("webhook-id", "")
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except WebhookVerificationError:
                    with receiver._lock:
                        receiver.bad_signatures += 1
                    return self._answer(401)
                with receiver._lock:
                    receiver.tries[msg_id] += 1
                    if receiver.tries[msg_id] <= receiver.fail_first:
                        return self._answer(receiver.fail_status)
                    receiver.accepted[msg_id] += 1
                    receiver.bodies[msg_id] = payload
                self._answer(204)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def received(self) -> list[dict]:
        """The bodies accepted so far (one per webhook-id), in the order they first came."""
        with self._lock:
            return list(self.bodies.values())

    def snapshot(self) -> dict:
        with self._lock:
            return {"accepted": dict(self.accepted), "tries": dict(self.tries), "bad": self.bad_signatures}


class Answering:
    """A real local HTTP server: answers each POST with `status` (and a Location for a 3xx), recording the
    requests; or, with `silent`, never answers."""

    def __init__(self, status: int = 204, silent: bool = False):
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append((self.path, dict(self.headers.items()), body))
                if silent:
                    server.release.wait(5)
                    return
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{server.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.http.shutdown()
        self.http.server_close()


def dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True)
