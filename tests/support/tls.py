"""Certificates for loopback HTTPS receivers, made in the test with `cryptography`.

`make_ca(directory)` is a test CA (its PEM file is what a client is told to trust),
`ca.issue(directory)` a server certificate it signed for localhost and 127.0.0.1, and
`self_signed(directory)` a server certificate signed by its own key, which no client trusts.
`ServerCert.context()` is the server side's `ssl.SSLContext` for `WebhookReceiver(tls=…)`.
EC P-256 keys (fast to make); valid from an hour ago for 30 days of the real clock, which
is the one TLS checks.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "localhost"
LOOPBACK = "127.0.0.1"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _builder(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey):
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _server_extensions(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    names = [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    return (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
    )


@dataclass(frozen=True)
class ServerCert:
    cert: Path  # PEM: the server certificate
    key: Path  # PEM: its private key

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@dataclass(frozen=True)
class LocalCa:
    path: Path  # PEM: the CA certificate, for SSL_CERT_FILE
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def issue(self, directory: Path, name: str = "server") -> ServerCert:
        """A server certificate for localhost and 127.0.0.1, signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = _server_extensions(
            _builder(_name(HOST), self.certificate.subject, key.public_key())
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value),
            critical=False,
        )
        return _write(directory, name, builder.sign(self.key, hashes.SHA256()), key)


def make_ca(directory: Path) -> LocalCa:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Miomente Test CA")
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    certificate = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "test-ca.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return LocalCa(path=path, key=key, certificate=certificate)


def self_signed(directory: Path, name: str = "self-signed") -> ServerCert:
    """A server certificate for localhost and 127.0.0.1 signed by its own key."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _server_extensions(_builder(_name(HOST), _name(HOST), key.public_key()))
    return _write(directory, name, builder.sign(key, hashes.SHA256()), key)


def _write(
    directory: Path, name: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> ServerCert:
    cert, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_key_pem(key))
    return ServerCert(cert=cert, key=key_path)
