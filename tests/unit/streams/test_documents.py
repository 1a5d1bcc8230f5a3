"""Documents are loaded only when they are what their reference says and where the settings allow; publish
refuses bad paths."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from schemas import DocumentRef
from streams.documents import DocumentMemo, load_document, load_documents, remote_url
from streams.errors import DocumentIntegrityError, DocumentNotAllowed, DocumentNotFound, DocumentTooLarge
from streams.publisher import iter_documents, received_for_file
from streams.recent import Recent


def _ref(path: Path, data: bytes, **kw: object) -> DocumentRef:
    # the path as written (absolute, not resolved): links and ".." are the loader's to resolve
    fields: dict[str, object] = {"uri": path.absolute().as_uri(), "sha256": hashlib.sha256(data).hexdigest(),
                                 "size": len(data)}
    fields.update(kw)
    return DocumentRef(**fields)  # type: ignore[arg-type]


def _in(root: Path, **kw: object) -> Settings:
    """Settings whose only file root is `root` (the default allows no file at all)."""
    return Settings(file_roots=(root,), **kw)  # type: ignore[arg-type]


async def test_file_reference_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a b.xml"
    path.write_bytes(b"<Invoice/>")
    assert await load_document(_ref(path, b"<Invoice/>"), _in(tmp_path)) == b"<Invoice/>"


async def test_changed_file_is_an_integrity_error(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    path.write_bytes(b"<Invoicx/>")
    with pytest.raises(DocumentIntegrityError):
        await load_document(ref, _in(tmp_path))


async def test_missing_file_and_roots(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFound) as missing:
        await load_document(_ref(tmp_path / "gone.xml", b"x"), _in(tmp_path))
    assert str(tmp_path) not in str(missing.value)
    path = tmp_path / "a.xml"
    path.write_bytes(b"x")
    with pytest.raises(DocumentNotAllowed, match="allowed file roots"):
        await load_document(_ref(path, b"x"), _in(tmp_path / "elsewhere"))


async def test_oversized_reference_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(DocumentTooLarge):
        await load_document(_ref(tmp_path / "x", b"", size=10**9), _in(tmp_path))


def test_publish_refuses_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFound):
        list(iter_documents([tmp_path / "nope"]))
    big = tmp_path / "big.pdf"
    big.write_bytes(b"0" * 2048)
    with pytest.raises(DocumentTooLarge, match="over the cap"):
        received_for_file(big, "t", Settings(max_document_bytes=1024))


def test_inline_only_when_small(tmp_path: Path) -> None:
    small = tmp_path / "s.xml"
    small.write_bytes(b"<Invoice/>")
    ev = received_for_file(small, "t", Settings(), inline=True)
    assert ev.document.inline_b64 is not None and ev.document.uri is None
    ev = received_for_file(small, "t", Settings(inline_max_bytes=4), inline=True)
    assert ev.document.uri is not None and ev.document.inline_b64 is None


@pytest.mark.parametrize("uri", [
    "file:///tmp/in%20box/a%C3%A9.xml", "file:///tmp/plain.pdf", "file:///tmp/q.pdf?x=1", "file:///tmp/f.pdf#p2",
    "file://localhost/tmp/h.pdf", "file:///",
])
def test_the_plain_file_uri_shortcut_reads_paths_as_urlparse_does(uri: str) -> None:
    from urllib.parse import unquote, urlparse

    from streams.documents import path_from_uri

    assert path_from_uri(uri) == Path(unquote(urlparse(uri).path))


async def test_a_remembered_document_is_served_once_without_reading(tmp_path: Path) -> None:
    memo: DocumentMemo = Recent(1024, len)
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    assert await load_document(ref, _in(tmp_path), None, memo) == b"<Invoice/>"
    path.unlink()
    assert await load_document(ref, _in(tmp_path), None, memo) == b"<Invoice/>"  # the verified bytes of the first load
    with pytest.raises(DocumentNotFound):
        await load_document(ref, _in(tmp_path), None, memo)  # taken once: read again


async def test_remembered_bytes_serve_only_the_same_location_digest_and_size(tmp_path: Path) -> None:
    memo: DocumentMemo = Recent(1024, len)
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    await load_document(ref, _in(tmp_path), None, memo)
    with pytest.raises(DocumentIntegrityError):
        await load_document(_ref(path, b"<Invoice/>", size=11), _in(tmp_path), None, memo)
    await load_document(ref, _in(tmp_path), None, memo)
    with pytest.raises(DocumentNotAllowed, match="allowed file roots"):  # the roots are checked all the same
        await load_document(ref, _in(tmp_path / "elsewhere"), None, memo)
    with pytest.raises(DocumentNotAllowed):  # and so is their absence
        await load_document(ref, Settings(), None, memo)
    path.write_bytes(b"<Invoicx/>")
    with pytest.raises(DocumentIntegrityError):  # another digest is never served from memory
        await load_document(_ref(path, b"<Invoice/>", sha256="b" * 64), _in(tmp_path), None, memo)


async def test_a_document_is_remembered_only_in_the_memo_passed_in(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    memo: DocumentMemo = Recent(1024, len)
    await load_document(ref, _in(tmp_path))  # no memo: nothing kept anywhere
    assert len(memo) == 0
    await load_document(ref, _in(tmp_path), None, memo)
    path.unlink()
    with pytest.raises(DocumentNotFound):
        await load_document(ref, _in(tmp_path))  # another caller, without the memo, reads the file
    assert await load_document(ref, _in(tmp_path), None, memo) == b"<Invoice/>"
    assert (memo.hits, memo.misses) == (1, 1)


# References are untrusted: what an event may make a worker read.

_MIB = 1024 * 1024


async def test_a_long_file_is_refused_after_reading_one_byte_past_its_declared_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.truncate(300 * _MIB)  # sparse: costs no disk, but a whole read would cost 300 MiB of memory
    tracemalloc.start()
    try:
        with pytest.raises(DocumentIntegrityError) as refused:
            await load_document(_ref(huge, b"0" * 1000), _in(tmp_path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < _MIB, f"peak {peak:,} bytes while refusing a 1,000-byte reference"
    message = str(refused.value)
    assert "larger than" in message and str(300 * _MIB) not in message


async def test_a_file_one_byte_longer_than_declared_is_refused_without_its_size(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>!")
    with pytest.raises(DocumentIntegrityError, match="larger than its reference says") as refused:
        await load_document(_ref(path, b"<Invoice/>"), _in(tmp_path))
    assert "11" not in str(refused.value)


async def test_dev_zero_is_refused(tmp_path: Path) -> None:
    zero = _ref(Path("/dev/zero"), b"\0" * 1000)
    with pytest.raises(DocumentNotAllowed, match="allowed file roots"):
        await asyncio.wait_for(load_document(zero, _in(tmp_path)), 5)
    with pytest.raises(DocumentNotAllowed, match="not a regular file"):  # even where /dev is a root
        await asyncio.wait_for(load_document(zero, _in(Path("/dev"))), 5)


@contextlib.contextmanager
def _released(fifo: Path) -> Iterator[None]:
    """Whatever happens, let a reader stuck opening `fifo` go (a writer opening it releases the reader)."""
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # ENXIO: nobody is reading, nobody is stuck
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_a_fifo_inside_the_roots_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    with _released(fifo), pytest.raises(DocumentNotAllowed, match="not a regular file"):
        await asyncio.wait_for(load_document(_ref(fifo, b"<Invoice/>"), _in(tmp_path)), 5)


async def test_a_directory_inside_the_roots_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.xml").mkdir()
    with pytest.raises(DocumentNotAllowed, match="not a regular file"):
        await load_document(_ref(tmp_path / "folder.xml", b"x"), _in(tmp_path))


def _refusal(ref: DocumentRef, settings: Settings) -> str:
    with pytest.raises(DocumentNotAllowed) as refused:
        asyncio.run(load_document(ref, settings))
    return str(refused.value)


def test_a_symlink_inside_the_roots_pointing_outside_is_refused(tmp_path: Path) -> None:
    inside, outside = tmp_path / "inbox", tmp_path / "private"
    inside.mkdir()
    outside.mkdir()
    secret = outside / "secret.xml"
    secret.write_bytes(b"<Secret>" + b"s" * 1234 + b"</Secret>")
    (inside / "link.xml").symlink_to(secret)
    (inside / "dangling.xml").symlink_to(outside / "nothing.xml")
    linked = _refusal(_ref(inside / "link.xml", secret.read_bytes()), _in(inside))
    dangling = _refusal(_ref(inside / "dangling.xml", b"x", size=1251), _in(inside))
    assert linked == dangling  # says nothing about what the link points at
    assert "1251" not in linked and str(tmp_path) not in linked


@pytest.mark.parametrize("settings_for", [
    pytest.param(lambda root: _in(root / "inbox"), id="outside-the-roots"),
    pytest.param(lambda root: Settings(), id="no-roots"),
])
def test_a_path_outside_the_roots_gets_one_answer_whether_it_exists_or_not(
    tmp_path: Path, settings_for: object,
) -> None:
    settings = settings_for(tmp_path)  # type: ignore[operator]
    (tmp_path / "inbox").mkdir()
    shadow = tmp_path / "etc" / "shadow"
    shadow.parent.mkdir()
    shadow.write_bytes(b"root:$6$salt$hash:19000:0:99999:7:::\n" * 37)
    size = shadow.stat().st_size
    answers = {
        _refusal(_ref(shadow, b"x", size=size), settings),  # exists, real size
        _refusal(_ref(shadow, b"x", size=10), settings),  # exists, wrong size
        _refusal(_ref(tmp_path / "etc" / "gshadow", b"x", size=size), settings),  # does not exist
        _refusal(_ref(tmp_path / "inbox" / ".." / "etc" / "shadow", b"x", size=size), settings),  # climbs out
        _refusal(_ref(Path("/etc/shadow"), b"x", size=1000), settings),
        _refusal(_ref(Path("/proc/self/environ"), b"x", size=1000), settings),
        _refusal(_ref(Path("/etc/no-such-file"), b"x", size=1000), settings),
    }
    assert len(answers) == 1
    [answer] = answers
    assert str(size) not in answer and "shadow" not in answer and str(tmp_path) not in answer


def test_a_root_is_a_folder_not_a_prefix(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs-other").mkdir()
    other = tmp_path / "docs-other" / "a.xml"
    other.write_bytes(b"<Invoice/>")
    _refusal(_ref(other, b"<Invoice/>"), _in(tmp_path / "docs"))


async def test_empty_roots_refuse_every_file_reference(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    for uri in (path.as_uri(), "file:///etc/passwd", "file://localhost/etc/hostname", "file:///dev/zero"):
        ref = DocumentRef(uri=uri, sha256=hashlib.sha256(b"<Invoice/>").hexdigest(), size=10)
        with pytest.raises(DocumentNotAllowed, match="no file roots"):
            await load_document(ref, Settings())


async def test_a_file_uri_naming_another_host_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    for uri in (f"file://fileserver{path}", f"file://fileserver.example.com{path}"):
        ref = DocumentRef(uri=uri, sha256=hashlib.sha256(b"<Invoice/>").hexdigest(), size=10)
        with pytest.raises(DocumentNotAllowed) as refused:
            await load_document(ref, _in(tmp_path))
        assert "fileserver" not in str(refused.value) and str(tmp_path) not in str(refused.value)


async def test_a_batch_reads_its_files_in_one_trip_to_a_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread hop (and a loop wake-up) per document cost the detect stage ~20% of its CPU at full rate."""
    trips: list[object] = []
    real = asyncio.to_thread

    async def counted(func: Any, *args: Any) -> Any:
        trips.append(func)
        return await real(func, *args)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    files = [tmp_path / f"d{i}.xml" for i in range(5)]
    for i, f in enumerate(files):
        f.write_bytes(b"<x>%d</x>" % i)
    refs = [_ref(f, f.read_bytes()) for f in files] + [_ref(tmp_path / "missing.xml", b"gone")]
    got = await load_documents(refs, Settings(file_roots=(tmp_path,)))
    assert got[:5] == [f.read_bytes() for f in files]
    assert isinstance(got[5], DocumentNotFound)
    assert len(trips) == 1


def test_remote_url_tells_a_fetched_reference_from_a_local_or_inline_one(tmp_path: Path) -> None:
    data = b"<Invoice/>"
    digest = hashlib.sha256(data).hexdigest()
    url = "https://docs.example.test/a/invoice.xml?sig=x"
    assert remote_url(DocumentRef(uri=url, sha256=digest, size=len(data))) == url
    assert remote_url(_ref(tmp_path / "a.xml", data)) is None
    inline = DocumentRef(inline_b64=base64.b64encode(data).decode(), sha256=digest, size=len(data))
    assert remote_url(inline) is None
