"""Unwrap a CAdES-signed file (``.p7m``: CMS SignedData, RFC 5652) to the document it signs, and check the
signature.

Most Italian FatturaPA travels signed: the XML sits inside a CMS SignedData envelope, as DER or as base64 of
it, often in BER's indefinite-length form with the content cut into OCTET STRING chunks. The envelope comes
from strangers like the XML does, so it is read by a small bounded BER reader of our own (depth, element
count and size capped; lengths checked against what is left) and never handed whole to a library that
might trust it. Only the public-key check of the signature goes to `cryptography`.

"Verifies" means the signature is sound: the content's digest is the one the signed attributes state (or
the one signed, without attributes) and the signature over them checks with the public key of the signer's
certificate carried in the envelope. It says nothing of whom that certificate belongs to: no chain to a
trusted authority is built, no revocation is asked, so a sound signature is recorded, not trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from agents.readers._refusals import RefusedError

__all__ = ["EnvelopeError", "Signed", "looks_signed", "unwrap_signed"]

_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")  # OID 1.2.840.113549.1.7.2, DER-encoded
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_MAX_DEPTH = 24
_MAX_ELEMENTS = 20_000
_HEAD_BYTES = 96  # base64 of the envelope's first 72 bytes: enough to see the SignedData OID

_DIGESTS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
_RSA = frozenset({
    "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12",
    "1.2.840.113549.1.1.13",
})
_ECDSA = frozenset({"1.2.840.10045.2.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"})


class EnvelopeError(RefusedError):
    """The signed envelope cannot be read; `code` is the stable reason code."""


@dataclass(frozen=True, slots=True)
class Signed:
    """What a signed envelope held.

    Attributes:
        content: The signed document's bytes.
        verified: Whether the signature is sound (see the module docstring: not whether it is trusted).
        detail: Why it is not, when it is not (no document content).
    """

    content: bytes
    verified: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class _Node:
    """One BER element: its tag byte, where its header and content lie, and its children when constructed."""

    tag: int
    start: int
    body: int
    end: int
    children: tuple[_Node, ...] | None


class _Reader:
    """A bounded BER reader over one buffer (definite and indefinite lengths, single-byte tags only)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.count = 0

    def read(self, pos: int, limit: int, depth: int) -> _Node:
        self.count += 1
        if depth > _MAX_DEPTH or self.count > _MAX_ELEMENTS:
            raise EnvelopeError("signature_envelope_corrupt", "The signed envelope nests too deep or holds too much.")
        data = self.data
        if pos + 2 > limit:
            raise _corrupt()
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            raise _corrupt()  # multi-byte tags never occur in CMS
        first = data[pos + 1]
        body = pos + 2
        constructed = bool(tag & 0x20)
        if first == 0x80:
            if not constructed:
                raise _corrupt()
            children: list[_Node] = []
            cursor = body
            while True:
                if cursor + 2 > limit:
                    raise _corrupt()
                if data[cursor] == 0 and data[cursor + 1] == 0:
                    return _Node(tag, pos, body, cursor + 2, tuple(children))
                child = self.read(cursor, limit, depth + 1)
                children.append(child)
                cursor = child.end
        if first & 0x80:
            size = first & 0x7F
            if size > 4 or body + size > limit:
                raise _corrupt()
            length = int.from_bytes(data[body : body + size], "big")
            body += size
        else:
            length = first
        end = body + length
        if end > limit:
            raise _corrupt()
        if not constructed:
            return _Node(tag, pos, body, end, None)
        kids: list[_Node] = []
        cursor = body
        while cursor < end:
            child = self.read(cursor, end, depth + 1)
            kids.append(child)
            cursor = child.end
        return _Node(tag, pos, body, end, tuple(kids))

    def raw(self, node: _Node) -> bytes:
        return self.data[node.start : node.end]

    def value(self, node: _Node) -> bytes:
        """The content octets; a constructed string (BER chunks) is the concatenation of its pieces."""
        if node.children is None:
            return self.data[node.body : node.end]
        return b"".join(self.value(child) for child in node.children)


def _corrupt() -> EnvelopeError:
    return EnvelopeError("signature_envelope_corrupt", "The signed envelope is not well-formed (tampered or cut).")


def _oid(reader: _Reader, node: _Node) -> str:
    if node.tag != 0x06:
        raise _corrupt()
    raw = reader.value(node)
    if not raw:
        raise _corrupt()
    parts: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in (first, parts[0] - 40 * first, *parts[1:]))


def _kids(node: _Node, tag: int | None = None, at_least: int = 0) -> tuple[_Node, ...]:
    if node.children is None or (tag is not None and node.tag != tag) or len(node.children) < at_least:
        raise _corrupt()
    return node.children


