"""One place that reads the configuration: `.streamlit/secrets.toml`, then the environment.

The app, the jobs and the API all call `load_settings()`, so a key means the same everywhere.
Keys are the same names in both sources; the environment wins. Nothing configured means demo
mode on embedded SQLite.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRETS = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_DEMO_DIR = PROJECT_ROOT / "var" / "demo"

# Miomente as the issuer of credit notes and the debtor of SEPA batches, and its DATEV numbers.
ACCOUNTING_KEYS = (
    "MIOMENTE_ISSUER_NAME",
    "MIOMENTE_ISSUER_STREET",
    "MIOMENTE_ISSUER_POSTCODE",
    "MIOMENTE_ISSUER_CITY",
    "MIOMENTE_ISSUER_EMAIL",
    "MIOMENTE_ISSUER_TAX_NUMBER",
    "MIOMENTE_ISSUER_VAT_ID",
    "MIOMENTE_ISSUER_IBAN",
    "MIOMENTE_ISSUER_BIC",
    "MIOMENTE_DATEV_CONSULTANT",
    "MIOMENTE_DATEV_CLIENT",
    "MIOMENTE_SETTLEMENT_START",
)

# Every key the portal reads; `.streamlit/secrets.toml.example` documents each one.
KEYS = (
    "MIOMENTE_MAGENTO_URL",
    "MIOMENTE_MAGENTO_READ_URL",
    "MIOMENTE_PORTAL_URL",
    "MIOMENTE_DEMO_DIR",
    "MIOMENTE_COOKIE_KEY",
    "MIOMENTE_SESSION_LIFETIME_DAYS",
    "MIOMENTE_SESSION_IDLE_HOURS",
    "MIOMENTE_DEFAULT_LOCALE",
    "MIOMENTE_STAFF_2FA",
    "SENDGRID_API_KEY",
    "SENDGRID_HOST",
    "SENDGRID_SANDBOX",
    "MIOMENTE_MAIL_FROM",
    "MIOMENTE_MAIL_FROM_NAME",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_BASE_URL",
    "MIOMENTE_PUBLIC_URL",
    "MIOMENTE_API_URL",
    *ACCOUNTING_KEYS,
)

# Where partners open the portal: the base of every link in mails, SMS and previews
# (core/links.py). Demo mode runs on the developer's machine, production at Miomente's host.
DEMO_PUBLIC_URL = "http://localhost:8501"
DEFAULT_PUBLIC_URL = "https://partner.miomente.de"
# Where partners' websites reach the public service (`uvicorn api.app:app`): the widget's
# script, iframe page and dates. `make demo` starts it on port 8502.
DEMO_API_URL = "http://localhost:8502"
DEFAULT_API_URL = "https://api.miomente.de"


class ConfigError(RuntimeError):
    """The configuration is inconsistent; the message says what to fix."""


@dataclass(frozen=True)
class Settings:
    magento_url: str | None
    magento_read_url: str | None
    portal_url: str | None
    demo_dir: Path
    cookie_key: str | None
    # A login ends after this long in any case, and earlier after this long without a click.
    session_lifetime_days: float = 7.0
    session_idle_hours: float = 8.0
    default_locale: str = "de"
    sendgrid_api_key: str | None = None
    # Only tests and staging change these: the API host and SendGrid's sandbox switch.
    sendgrid_host: str = "https://api.sendgrid.com"
    sendgrid_sandbox: bool = False
    mail_from: str = "buchungen@miomente.de"
    mail_from_name: str = "Miomente"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_base_url: str | None = None
    # A new name: the old self-signed cookies ("miomente_portal_auth") are simply ignored.
    cookie_name: str = "miomente_portal_session"
    public_url: str = DEFAULT_PUBLIC_URL
    # Staff must sign in with a second factor (TOTP): on unless switched off; off in demo mode
    # so that the demo logins stay one step.
    staff_2fa: bool = True

    @property
    def demo_mode(self) -> bool:
        return self.magento_url is None and self.portal_url is None


def _read_secrets(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    # Flat keys; a [miomente] table is accepted too for people who like sections.
    flat = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    flat.update(raw.get("miomente", {}) if isinstance(raw.get("miomente"), dict) else {})
    return flat


def _reader(
    secrets_path: Path | None, env: Mapping[str, str] | None
) -> Callable[[str], str | None]:
    """key -> value: the environment first, then secrets.toml; blank counts as unset."""
    env = os.environ if env is None else env
    secrets = _read_secrets(secrets_path or DEFAULT_SECRETS)

    def get(key: str) -> str | None:
        value: object = env.get(key)
        if value is None:
            value = secrets.get(key)
        if value is None or str(value).strip() == "":
            return None
        return str(value).strip()

    return get


@dataclass(frozen=True)
class AccountingConfig:
    """Miomente's own data on credit notes, SEPA batches and DATEV exports.

    The defaults are placeholders for demo and tests (a sample address, test tax numbers, a
    valid test IBAN), not Miomente's real data: production sets MIOMENTE_ISSUER_*.
    """

    name: str = "Miomente GmbH"
    street: str = "Beispielstraße 1"
    postcode: str = "80331"
    city: str = "München"
    email: str = "buchhaltung@miomente.de"
    tax_number: str = "143/123/45678"
    vat_id: str = "DE123456789"
    iban: str = "DE02120300000000202051"
    bic: str = "BYLADEM1001"
    datev_consultant: int = 1001
    datev_client: int = 1
    # The first day the portal settles: items whose course date lies before it were paid out
    # outside the portal and never enter a payout (a partner may start later, never earlier).
    settlement_start: date | None = None


def _iso_day(key: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{key} must be a date (YYYY-MM-DD).") from exc


def load_accounting(
    *, secrets_path: Path | None = None, env: Mapping[str, str] | None = None
) -> AccountingConfig:
    get = _reader(secrets_path, env)
    defaults = AccountingConfig()
    values: dict[str, Any] = {}  # field name -> str or int; replace() checks the names
    for key in ACCOUNTING_KEYS:
        field = key.removeprefix("MIOMENTE_").removeprefix("ISSUER_").lower()
        value = get(key)
        if value is None:
            continue
        if field == "settlement_start":
            values[field] = _iso_day(key, value)
        elif field.startswith("datev_"):
            if not value.isdigit():
                raise ConfigError(f"{key} must be a number.")
            values[field] = int(value)
        else:
            values[field] = value
    return replace(defaults, **values)


def _public_url(get: Callable[[str], str | None]) -> str:
    configured = get("MIOMENTE_PUBLIC_URL")
    if configured is not None:
        return configured.rstrip("/")
    demo = get("MIOMENTE_MAGENTO_URL") is None and get("MIOMENTE_PORTAL_URL") is None
    return DEMO_PUBLIC_URL if demo else DEFAULT_PUBLIC_URL


def load_api_url(*, secrets_path: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """The public service's base URL (MIOMENTE_API_URL), without a trailing slash."""
    get = _reader(secrets_path, env)
    configured = get("MIOMENTE_API_URL")
    if configured is not None:
        return configured.rstrip("/")
    demo = get("MIOMENTE_MAGENTO_URL") is None and get("MIOMENTE_PORTAL_URL") is None
    return DEMO_API_URL if demo else DEFAULT_API_URL


def load_public_url(
    *, secrets_path: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The portal's public base URL alone: jobs and data code build links without the checks
    `load_settings` makes of the rest of the configuration."""
    return _public_url(_reader(secrets_path, env))


# The signing key of demo mode (no databases configured): demo links only reach localhost.
DEMO_SIGNING_KEY = "miomente-demo-signing-key-not-for-production"


def load_signing_key(
    *, secrets_path: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The key that signs links without a login (core/signing.py): MIOMENTE_COOKIE_KEY, which
    production must set (at least 32 characters); demo mode without it uses a fixed key."""
    get = _reader(secrets_path, env)
    key = get("MIOMENTE_COOKIE_KEY")
    if key is not None and len(key) >= 32:
        return key
    if get("MIOMENTE_MAGENTO_URL") is None and get("MIOMENTE_PORTAL_URL") is None:
        return DEMO_SIGNING_KEY
    raise ConfigError("MIOMENTE_COOKIE_KEY must be set (at least 32 characters).")


def _positive(get: Callable[[str], str | None], key: str, default: float, unit: str) -> float:
    try:
        value = float(get(key) or default)
    except ValueError as exc:
        raise ConfigError(f"{key} must be a number of {unit}.") from exc
    if not 0 < value < 10_000:  # also refuses nan and inf
        raise ConfigError(f"{key} must be a positive number of {unit}.")
    return value


def load_settings(
    *, secrets_path: Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    get = _reader(secrets_path, env)

    magento, portal = get("MIOMENTE_MAGENTO_URL"), get("MIOMENTE_PORTAL_URL")
    if (magento is None) != (portal is None):
        raise ConfigError(
            "Set both MIOMENTE_MAGENTO_URL and MIOMENTE_PORTAL_URL, or neither for demo mode."
        )
    cookie_key = get("MIOMENTE_COOKIE_KEY")
    if magento is not None and (cookie_key is None or len(cookie_key) < 32):
        raise ConfigError("MIOMENTE_COOKIE_KEY must be set (at least 32 characters).")
    locale = get("MIOMENTE_DEFAULT_LOCALE") or "de"
    if locale not in ("de", "en"):
        raise ConfigError("MIOMENTE_DEFAULT_LOCALE must be 'de' or 'en'.")
    lifetime = _positive(get, "MIOMENTE_SESSION_LIFETIME_DAYS", 7.0, "days")
    idle = _positive(get, "MIOMENTE_SESSION_IDLE_HOURS", 8.0, "hours")
    return Settings(
        magento_url=magento,
        magento_read_url=get("MIOMENTE_MAGENTO_READ_URL"),
        portal_url=portal,
        demo_dir=Path(get("MIOMENTE_DEMO_DIR") or DEFAULT_DEMO_DIR),
        cookie_key=cookie_key,
        session_lifetime_days=lifetime,
        session_idle_hours=idle,
        default_locale=locale,
        sendgrid_api_key=get("SENDGRID_API_KEY"),
        sendgrid_host=get("SENDGRID_HOST") or "https://api.sendgrid.com",
        sendgrid_sandbox=(get("SENDGRID_SANDBOX") or "").lower() in ("1", "true", "yes"),
        mail_from=get("MIOMENTE_MAIL_FROM") or "buchungen@miomente.de",
        mail_from_name=get("MIOMENTE_MAIL_FROM_NAME") or "Miomente",
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_from_number=get("TWILIO_FROM_NUMBER"),
        twilio_base_url=get("TWILIO_BASE_URL"),
        public_url=_public_url(get),
        staff_2fa=_switch(get, "MIOMENTE_STAFF_2FA", default=magento is not None),
    )


def _switch(get: Callable[[str], str | None], key: str, *, default: bool) -> bool:
    value = (get(key) or "").lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be true or false.")
