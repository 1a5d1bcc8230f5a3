"""Refuse PDFs that would make PDFium decompress more than we allow, before PDFium ever sees them.

PDFium decodes a stream whole when a page, an object stream or an attachment is read, so a few kilobytes
of deflated zeros can become a gigabyte in memory; we cannot cap PDFium's allocations from Python, so we
measure first. For every stream we read the /Filter chains written before it (since the previous
`endstream`: a lying dictionary cannot hide its chain among other text) and run their expanding decoders
(Flate, LZW, RunLength, and the ASCIIHex/ASCII85 wrappers that could hide them) lazily, counting each
layer's output against the limit and never holding more than one chunk. Data that looks like zlib or hex
is also measured whatever the dictionary says. Input is read from the `stream` keyword until each
decoder's own end marker, so neither a lying /Length nor a fake `endstream` inside the data hides a bomb;
the data starts where PDFium starts it, after the end of the keyword's line, whatever else is on that line.

Most streams need no decoding at all: a decoder cannot expand its input more than a fixed ratio (deflate at
most 1032 times), and no decoder can be fed more than the bytes left in the file after the stream starts,
so a chain whose worst case stays within the limit is counted as measured without decoding it. Whether the
data starts with another zlib layer, which would be followed, is still checked by inflating two bytes.
This is a pre-check, not a sandbox: workers should still run PDFium under a memory rlimit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from agents.readers._pdf_decoders import DECODERS, ascii_hex, inflate, inflate_head

__all__ = ["InflateLimitError", "TimeBudgetError", "check_streams", "looks_truncated", "stream_filters"]

_LENGTH = re.compile(rb"/Length\s+(\d{1,12})(\s+\d+\s+\d+\s+R)?")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+|\d+\s+\d+\s+R)")
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
_HEX_HEAD = re.compile(rb"[\s]*[0-9A-Fa-f]{2}[0-9A-Fa-f\s]{14}")
_EOL = re.compile(rb"\r\n?|\n")
# Bytes that end the word `stream` for PDFium other than an end of line: whitespace and delimiters.
_WORD_ENDS = frozenset(b" \t\f\x00()<>[]{}/%")
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
# The most output one input byte can give each decoder (LZW has no such bound: a code can stand for a string
# as long as its table has grown, so an LZW layer is always decoded). Deflate's best case is a 258-byte match
# coded in two bits (a one-bit length code, a one-bit distance code); a RunLength pair gives 128 bytes;
# ASCII85's `z` gives four zero bytes; two hex digits give one byte.
_MAX_RATIO = {b"FlateDecode": 1032, b"RunLengthDecode": 64, b"ASCII85Decode": 4, b"ASCIIHexDecode": 1}


class InflateLimitError(Exception):
    """A stream decodes past the limit."""


class TimeBudgetError(Exception):
    """The time budget ran out while measuring streams."""


def looks_truncated(content: bytes) -> bool:
    """Tell whether a PDF lacks the ``%%EOF`` marker its last revision must end with."""
    return content.find(b"%%EOF", max(0, len(content) - _EOF_WINDOW)) < 0


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


def _first_chunk(dictionary: bytes) -> int:
    """How many bytes to feed first: the last direct /Length before the keyword (the stream's own, when it
    states one), else a small probe."""
    found = list(_LENGTH.finditer(dictionary))
    if not found or found[-1].group(2) is not None:
        return _FIRST_CHUNK
    return max(int(found[-1].group(1)) or _FIRST_CHUNK, 2)


def _stream_keywords(content: bytes) -> Iterator[tuple[int, int, int]]:
    """Yield ``(dictionary start, keyword position, data start)`` for every `stream` keyword.

    PDFium takes the word `stream` when whitespace or a delimiter follows it, and its data from the start of
    the next line (skipping spaces or a comment on the keyword's line), so the data starts there here too.
    """
    pos, last_end, eol_end = 0, 0, -1
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
        elif eol and eol[0] in _WORD_ENDS:
            if eol_end <= pos:  # remembered: a file of `stream ` words without a line end stays linear
                found = _EOL.search(content, pos)
                eol_end = found.end() if found else len(content)
            start = eol_end
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


def _peek(layer: Iterator[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes of a layer (fewer if it is shorter), and the whole layer still to read.

    However the decoder happens to chunk its output, the head is the same, so a short first chunk cannot
    hide a nested layer.
    """
    taken: list[bytes] = []
    got = 0
    for out in layer:
        taken.append(out)
        got += len(out)
        if got >= size:
            break
    return b"".join(taken)[:size], chain(taken, layer)


def _measure_zlib(chunks: Iterable[bytes | memoryview], limit: int, deadline: float, depth: int) -> None:
    """Inflate and count, following nested zlib layers (data whose chain we could not trust)."""
    head, rest = _peek(_counted(inflate(chunks), limit, deadline), 2)
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


def _chain_fits(filters: tuple[bytes, ...], available: int, limit: int) -> bool:
    """Whether no layer of a filter chain can decode past `limit` from at most `available` input bytes."""
    bound = available
    for name in filters:
        if name not in DECODERS:  # where `_measure_chain` stops too
            break
        ratio = _MAX_RATIO.get(name)
        if ratio is None:
            return False
        bound *= ratio
        if bound > limit:
            return False
    return True


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


def _check_stream(view: memoryview, dictionary: bytes, start: int, limit: int, deadline: float) -> int:
    """Measure one stream every way PDFium could decode it; return the number of measurements."""
    chains = [c for c in stream_filters(dictionary) if c and c[0] in DECODERS]
    available = len(view) - start  # no decoder can be fed more: the bound behind every shortcut
    head = view[start : start + 32]
    measured = 0
    for names in chains:
        if not _chain_fits(names, available, limit):
            _measure_chain(_slices(view, start, _first_chunk(dictionary), deadline), names, limit, deadline)
        measured += 1
    if _looks_zlib(head) and not any(c[0] == b"FlateDecode" for c in chains):
        # Even a first layer that fits needs its head read: a nested zlib layer is followed, and may not fit.
        if not _chain_fits((b"FlateDecode",), available, limit) or _looks_zlib(
            inflate_head(_slices(view, start, _FIRST_CHUNK, deadline), 2)
        ):
            _measure_zlib(_slices(view, start, _first_chunk(dictionary), deadline), limit, deadline, 0)
        measured += 1
    if _HEX_HEAD.match(head) and not any(c[0] == b"ASCIIHexDecode" for c in chains):
        _measure_hex(_slices(view, start, _first_chunk(dictionary), deadline), limit, deadline)
        measured += 1
    return measured


def check_streams(content: bytes, limit: int, deadline: float) -> int:
    """Measure every stream of a PDF that an expanding filter would decode, keeping no decoded bytes.

    A stream whose filters cannot reach `limit` from the bytes left in the file counts as measured without
    being decoded (see the module docstring).

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
        measured += _check_stream(view, content[lo:keyword_at], start, limit, deadline)
        if time.perf_counter() > deadline:
            raise TimeBudgetError("time budget exceeded while measuring PDF streams")
    return measured
