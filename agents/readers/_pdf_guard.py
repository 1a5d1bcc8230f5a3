"""Refuse PDFs that would make PDFium decompress more than we allow, before PDFium ever sees them.

PDFium decodes a stream whole when a page, an object stream or an attachment is read, so a few kilobytes
of deflated zeros can become a gigabyte in memory; we cannot cap PDFium's allocations from Python, so we
measure first. For every stream we read the /Filter chains written before it (since the previous
`endstream`: a lying dictionary cannot hide its chain among other text) and run their expanding decoders
(Flate, LZW, RunLength, and the ASCIIHex/ASCII85 wrappers that could hide them) lazily, counting each
layer's output against the limit and never holding more than one chunk. Data that looks like zlib or hex
is also measured whatever the dictionary says. Input is read from the `stream` keyword until each
decoder's own end marker, so neither a lying /Length nor a fake `endstream` inside the data hides a bomb.
This is a pre-check, not a sandbox: workers should still run PDFium under a memory rlimit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from agents.readers._pdf_decoders import DECODERS, ascii_hex, inflate

__all__ = ["InflateLimitError", "TimeBudgetError", "check_streams", "looks_truncated", "stream_filters"]

_LENGTH = re.compile(rb"/Length\s+(\d{1,12})(\s+\d+\s+\d+\s+R)?")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+|\d+\s+\d+\s+R)")
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
_HEX_HEAD = re.compile(rb"[\s]*[0-9A-Fa-f]{2}[0-9A-Fa-f\s]{14}")
_ALIASES = {
    b"Fl": b"FlateDecode",
    b"LZW": b"LZWDecode",
    b"RL": b"RunLengthDecode",
    b"AHx": b"ASCIIHexDecode",
    b"A85": b"ASCII85Decode",
}
_DICT_WINDOW = 64 * 1024
_FIRST_CHUNK = 4096
_IN_CHUNK = 64 * 1024
_MAX_NESTING = 3
_EOF_WINDOW = 1024


class InflateLimitError(Exception):
    """A stream decodes past the limit."""


class TimeBudgetError(Exception):
    """The time budget ran out while measuring streams."""


def looks_truncated(content: bytes) -> bool:
    """Tell whether a PDF lacks the ``%%EOF`` marker its last revision must end with."""
    return b"%%EOF" not in content[-_EOF_WINDOW:]


def _looks_zlib(head: bytes | memoryview) -> bool:
    if len(head) < 2:
        return False
    cmf, flg = head[0], head[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0


def stream_filters(dictionary: bytes) -> tuple[tuple[bytes, ...], ...]:
    """Every /Filter chain written in `dictionary`, names in decoding order (abbreviations expanded).

    An indirect ``/Filter 12 0 R`` gives an empty chain: the data sniffing in `check_streams` covers it.
    """
    chains = []
    for found in _FILTER.finditer(dictionary):
        value = found.group(1)
        names = () if value.endswith(b"R") else tuple(_ALIASES.get(n, n) for n in _NAME.findall(value))
        if names not in chains:
            chains.append(names)
    return tuple(chains)


def _declared_length(dictionary: bytes) -> int | None:
    """The last direct /Length before the keyword: the stream's own, when it states one."""
    found = list(_LENGTH.finditer(dictionary))
    if not found or found[-1].group(2) is not None:
        return None
    return int(found[-1].group(1))


def _stream_keywords(content: bytes) -> Iterator[tuple[int, int, int]]:
    """Yield ``(dictionary start, keyword position, data start)`` for every `stream` keyword."""
    pos, last_end = 0, 0
    while (at := content.find(b"stream", pos)) >= 0:
        pos = at + 6
        if content[at - 3 : at] == b"end":
            last_end = pos
            continue
        eol = content[pos : pos + 2]
        if eol == b"\r\n":
            start = pos + 2
        elif eol[:1] in (b"\n", b"\r"):
            start = pos + 1
        else:
            continue
        yield max(last_end, at - _DICT_WINDOW), at, start


def _counted(chunks: Iterable[bytes], limit: int, deadline: float) -> Iterator[bytes]:
    total = 0
    for out in chunks:
        total += len(out)
        if total > limit:
            raise InflateLimitError(f"a stream decodes past {limit} bytes")
        if time.perf_counter() > deadline:
            raise TimeBudgetError("time budget exceeded while measuring PDF streams")
        yield out


