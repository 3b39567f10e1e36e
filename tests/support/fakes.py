"""Loopback stand-ins for SendGrid and Twilio: real HTTP servers the real client libraries use.

Each fake is a `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a daemon thread, used as a
context manager::

    with SendGridFake() as sendgrid:
        transport = SendGridTransport(api_key=sendgrid.api_key, host=sendgrid.url, ...)
        ...
        assert sendgrid.violations == []

Both record every request (thread-safe) and answer from a script: `respond(status, headers,
body, times)` queues answers for the next requests; with nothing queued they answer like the
provider does on success. `latency` (seconds) delays every answer.

`SendGridFake` checks `Authorization: Bearer <key>` and validates each body against the
request schema of POST /v3/mail/send in SendGrid's own OpenAPI file
`shared/reference/sendgrid/tsg_mail_v3.json` (`shared/` lies beside the repository;
`MIOMENTE_SHARED_DIR` overrides it). A body SendGrid would refuse gets a 400 with SendGrid-style
errors and is recorded in `violations`, so a test can assert that none happened.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re
import secrets
import select
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_URI = "urn:sendgrid:tsg_mail_v3"
# JSON pointer of the PostMailSend request body schema inside the OpenAPI document.
MAIL_SEND_SCHEMA = "/components/requestBodies/PostMailSend/content/application~1json/schema"


def shared_dir() -> Path:
    """`shared/` beside the repository (CI clones it there); MIOMENTE_SHARED_DIR overrides."""
    override = os.environ.get("MIOMENTE_SHARED_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared"


def sendgrid_spec_path() -> Path:
    path = shared_dir() / "reference" / "sendgrid" / "tsg_mail_v3.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"SendGrid's OpenAPI file is missing at {path}; clone the shared material beside "
            "the repository or set MIOMENTE_SHARED_DIR"
        )
    return path


@functools.cache
def mail_send_validator() -> Draft202012Validator:
    """Validator for a POST /v3/mail/send body; $refs resolve inside the OpenAPI document."""
    spec = json.loads(sendgrid_spec_path().read_text(encoding="utf-8"))
    # OpenAPI 3.1 schemas are JSON Schema 2020-12.
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry = Registry().with_resource(SCHEMA_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{SCHEMA_URI}#{MAIL_SEND_SCHEMA}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@dataclass
class Recorded:
    """One request the fake received and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any  # parsed JSON (SendGrid) or {field: value} form (Twilio); None if unparsable
    status: int = 0
    response: Any = None  # the answer's body
    response_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class _CountingServer(ThreadingHTTPServer):
    """Counts connections from accept to close, so a test can wait until none is in flight."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.idle = threading.Condition()
        self.in_flight = 0
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        # Accepting under the condition: a connection is either still queued (the listening
        # socket is readable) or counted, never neither (see wait_idle).
        with self.idle:
            request = super().get_request()
            self.in_flight += 1
        return request

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            with self.idle:
                self.in_flight -= 1
                self.idle.notify_all()

    def quiet(self) -> bool:
        queued, _w, _x = select.select([self.socket], [], [], 0)
        return self.in_flight == 0 and not queued


class _LoopbackFake:
    """Server plumbing shared by the fakes; subclasses implement `answer()`."""

    name = "fake"

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self._lock = threading.Lock()
        self._script: deque[_Scripted] = deque()
        self._requests: list[Recorded] = []
        self._server: _CountingServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> _LoopbackFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet; the fake records requests itself

        self._server = _CountingServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll interval
            name=f"{self.name}-fake",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until every request sent so far is recorded and answered (or its client is gone),
        e.g. after killing a client mid-request. `timeout` only bounds a hang."""
        server = self._server
        if server is None:
            raise RuntimeError(f"{self.name} fake is not running")
        with server.idle:
            if not server.idle.wait_for(server.quiet, timeout):
                raise TimeoutError(f"{self.name} fake still busy after {timeout} s")

    def __enter__(self):  # returns the subclass
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} fake is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- script and records

    def respond(
        self,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """Queue `times` answers for the next requests (then back to the default answer)."""
        with self._lock:
            for _ in range(times):
                self._script.append(_Scripted(status, dict(headers or {}), body))

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def _next_scripted(self) -> _Scripted | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        record = Recorded(
            method=handler.command,
            path=handler.path,
            headers={k: v for k, v in handler.headers.items()},
            raw=raw,
            body=None,
        )
        status, headers, body = self.answer(record)
        record.status, record.response, record.response_headers = status, body, dict(headers)
        with self._lock:
            self._requests.append(record)
        if self.latency:
            time.sleep(self.latency)
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if data:
            handler.wfile.write(data)

    def answer(self, record: Recorded) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError


class SendGridFake(_LoopbackFake):
    """POST /v3/mail/send; default answer 202 with a fresh X-Message-Id."""

    name = "sendgrid"

    def __init__(self, *, api_key: str = "SG.test-key.loopback", latency: float = 0.0) -> None:
        super().__init__(latency=latency)
        self.api_key = api_key
        self._violations: list[dict[str, Any]] = []
        mail_send_validator()  # fail at once if the schema file is missing

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Bodies that broke SendGrid's schema: {"request": n, "errors": [...]}."""
        with self._lock:
            return list(self._violations)

    def mail_requests(self, *, accepted_only: bool = False) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.path == "/v3/mail/send" and (not accepted_only or 200 <= r.status < 300)
        ]

    def recipients(self, *, accepted_only: bool = False) -> list[str]:
        """Every personalization's to-addresses, in request order."""
        return [
            to["email"]
            for r in self.mail_requests(accepted_only=accepted_only)
            if isinstance(r.body, dict)
            for p in r.body.get("personalizations", [])
            for to in p.get("to", [])
        ]

    def outbox_ids(self, *, accepted_only: bool = True) -> list[str]:
        return [
            p.get("custom_args", {}).get("outbox_id")
            for r in self.mail_requests(accepted_only=accepted_only)
            for p in r.body.get("personalizations", [])
        ]

    @staticmethod
    def rate_limit_headers(reset_epoch: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "600",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(reset_epoch)),
        }

    @staticmethod
    def _error(message: str, field_name: str | None = None) -> dict[str, Any]:
        return {"errors": [{"message": message, "field": field_name, "help": None}]}

    def answer(self, record: Recorded) -> tuple[int, dict[str, str], Any]:
        if record.method != "POST" or record.path != "/v3/mail/send":
            return 404, {}, self._error("not found")
        if record.headers.get("Authorization") != f"Bearer {self.api_key}":
            return (
                401,
                {},
                self._error("The provided authorization grant is invalid, expired, or revoked"),
            )
        if not record.headers.get("Content-Type", "").startswith("application/json"):
            return 415, {}, self._error("Content-Type should be application/json.")
        try:
            record.body = json.loads(record.raw.decode("utf-8"))
        except ValueError:
            return 400, {}, self._error("Bad Request", None)
        errors = sorted(
            mail_send_validator().iter_errors(record.body), key=lambda e: list(e.absolute_path)
        )
        if errors:
            details = [
                {
                    "message": e.message,
                    "field": ".".join(str(p) for p in e.absolute_path) or None,
                    "help": None,
                }
                for e in errors
            ]
            with self._lock:
                self._violations.append({"request": len(self._requests), "errors": details})
            return 400, {}, {"errors": details}
        scripted = self._next_scripted()
        if scripted is not None:
            return scripted.status, scripted.headers, scripted.body
        return 202, {"X-Message-Id": secrets.token_urlsafe(16)}, None


