"""Load the bytes of a referenced document: file://, https:// or inline base64.

The reference is checked before anything is read (size cap, allowed roots) and the bytes after (size and
sha256), so a stage never works on a document other than the one the event names. Errors are
`DocumentError`s (dead-lettered with their code) or `DependencyUnavailable` for a source that did not answer.

A worker that runs consecutive stages of the same invoices may `remember_loaded` documents: the next stage
to ask for the same location and digest gets the bytes already verified against that digest, instead of
reading and hashing them again (the references are checked all the same).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from pathlib import Path
from urllib.parse import unquote, urlparse

import aiohttp

from config.settings import Settings
from schemas import DocumentRef
from streams.errors import (
    DependencyUnavailable,
    DocumentIntegrityError,
    DocumentNotFound,
    DocumentTooLarge,
)
from streams.recent import Recent

_THREAD_THRESHOLD = 1024 * 1024  # read larger files off the event loop

_loaded: Recent[tuple[str, str], bytes] | None = None


def remember_loaded(max_bytes: int) -> Recent[tuple[str, str], bytes] | None:
    """From now on, keep up to `max_bytes` of verified documents for the next load of each (0: stop)."""
    global _loaded
    _loaded = Recent(max_bytes, len) if max_bytes > 0 else None
    return _loaded


def path_from_uri(uri: str) -> Path:
    """The local path of a file:// URI (the plain `file:///abs/path` form without parsing: every event has one)."""
    if uri.startswith("file:///") and "?" not in uri and "#" not in uri:
        rest = uri[7:]
        return Path(unquote(rest) if "%" in rest else rest)
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise DocumentNotFound(f"not a file:// URI: scheme {parsed.scheme!r}")
    return Path(unquote(parsed.path))


def _check_root(path: Path, settings: Settings) -> None:
    if settings.file_roots and not any(path.resolve().is_relative_to(r.resolve()) for r in settings.file_roots):
        raise DocumentNotFound("file is outside the allowed roots")


def _verify(data: bytes, ref: DocumentRef) -> bytes:
    if len(data) != ref.size:
        raise DocumentIntegrityError(f"document is {len(data)} bytes, reference says {ref.size}")
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise DocumentIntegrityError("document sha256 does not match its reference")
    return data


def _read(path: str) -> bytes:
    with open(path, "rb") as file:  # plain open: pathlib's read_bytes costs more than a small file's read
        return file.read()


async def load_document(ref: DocumentRef, settings: Settings) -> bytes:
    """The verified bytes of the document `ref` names."""
    if ref.size > settings.max_document_bytes:
        raise DocumentTooLarge(f"document is {ref.size} bytes, cap is {settings.max_document_bytes}")
    if ref.inline_b64 is not None:
        try:
            return _verify(base64.b64decode(ref.inline_b64, validate=True), ref)
        except binascii.Error as exc:
            raise DocumentIntegrityError("inline document is not valid base64") from exc
    assert ref.uri is not None  # the schema guarantees exactly one location
    https = ref.uri.startswith("https://")
    path = None if https else path_from_uri(ref.uri)
    if path is not None:
        _check_root(path, settings)
    held = _loaded.take((ref.uri, ref.sha256)) if _loaded is not None else None
    if held is not None and len(held) == ref.size:
        return held  # verified against this very digest when it was loaded
    data = _verify(await _fetch(ref.uri, settings) if path is None else await _read_file(path, ref), ref)
    if _loaded is not None:
        _loaded.put((ref.uri, ref.sha256), data)
    return data


async def _read_file(path: Path, ref: DocumentRef) -> bytes:
    try:
        if ref.size > _THREAD_THRESHOLD:
            data = await asyncio.to_thread(_read, str(path))
        else:
            data = _read(str(path))
    except FileNotFoundError as exc:
        raise DocumentNotFound("referenced file does not exist") from exc
    except OSError as exc:
        raise DocumentNotFound(f"referenced file cannot be read: {exc.strerror}") from exc
    return data


async def _fetch(uri: str, settings: Settings) -> bytes:
    timeout = aiohttp.ClientTimeout(total=settings.detect_time_budget_s * 4)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(uri) as resp:
            if resp.status == 404:
                raise DocumentNotFound("document URL answered 404")
            if resp.status >= 400:
                raise DependencyUnavailable(f"document URL answered {resp.status}")
            data = await resp.content.read(settings.max_document_bytes + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DependencyUnavailable(f"document URL did not answer: {type(exc).__name__}") from exc
    if len(data) > settings.max_document_bytes:
        raise DocumentTooLarge("document URL returned more than the size cap")
    return data
