"""CAdES-signed variants of generated files (``.xml.p7m``): CMS SignedData, DER or base64, made with a key
that exists only in this process.

Why a throwaway key: the signed samples test that signatures are unwrapped and checked, not whom they
belong to, and a key in the repository would be a key someone could misuse. The key and its self-signed
certificate are made on first use and kept in memory for the run; nothing is written to disk.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID


@cache
def _signer() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "invoiceflow sample signer")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert, key


def sign_p7m(content: bytes, *, as_base64: bool = False) -> bytes:
    """`content` inside a CMS SignedData envelope with signed attributes (SHA-256, RSA), DER or base64."""
    cert, key = _signer()
    der = (pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
           .sign(serialization.Encoding.DER, []))
    return base64.encodebytes(der) if as_base64 else der