def looks_signed(content: bytes) -> bool:
    """Whether `content` starts like a CMS SignedData envelope: DER/BER naming SignedData, or base64 of DER."""
    head = content[:32]
    if head[:1] == b"\x30":
        return _SIGNED_DATA in head
    text = content[:_HEAD_BYTES * 2].lstrip()
    if not text.startswith(b"M"):  # base64 of a first byte 0x30
        return False
    compact = b"".join(text.split())[:_HEAD_BYTES]
    try:
        decoded = base64.b64decode(compact[: len(compact) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    # base64 of an ASN.1 SEQUENCE: read as an envelope even when the OID is damaged (re-encoded text, a
    # tampered copy), so that a broken one is refused as such rather than passed over as plain text
    return decoded[:1] == b"\x30"


def _der(content: bytes, max_bytes: int) -> bytes:
    if content[:1] == b"\x30":
        return content
    compact = b"".join(content.split())
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError("signature_envelope_corrupt", "The base64 of the signed envelope is damaged.") from exc
    if len(decoded) > max_bytes:
        raise EnvelopeError("signature_envelope_too_large", "The signed envelope is too large.")
    return decoded


def unwrap_signed(content: bytes, max_content_bytes: int, *, verify: bool = True) -> Signed:
    """Take the signed document out of a CMS SignedData envelope and check its signature.

    Args:
        content: The envelope, DER/BER or base64 of it (line breaks allowed).
        max_content_bytes: The largest signed document accepted.
        verify: Check the signature (False: only unwrap, when it was checked before).

    Returns:
        The signed document and whether its signature verifies.

    Raises:
        EnvelopeError: ``signature_envelope_corrupt`` for an envelope that does not parse (tampered, cut or
            not CMS), ``signature_envelope_empty`` when it carries no document (a detached signature),
            ``signature_envelope_too_large`` when the document passes `max_content_bytes`.
    """
    data = _der(content, max(len(content), 1))
    reader = _Reader(data)
    top = reader.read(0, len(data), 0)
    content_info = _kids(top, 0x30, 2)
    if _oid(reader, content_info[0]) != "1.2.840.113549.1.7.2":
        raise _corrupt()
    signed_data = _kids(_kids(content_info[1], 0xA0, 1)[0], 0x30, 4)
    encap = _kids(signed_data[2], 0x30, 1)
    if len(encap) < 2:
        raise EnvelopeError("signature_envelope_empty", "The signed envelope carries no document (detached).")
    econtent = _kids(encap[1], 0xA0, 1)[0]
    if econtent.tag not in (0x04, 0x24):
        raise _corrupt()
    document = reader.value(econtent)
    if len(document) > max_content_bytes:
        raise EnvelopeError("signature_envelope_too_large", "The signed document is larger than the XML limit.")
    if not document:
        raise EnvelopeError("signature_envelope_empty", "The signed envelope carries an empty document.")
    signer_infos = signed_data[-1]
    certificates = next((n for n in signed_data[3:-1] if n.tag == 0xA0), None)
    if signer_infos.tag != 0x31 or not signer_infos.children:
        raise _corrupt()
    if not verify:
        return Signed(document, False, "not checked")
    ok, detail = _verify(reader, document, signer_infos.children[0], certificates)
    return Signed(document, ok, detail)


def _verify(reader: _Reader, document: bytes, signer: _Node, certificates: _Node | None) -> tuple[bool, str]:
    """Check one SignerInfo against the document; a failure is a finding, never an exception."""
    parts = _kids(signer, 0x30, 5)
    digest_name = _DIGESTS.get(_oid(reader, _kids(parts[2], 0x30, 1)[0]))
    if digest_name is None:
        return False, "The signature uses a digest algorithm we do not check."
    rest = parts[3:]
    signed_attrs = rest[0] if rest[0].tag == 0xA0 else None
    if signed_attrs is not None:
        rest = rest[1:]
    if len(rest) < 2 or rest[1].tag != 0x04:
        raise _corrupt()
    algorithm = _oid(reader, _kids(rest[0], 0x30, 1)[0])
    signature = reader.value(rest[1])
    digest = hashlib.new(digest_name, document).digest()
    if signed_attrs is None:
        message = document
    else:
        stated = _message_digest(reader, signed_attrs)
        if stated != digest:
            return False, "The document's digest differs from the one signed: the content was altered."
        message = b"\x31" + reader.raw(signed_attrs)[1:]  # signed as an explicit SET OF (RFC 5652, 5.4)
    certificate = _signer_certificate(reader, parts[1], certificates)
    if certificate is None:
        return False, "The envelope does not carry the signer's certificate."
    return _check(certificate, algorithm, signature, message, digest_name)


def _message_digest(reader: _Reader, signed_attrs: _Node) -> bytes | None:
    for attribute in _kids(signed_attrs):
        pair = _kids(attribute, 0x30, 2)
        if _oid(reader, pair[0]) == _MESSAGE_DIGEST:
            values = _kids(pair[1], 0x31, 1)
            return reader.value(values[0])
    return None


def _signer_certificate(reader: _Reader, sid: _Node, certificates: _Node | None) -> x509.Certificate | None:
    """The certificate the SignerInfo names (issuer and serial, or subject key identifier)."""
    if certificates is None or not certificates.children:
        return None
    loaded = []
    for node in certificates.children:
        if node.tag != 0x30:
            continue  # attribute certificates and others: not a signer's
        try:
            loaded.append(x509.load_der_x509_certificate(reader.raw(node)))
        except ValueError:
            continue
    if sid.tag == 0x30:
        pair = _kids(sid, 0x30, 2)
        issuer, serial = reader.raw(pair[0]), int.from_bytes(reader.value(pair[1]), "big", signed=True)
        by_serial = [c for c in loaded if c.serial_number == serial]
        return next((c for c in by_serial if c.issuer.public_bytes() == issuer), by_serial[0] if by_serial else None)
    if sid.tag == 0x80:
        key_id = reader.value(sid)
        for cert in loaded:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == key_id:
                return cert
    return None


def _check(cert: x509.Certificate, algorithm: str, signature: bytes, message: bytes, digest: str) -> tuple[bool, str]:
    hash_algorithm = _HASHES[digest]()
    try:
        key = cert.public_key()
        if algorithm in _RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hash_algorithm)
        elif algorithm in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hash_algorithm))
        else:
            return False, "The signature uses an algorithm we do not check."
    except InvalidSignature:
        return False, "The signature does not match the signer's certificate."
    except (UnsupportedAlgorithm, ValueError):
        return False, "The signer's certificate or key cannot be read."
    return True, ""
