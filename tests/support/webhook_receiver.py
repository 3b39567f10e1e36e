"""A loopback webhook receiver: a real HTTP server the deliver-webhooks job posts to.

`with WebhookReceiver() as hook:` serves on 127.0.0.1 (a free port) in a daemon thread and
records each request (headers, body). It answers from a script: `respond(status, times=…,
headers=…, body=…)` queues answers; `delay` seconds hold an answer (a slow receiver); with
nothing queued it answers 204. `hook.url` is its address (plain http: only reachable when
MIOMENTE_WEBHOOK_ALLOW_LOOPBACK is set, which the tests set explicitly).

`WebhookReceiver(tls=context)` serves HTTPS with that server-side `ssl.SSLContext`
(tests/support/tls.py); its address is then `https://localhost:<port>/hook`, the name its
certificate is for, and a client that rejects the certificate never reaches the handler.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


class WebhookReceiver:
    def __init__(self, *, keep: bool = True, tls: ssl.SSLContext | None = None) -> None:
        # keep=False: count requests without keeping them (the benchmark's 50,000).
        self.keep = keep
        self.count = 0
        self.requests: list[Received] = []
        self.connections: set[tuple[str, int]] = set()
        self._script: deque[_Answer] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the client may reuse the connection

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.count += 1
                    if receiver.keep:
                        headers = {k.lower(): v for k, v in self.headers.items()}
                        receiver.requests.append(Received(self.path, headers, body))
                    receiver.connections.add(self.client_address)
                    answer = receiver._script.popleft() if receiver._script else _Answer(204)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.tls = tls is not None
        if tls is not None:
            # The handshake runs in accept(); a failed one is an OSError the server drops.
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"https://localhost:{port}/hook" if self.tls else f"http://127.0.0.1:{port}/hook"

    def respond(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        delay: float = 0.0,
    ) -> None:
        with self._lock:
            for _ in range(times):
                self._script.append(_Answer(status, dict(headers or {}), body, delay))

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