def _drain(layer: Iterable[bytes]) -> None:
    for _ in layer:
        pass


def _measure_zlib(chunks: Iterable[bytes | memoryview], limit: int, deadline: float, depth: int) -> None:
    """Inflate and count, following nested zlib layers (data whose chain we could not trust)."""
    layer = _counted(inflate(chunks), limit, deadline)
    head = next(layer, None)
    if head is None:
        return
    rest = chain([head], layer)
    if depth < _MAX_NESTING and _looks_zlib(head):
        _measure_zlib(rest, limit, deadline, depth + 1)
    _drain(rest)  # PDFium holds each outer layer whole too: it must fit as well


def _measure_hex(chunks: Iterable[bytes | memoryview], limit: int, deadline: float) -> None:
    """Hex-encoded data: decode it (it only shrinks) and measure what it wraps if that is zlib."""
    decoded = b"".join(ascii_hex(chunks))
    if _looks_zlib(decoded[:2]):
        _measure_zlib([decoded], limit, deadline, 1)


def _measure_chain(
    chunks: Iterable[bytes | memoryview], filters: tuple[bytes, ...], limit: int, deadline: float
) -> None:
    """Run the expanding decoders of a filter chain in order, counting every layer's output."""
    layers: list[Iterator[bytes]] = []
    source: Iterable[bytes | memoryview] = chunks
    for name in filters:
        decoder: Callable[[Iterable[bytes | memoryview]], Iterator[bytes]] | None = DECODERS.get(name)
        if decoder is None:  # image codecs (DCT, JPX, CCITT, JBIG2) are decoded only to render: stop
            break
        layer = _counted(decoder(source), limit, deadline)
        layers.append(layer)
        source = layer
    if layers:
        _drain(layers[-1])  # pulls every layer through; each counts its own output
        for layer in layers[:-1]:
            _drain(layer)


def _slices(view: memoryview, start: int, first: int, deadline: float) -> Iterator[memoryview]:
    """The bytes from `start` on: first the declared length (or a small probe), then fixed-size chunks.

    Feeding the declared length first keeps zlib from copying a big tail into `unused_data` for every small
    stream; feeding on past it means a /Length that lies short cannot hide the rest of the data.
    """
    yield view[start : start + first]
    for offset in range(start + first, len(view), _IN_CHUNK):
        if time.perf_counter() > deadline:
            raise TimeBudgetError("time budget exceeded while measuring PDF streams")
        yield view[offset : offset + _IN_CHUNK]


def check_streams(content: bytes, limit: int, deadline: float) -> int:
    """Measure every stream of a PDF that an expanding filter would decode, keeping no decoded bytes.

    Args:
        content: The raw PDF bytes.
        limit: The largest decoded size allowed for any one stream (each filter layer counted alone).
        deadline: A ``time.perf_counter()`` value after which measuring stops.

    Returns:
        The number of measurements made.

    Raises:
        InflateLimitError: A stream decodes past `limit`.
        TimeBudgetError: The deadline passed.
    """
    view = memoryview(content)
    measured = 0
    for lo, keyword_at, start in _stream_keywords(content):
        dictionary = content[lo:keyword_at]
        chains = [c for c in stream_filters(dictionary) if c and c[0] in DECODERS]
        first = max(_declared_length(dictionary) or _FIRST_CHUNK, 2)
        head = view[start : start + 32]
        for names in chains:
            _measure_chain(_slices(view, start, first, deadline), names, limit, deadline)
            measured += 1
        if _looks_zlib(head) and not any(c[0] == b"FlateDecode" for c in chains):
            _measure_zlib(_slices(view, start, first, deadline), limit, deadline, 0)
            measured += 1
        if _HEX_HEAD.match(head) and not any(c[0] == b"ASCIIHexDecode" for c in chains):
            _measure_hex(_slices(view, start, first, deadline), limit, deadline)
            measured += 1
        if time.perf_counter() > deadline:
            raise TimeBudgetError("time budget exceeded while measuring PDF streams")
    return measured
