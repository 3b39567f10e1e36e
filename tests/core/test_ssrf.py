"""SSRF: a webhook URL must be https and resolve only to public addresses; loopback (and http
to it) only when the caller allows it explicitly."""

from __future__ import annotations

import pytest

from core import ssrf
from core.validation import InvalidInput


def _resolver(answers: dict[str, list[str]]) -> ssrf.Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    return resolve


PUBLIC = _resolver({"hooks.example.org": ["93.184.215.14"], "v6.example.org": ["2606:4700::1"]})


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://100.64.0.1/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ssrf.resolve_target(url, resolver=PUBLIC)
    assert refused.value.key == ssrf.NOT_PUBLIC


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    resolver = _resolver({"intern.example.org": ["10.0.0.7"], "mixed.example.org":
                          ["93.184.215.14", "192.168.0.2"]})  # fmt: skip
    for host in ("intern.example.org", "mixed.example.org"):
        with pytest.raises(InvalidInput) as refused:
            ssrf.resolve_target(f"https://{host}/hook", resolver=resolver)
        assert refused.value.key == ssrf.NOT_PUBLIC


def test_a_name_resolving_to_loopback_is_refused_without_the_setting() -> None:
    resolver = _resolver({"localhost": ["127.0.0.1"]})
    with pytest.raises(InvalidInput):
        ssrf.resolve_target("https://localhost/hook", resolver=resolver)


def test_a_public_https_url_is_accepted_and_pinned_to_its_address() -> None:
    target = ssrf.resolve_target("https://hooks.example.org/miomente?x=1", resolver=PUBLIC)
    assert (target.host, target.port, target.ip) == ("hooks.example.org", 443, "93.184.215.14")
    assert target.connect_url() == "https://93.184.215.14:443/miomente?x=1"
    assert target.host_header == "hooks.example.org"
    v6 = ssrf.resolve_target("https://v6.example.org:8443/", resolver=PUBLIC)
    assert v6.connect_url() == "https://[2606:4700::1]:8443/"
    assert v6.host_header == "v6.example.org:8443"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://hooks.example.org/hook", ssrf.NOT_HTTPS),
        ("ftp://hooks.example.org/hook", ssrf.NOT_HTTPS),
        ("hooks.example.org/hook", ssrf.BAD_URL),
        ("https://user:pw@hooks.example.org/", ssrf.BAD_URL),
        ("https://hooks.example.org/a b", ssrf.BAD_URL),
        ("https://hooks.example.org:99999/", ssrf.BAD_URL),
        ("", ssrf.BAD_URL),
        ("https://unknown.example.org/", ssrf.UNRESOLVED),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(url: str, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ssrf.resolve_target(url, resolver=PUBLIC)
    assert refused.value.key == key


def test_loopback_and_http_only_when_allowed() -> None:
    target = ssrf.resolve_target("http://127.0.0.1:8080/hook", loopback_ok=True, resolver=PUBLIC)
    assert target.connect_url() == "http://127.0.0.1:8080/hook"
    with pytest.raises(InvalidInput):
        ssrf.resolve_target("http://127.0.0.1:8080/hook", resolver=PUBLIC)
    # Even when allowed, private networks stay refused, and plain http to a public host too.
    with pytest.raises(InvalidInput):
        ssrf.resolve_target("https://10.0.0.1/", loopback_ok=True, resolver=PUBLIC)
    with pytest.raises(InvalidInput):
        ssrf.resolve_target("http://hooks.example.org/", loopback_ok=True, resolver=PUBLIC)


def test_the_setting_is_off_by_default() -> None:
    assert ssrf.allow_loopback({}) is False
    assert ssrf.allow_loopback({ssrf.ALLOW_LOOPBACK_ENV: "0"}) is False
    assert ssrf.allow_loopback({ssrf.ALLOW_LOOPBACK_ENV: "1"}) is True
