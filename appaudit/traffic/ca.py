"""The capture's CA certificate: its fingerprint, and the file name Android wants for a system CA.

Android (7+) apps trust only system CAs, read from files named ``<subject_hash_old>.0``: the first four
bytes, little-endian, of the MD5 of the DER-encoded subject name (OpenSSL's pre-1.0 hash, ``openssl x509
-subject_hash_old``). Computed here with ``cryptography`` (a mitmproxy dependency), never hard-coded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

CA_CERT_FILE = "mitmproxy-ca-cert.pem"  # written by mitmproxy into its confdir on first start


@dataclass(frozen=True)
class CaCertificate:
    """The CA a device must trust for the proxy to see its HTTPS traffic."""

    pem_path: Path
    sha256: str  # SHA-256 of the DER certificate, lower-case hex
    android_name: str  # "<subject_hash_old>.0": the file name under /system/etc/security/cacerts
    subject: str  # RFC 4514, for display


def subject_hash_old(cert: x509.Certificate) -> str:
    """OpenSSL's ``-subject_hash_old``: MD5 of the DER subject, first 4 bytes read little-endian, 8 hex digits."""
    digest = hashlib.md5(cert.subject.public_bytes(), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def android_system_ca_name(cert: x509.Certificate) -> str:
    return f"{subject_hash_old(cert)}.0"


def read_ca(confdir: Path) -> CaCertificate:
    """Read mitmproxy's CA certificate from ``confdir`` (raises OSError or ValueError when absent or invalid)."""
    pem_path = confdir / CA_CERT_FILE
    cert = x509.load_pem_x509_certificate(pem_path.read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    return CaCertificate(
        pem_path=pem_path,
        sha256=hashlib.sha256(der).hexdigest(),
        android_name=android_system_ca_name(cert),
        subject=cert.subject.rfc4514_string(),
    )


def write_android_copy(ca: CaCertificate) -> Path:
    """Copy the PEM certificate next to itself under its Android system-CA name, ready for ``adb push``."""
    target = ca.pem_path.with_name(ca.android_name)
    target.write_bytes(ca.pem_path.read_bytes())
    return target
