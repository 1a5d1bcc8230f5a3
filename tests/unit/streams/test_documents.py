"""Documents are loaded only when they are what their reference says; publish refuses bad paths."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from schemas import DocumentRef
from streams.documents import load_document, remember_loaded
from streams.errors import DocumentIntegrityError, DocumentNotFound, DocumentTooLarge
from streams.publisher import iter_documents, received_for_file


def _ref(path: Path, data: bytes, **kw: object) -> DocumentRef:
    fields: dict[str, object] = {"uri": path.resolve().as_uri(), "sha256": hashlib.sha256(data).hexdigest(),
                                 "size": len(data)}
    fields.update(kw)
    return DocumentRef(**fields)  # type: ignore[arg-type]


async def test_file_reference_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a b.xml"
    path.write_bytes(b"<Invoice/>")
    assert await load_document(_ref(path, b"<Invoice/>"), Settings()) == b"<Invoice/>"


async def test_changed_file_is_an_integrity_error(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    path.write_bytes(b"<Invoicx/>")
    with pytest.raises(DocumentIntegrityError):
        await load_document(ref, Settings())


async def test_missing_file_and_roots(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFound):
        await load_document(_ref(tmp_path / "gone.xml", b"x"), Settings())
    path = tmp_path / "a.xml"
    path.write_bytes(b"x")
    with pytest.raises(DocumentNotFound, match="allowed roots"):
        await load_document(_ref(path, b"x"), Settings(file_roots=(tmp_path / "elsewhere",)))


async def test_oversized_reference_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(DocumentTooLarge):
        await load_document(_ref(tmp_path / "x", b"", size=10**9), Settings())


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


@pytest.fixture
def remembering() -> Iterator[None]:
    remember_loaded(1024)
    yield
    remember_loaded(0)


@pytest.mark.usefixtures("remembering")
async def test_a_remembered_document_is_served_once_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    assert await load_document(ref, Settings()) == b"<Invoice/>"
    path.unlink()
    assert await load_document(ref, Settings()) == b"<Invoice/>"  # the verified bytes of the first load
    with pytest.raises(DocumentNotFound):
        await load_document(ref, Settings())  # taken once: read again


@pytest.mark.usefixtures("remembering")
async def test_remembered_bytes_serve_only_the_same_location_digest_and_size(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<Invoice/>")
    ref = _ref(path, b"<Invoice/>")
    await load_document(ref, Settings())
    with pytest.raises(DocumentIntegrityError):
        await load_document(_ref(path, b"<Invoice/>", size=11), Settings())
    await load_document(ref, Settings())
    with pytest.raises(DocumentNotFound, match="allowed roots"):  # the roots are checked all the same
        await load_document(ref, Settings(file_roots=(tmp_path / "elsewhere",)))
    path.write_bytes(b"<Invoicx/>")
    with pytest.raises(DocumentIntegrityError):  # another digest is never served from memory
        await load_document(_ref(path, b"<Invoice/>", sha256="b" * 64), Settings())
