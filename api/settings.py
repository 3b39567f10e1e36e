"""The public service's configuration: the portal's own settings (core/settings.py) plus the
few things only the service needs. Read once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from core.settings import Settings, load_settings

API_VERSION = "v1"
PREFIX = f"/{API_VERSION}"


@dataclass(frozen=True)
class ApiSettings:
    core: Settings
    # How long a browser may use the widget's dates without asking again (it then revalidates
    # with If-None-Match and usually gets a 304).
    dates_max_age: int = 60
    # How many rendered answers the process keeps, keyed by their ETag (at most 500 dates,
    # some 250 KB, each).
    cache_entries: int = 256
    # Seconds a partner's data fingerprint is reused before it is queried again: a change
    # (a new date, a booking) reaches the widget at most this much later. 0: every request.
    version_ttl: float = 1.0
    # Sign-ups from the widget (waitlist, date request), per fixed window of `signup_window`
    # seconds: per IP (generous: an office or a school shares one address) and per email.
    signup_window: int = 600
    signup_per_ip: int = 20
    signup_per_email: int = 5
    # The traffic beacon: one view per page load and a click per "Buchen", per IP and minute.
    events_window: int = 60
    events_per_ip: int = 120
    # The partner API: requests per key and minute (429 with Retry-After beyond).
    api_per_minute: int = 120


@cache
def api_settings() -> ApiSettings:
    # Two knobs for the benchmark (bench/bench_widget.py measures misses with the caches off).
    env = os.environ
    return ApiSettings(
        core=load_settings(),
        cache_entries=int(env.get("MIOMENTE_API_CACHE_ENTRIES") or ApiSettings.cache_entries),
        version_ttl=float(env.get("MIOMENTE_API_VERSION_TTL") or ApiSettings.version_ttl),
    )
