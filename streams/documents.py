"""Load the bytes of a referenced document: file://, https:// or inline base64.

A reference comes from an event, so it is untrusted input: the checks below are what stops an event from
reading the worker's own secrets (/etc/shadow, /proc/self/environ), hanging it on a FIFO or /dev/zero, or
making it read 300 MiB for a reference that declares 1,000 bytes. So a reference is checked before anything
is read: the declared size against the cap; a file against the allowed roots (resolved, symlinks followed;
no roots configured means no file:// at all); an https URL by the `DocumentFetcher` (allow-listed hosts,
public addresses, see streams/fetch.py). A file is then opened without following a final symlink and
without blocking, refused unless it is a regular file, and read one byte past its declared size at most;
resolving, opening and reading all happen in a worker thread, so a slow disk (or a hung network mount)
never stalls the event loop (a stage loads a whole batch's files in one trip there: `load_documents`). The
bytes are verified after (size and sha256), so a stage never works on a document other than the one the
event names.

Errors are `DocumentError`s (dead-lettered with their code) or `DependencyUnavailable` for a source that
did not answer. Their messages go back to the tenant: they never name a path or URL, and a refused file
gets the same message whether it exists or not, with no size.

A worker that runs consecutive stages of the same invoices may remember the documents it loads (a
`DocumentMemo`, which the worker owns and its stages pass in): the next stage to ask for the same location
and digest gets the bytes already verified against that digest, instead of reading and hashing them again
(the references are checked all the same: a file's path as written must be inside a root, which costs no
I/O; the bytes held were read, resolved inside the roots, by that load).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import functools
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from config.settings import Settings
from schemas import DocumentRef
from streams.errors import (
    ConfigError,
    DocumentError,
    DocumentIntegrityError,
    DocumentNotAllowed,
    DocumentNotFound,
    DocumentTooLarge,
    InvoiceflowError,
)
from streams.fetch import DocumentFetcher, check_url
from streams.recent import Recent

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW  # a FIFO's open never blocks
_NO_ROOTS = "file:// references are not allowed: this worker has no file roots configured"
_OUTSIDE = "file:// reference is outside the allowed file roots"  # whether the file exists or not
_NOT_REGULAR = "referenced file is not a regular file"

DocumentMemo = Recent[tuple[str, str], bytes]
"""Verified document bytes a worker loaded lately, by location and sha256 (`Recent(max_bytes, len)`)."""


def remote_url(ref: DocumentRef) -> str | None:
    """The https:// URL of a document fetched from the network, or None for a local file or an inline one.

    The one place that tells the two kinds of reference apart (the schema allows file:// and https:// only): the
    loader fetches the one and reads the other inside the file roots, and the paid service is handed the URL
    to fetch itself rather than bytes.
    """
    uri = ref.uri
    return uri if uri is not None and uri.startswith("https://") else None


def path_from_uri(uri: str) -> Path:
    """The local path of a file:// URI (the plain `file:///abs/path` form without parsing: every event has one)."""
    if uri.startswith("file:///") and "?" not in uri and "#" not in uri:
        rest = uri[7:]
        return Path(unquote(rest) if "%" in rest else rest)
    parsed = urlparse(uri)
    if parsed.scheme.lower() != "file":
        raise DocumentNotAllowed("only file:// and https:// document references are allowed")
    if parsed.netloc.lower() not in ("", "localhost"):
        raise DocumentNotAllowed("file:// references to another host are not allowed")
    return Path(unquote(parsed.path))


@dataclass(frozen=True, slots=True)
class _Roots:
    """The file roots, each ending in a separator so that a prefix test cannot match /srv/docs-other."""

    resolved: tuple[str, ...]  # symlinks followed: what a resolved path must be inside
    either: tuple[str, ...]  # those and the roots as configured: to recognise a memo hit by a path as written

    def hold(self, path: str, resolved: bool) -> bool:
        return any(path.startswith(root) for root in (self.resolved if resolved else self.either))


def _folder(path: str) -> str:
    return path if path.endswith(os.sep) else path + os.sep


@functools.lru_cache(maxsize=16)
def _roots(roots: tuple[Path, ...]) -> _Roots:
    resolved = tuple(_folder(os.path.realpath(root)) for root in roots)
    return _Roots(resolved, resolved + tuple(_folder(os.path.abspath(root)) for root in roots))


def _resolve_inside(path: Path, roots: _Roots) -> str:
    """The resolved `path`, or `DocumentNotAllowed` when it is not inside the roots (blocking: in a thread).

    Nothing here looks at whether the file exists (a missing tail of the path resolves as written), so the
    answer for a path outside the roots says nothing about what is there.
    """
    try:
        real = os.path.realpath(path)
    except (ValueError, OSError):  # an embedded NUL, a path too long to resolve
        raise DocumentNotAllowed(_OUTSIDE) from None
    if not roots.hold(real, resolved=True):
        raise DocumentNotAllowed(_OUTSIDE)
    return real


def _written_inside(path: Path, roots: _Roots) -> bool:
    """Whether `path` as written (no symlink followed, no I/O) is inside a root: enough to serve the memo,
    whose bytes were read, resolved inside the roots, by an earlier load; never enough to read a file."""
    try:
        return roots.hold(os.path.abspath(path), resolved=False)
    except OSError:  # a relative path, and the working directory is gone
        return False


def _verify(data: bytes, ref: DocumentRef) -> bytes:
    if len(data) > ref.size:  # never more than one byte past it was read: its real size is unknown here
        raise DocumentIntegrityError(f"document is larger than its reference says ({ref.size} bytes)")
    if len(data) != ref.size:
        raise DocumentIntegrityError(f"document is {len(data)} bytes, reference says {ref.size}")
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise DocumentIntegrityError("document sha256 does not match its reference")
    return data


def _read_inside(path: Path, roots: _Roots, limit: int) -> bytes:
    """At most `limit` bytes of the regular file `path` names inside the roots (blocking: in a thread)."""
    real = _resolve_inside(path, roots)
    if not stat.S_ISREG(os.lstat(real).st_mode):  # never even open a device node (some act on open) or a link
        raise DocumentNotAllowed(_NOT_REGULAR)
    fd = os.open(real, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # what was opened, should the path have changed since
            raise DocumentNotAllowed(_NOT_REGULAR)
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _read_files(wanted: Sequence[tuple[Path, int]], roots: _Roots) -> list[bytes | OSError | DocumentError]:
    """Each file's bytes (at most its limit), or why not: one trip to a thread reads a whole batch."""
    out: list[bytes | OSError | DocumentError] = []
    for path, limit in wanted:
        try:
            out.append(_read_inside(path, roots, limit))
        except (OSError, DocumentError) as exc:
            out.append(exc)
    return out


def _file_error(exc: OSError | DocumentError) -> DocumentError:
    if isinstance(exc, DocumentError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return DocumentNotFound("referenced file does not exist")
    if exc.errno == errno.ELOOP:  # the final component became a symlink after it was resolved
        return DocumentNotAllowed(_NOT_REGULAR)
    return DocumentNotFound(f"referenced file cannot be read: {exc.strerror}")


def _prepare(ref: DocumentRef, settings: Settings, roots: _Roots, memo: DocumentMemo | None) -> bytes | Path | str:
    """What can be settled without I/O: the checks, an inline document, a memo hit (bytes); else the file's
    path or the URL to fetch."""
    if ref.size > settings.max_document_bytes:
        raise DocumentTooLarge(f"document is {ref.size} bytes, cap is {settings.max_document_bytes}")
    if ref.inline_b64 is not None:
        try:
            return _verify(base64.b64decode(ref.inline_b64, validate=True), ref)
        except binascii.Error as exc:
            raise DocumentIntegrityError("inline document is not valid base64") from exc
    uri = ref.uri
    assert uri is not None  # the schema guarantees exactly one location
    https = remote_url(ref) is not None
    if https:
        check_url(uri, settings)
    elif not roots.resolved:
        raise DocumentNotAllowed(_NO_ROOTS)
    path = None if https else path_from_uri(uri)
    if memo is not None and (path is None or _written_inside(path, roots)):  # else resolving decides
        held = memo.take((uri, ref.sha256))
        if held is not None and len(held) == ref.size:
            return held  # verified against this very digest when it was loaded
    return uri if path is None else path


async def load_documents(refs: Sequence[DocumentRef], settings: Settings, fetcher: DocumentFetcher | None = None,
                         memo: DocumentMemo | None = None) -> list[bytes | InvoiceflowError]:
    """The verified bytes of each document `refs` name, or the error that stopped it, in order (taken from
    `memo` when it holds them; what is loaded is kept there for the next stage).

    Every file of the batch is read in one trip to a worker thread (a thread hop and a loop wake-up per
    document cost a stage ~10% of its CPU at full rate); https:// references are fetched concurrently.
    """
    roots = _roots(settings.file_roots)
    out: list[bytes | InvoiceflowError] = []
    files: list[tuple[int, Path]] = []
    urls: list[tuple[int, str]] = []
    for i, ref in enumerate(refs):
        found: bytes | Path | str | InvoiceflowError
        try:
            found = _prepare(ref, settings, roots, memo)
        except InvoiceflowError as exc:
            found = exc
        if isinstance(found, Path):
            files.append((i, found))
        elif isinstance(found, str):
            urls.append((i, found))
        out.append(found if isinstance(found, bytes | InvoiceflowError) else b"")
    if files:  # one byte more than declared tells a longer file without reading it whole
        read = await asyncio.to_thread(_read_files, [(path, refs[i].size + 1) for i, path in files], roots)
        for (i, _), raw in zip(files, read, strict=True):
            out[i] = _loaded_or_error(refs[i], raw if isinstance(raw, bytes) else _file_error(raw), memo)
    if urls:
        fetched = await asyncio.gather(*(_fetch(fetcher, url, refs[i].size) for i, url in urls))
        for (i, _), got in zip(urls, fetched, strict=True):
            out[i] = _loaded_or_error(refs[i], got, memo)
    return out


async def _fetch(fetcher: DocumentFetcher | None, url: str, size: int) -> bytes | InvoiceflowError:
    if fetcher is None:
        return ConfigError("https:// document references need a fetcher, and this caller passed none")
    try:
        return await fetcher.fetch(url, size)
    except InvoiceflowError as exc:
        return exc


def _loaded_or_error(ref: DocumentRef, got: bytes | InvoiceflowError,
                     memo: DocumentMemo | None) -> bytes | InvoiceflowError:
    """Verified bytes (kept for the next stage) or the error."""
    if isinstance(got, InvoiceflowError):
        return got
    try:
        data = _verify(got, ref)
    except DocumentIntegrityError as exc:
        return exc
    if memo is not None:
        assert ref.uri is not None
        memo.put((ref.uri, ref.sha256), data)
    return data


async def load_document(ref: DocumentRef, settings: Settings, fetcher: DocumentFetcher | None = None,
                        memo: DocumentMemo | None = None) -> bytes:
    """The verified bytes of the document `ref` names; https:// references are fetched with `fetcher`."""
    [got] = await load_documents([ref], settings, fetcher, memo)
    if isinstance(got, InvoiceflowError):
        raise got
    return got