class TwilioFake(_LoopbackFake):
    """POST /2010-04-01/Accounts/{sid}/Messages.json; default answer 201 with an SM… sid."""

    name = "twilio"
    _PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")

    def __init__(
        self,
        *,
        account_sid: str = "AC" + "0" * 31 + "1",
        auth_token: str = "twilio-test-token",
        latency: float = 0.0,
    ) -> None:
        super().__init__(latency=latency)
        self.account_sid, self.auth_token = account_sid, auth_token

    @staticmethod
    def error_body(status: int, code: int, message: str) -> dict[str, Any]:
        """Twilio's error JSON, e.g. error_body(400, 21211, "The 'To' number … is not valid")."""
        return {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    def respond_error(self, status: int, code: int, message: str, times: int = 1) -> None:
        self.respond(status, body=self.error_body(status, code, message), times=times)

    def messages(self) -> list[dict[str, str]]:
        """Form fields of every accepted message, in order."""
        return [r.body for r in self.requests if r.status == 201]

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.account_sid and password == self.auth_token

    def answer(self, record: Recorded) -> tuple[int, dict[str, str], Any]:
        match = self._PATH.match(record.path)
        if record.method != "POST" or match is None:
            return 404, {}, self.error_body(404, 20404, "The requested resource was not found")
        if not self._authorized(record.headers.get("Authorization")):
            return 401, {}, self.error_body(401, 20003, "Authenticate")
        if match["sid"] != self.account_sid:
            return 403, {}, self.error_body(403, 20003, "Permission denied")
        form = {k: v[0] for k, v in parse_qs(record.raw.decode("utf-8")).items()}
        record.body = form
        if "To" not in form:
            return 400, {}, self.error_body(400, 21604, "A 'To' phone number is required.")
        if "From" not in form and "MessagingServiceSid" not in form:
            return 400, {}, self.error_body(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return 400, {}, self.error_body(400, 21602, "Message body is required.")
        scripted = self._next_scripted()
        if scripted is not None:
            return scripted.status, scripted.headers, scripted.body
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        return (
            201,
            {},
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": form["To"],
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form["Body"],
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "date_created": now,
                "date_updated": now,
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )
