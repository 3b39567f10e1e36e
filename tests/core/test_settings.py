"""Configuration: secrets file and environment, demo mode when nothing is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import ConfigError, load_settings

SHOP = "mysql+pymysql://portal:pw@shop-replica/magento"
PORTAL = "postgresql+psycopg://portal:pw@db.supabase.example/postgres"


def test_nothing_configured_means_demo_mode(tmp_path: Path) -> None:
    settings = load_settings(secrets_path=tmp_path / "none.toml", env={})
    assert settings.demo_mode
    assert settings.default_locale == "de"


def test_secrets_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'MIOMENTE_MAGENTO_URL = "{SHOP}"\nMIOMENTE_PORTAL_URL = "{PORTAL}"\n'
        f'MIOMENTE_COOKIE_KEY = "{"k" * 40}"\nMIOMENTE_DEFAULT_LOCALE = "en"\n',
        encoding="utf-8",
    )
    settings = load_settings(secrets_path=secrets, env={"MIOMENTE_DEFAULT_LOCALE": "de"})
    assert not settings.demo_mode
    assert settings.magento_url == SHOP and settings.portal_url == PORTAL
    assert settings.default_locale == "de"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MIOMENTE_MAGENTO_URL": SHOP}, "Set both"),
        ({"MIOMENTE_MAGENTO_URL": SHOP, "MIOMENTE_PORTAL_URL": PORTAL}, "MIOMENTE_COOKIE_KEY"),
        ({"MIOMENTE_DEFAULT_LOCALE": "fr"}, "MIOMENTE_DEFAULT_LOCALE"),
        ({"MIOMENTE_SESSION_LIFETIME_DAYS": "bald"}, "MIOMENTE_SESSION_LIFETIME_DAYS"),
        ({"MIOMENTE_SESSION_IDLE_HOURS": "0"}, "MIOMENTE_SESSION_IDLE_HOURS"),
        ({"MIOMENTE_SESSION_IDLE_HOURS": "nan"}, "MIOMENTE_SESSION_IDLE_HOURS"),
        ({"MIOMENTE_STAFF_2FA": "vielleicht"}, "MIOMENTE_STAFF_2FA"),
    ],
)
def test_inconsistent_configuration_is_refused_with_a_clear_message(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(secrets_path=tmp_path / "none.toml", env=env)


def test_staff_2fa_is_required_outside_demo_mode_unless_switched_off(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    server = {"MIOMENTE_MAGENTO_URL": SHOP, "MIOMENTE_PORTAL_URL": PORTAL}
    server["MIOMENTE_COOKIE_KEY"] = "k" * 40
    assert load_settings(secrets_path=none, env=server).staff_2fa
    assert not load_settings(
        secrets_path=none, env=server | {"MIOMENTE_STAFF_2FA": "false"}
    ).staff_2fa
    # Demo mode: the demo logins stay one step, unless asked for.
    assert not load_settings(secrets_path=none, env={}).staff_2fa
    assert load_settings(secrets_path=none, env={"MIOMENTE_STAFF_2FA": "true"}).staff_2fa


def test_example_secrets_document_every_key() -> None:
    from core.settings import KEYS, PROJECT_ROOT

    example = (PROJECT_ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8")
    assert [k for k in KEYS if k not in example] == []


def test_accounting_data_comes_from_the_configuration(tmp_path) -> None:
    from core.settings import AccountingConfig, ConfigError, load_accounting

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('MIOMENTE_ISSUER_CITY = "Köln"\nMIOMENTE_DATEV_CLIENT = "7"\n')
    config = load_accounting(
        secrets_path=secrets,
        env={"MIOMENTE_ISSUER_VAT_ID": "DE999999999"},
    )
    assert (config.city, config.vat_id, config.datev_client) == ("Köln", "DE999999999", 7)
    assert config.iban == AccountingConfig().iban  # unset: the placeholder
    with pytest.raises(ConfigError, match="MIOMENTE_DATEV_CONSULTANT"):
        load_accounting(secrets_path=secrets, env={"MIOMENTE_DATEV_CONSULTANT": "abc"})


def test_the_public_url_links_point_at(tmp_path: Path) -> None:
    from core.settings import load_public_url

    none = tmp_path / "none.toml"
    assert load_settings(secrets_path=none, env={}).public_url == "http://localhost:8501"
    production = {
        "MIOMENTE_MAGENTO_URL": SHOP,
        "MIOMENTE_PORTAL_URL": PORTAL,
        "MIOMENTE_COOKIE_KEY": "k" * 40,
    }
    assert load_public_url(secrets_path=none, env=production) == "https://partner.miomente.de"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('MIOMENTE_PUBLIC_URL = "https://p.example/portal/"\n')
    assert load_settings(secrets_path=secrets, env=production).public_url == (
        "https://p.example/portal"
    )
