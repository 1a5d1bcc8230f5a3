"""Local OCR with Debian's tesseract, for scans and images when `INVOICEFLOW_OCR=tesseract`.

Paid extraction costs money per page; a local OCR pass costs a second of one core. Tesseract runs as a
subprocess (no Python binding to build), single-threaded (`OMP_THREAD_LIMIT=1`: the agent shell runs
several documents in a process pool, and tesseract's own threads would only fight over the same
cores), and prints TSV: one row per word with its box and its line. Those words become the same
`TextLine`s the PDF text layer gives, so `text_reader.read_text` reads OCR output unchanged. Scanned
PDFs are rendered page by page with pypdfium2 at about 200 dpi first.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache

import pypdfium2 as pdfium

from agents.readers.pdf_text import TextLine, Word, line_from_words
from agents.readers.text_reader import read_text
from config.settings import Settings
from schemas import InvoiceData, Reason

# The six languages of the label dictionaries, as tesseract names them; English first.
WANTED_LANGUAGES = ("eng", "deu", "fra", "ita", "spa", "nld")
_DPI = 200
_MIN_CONFIDENCE = 0.0  # tesseract marks non-words with -1; real words keep even a low confidence


class OcrError(RuntimeError):
    """Tesseract is missing, failed, or timed out."""


def tesseract_path() -> str | None:
    """Where the tesseract binary is, or None when it is not installed."""
    return shutil.which("tesseract")


def ocr_enabled(settings: Settings) -> bool:
    """Whether local OCR is configured and possible on this machine."""
    return settings.ocr == "tesseract" and tesseract_path() is not None


@cache
def installed_languages() -> frozenset[str]:
    """Language packs tesseract has (`tesseract --list-langs`); empty when tesseract is absent."""
    binary = tesseract_path()
    if binary is None:
        return frozenset()
    done = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    names = done.stdout.splitlines()[1:] if done.returncode == 0 else []
    return frozenset(name.strip() for name in names if name.strip())


def default_languages() -> str:
    """The wanted languages that are installed, joined for `-l` ("eng+deu+fra..."), at least "eng"."""
    have = installed_languages()
    chosen = [lang for lang in WANTED_LANGUAGES if lang in have]
    return "+".join(chosen) or "eng"


def ocr_lines(
    image: bytes, *, languages: str | None = None, first_page: int = 0, timeout_s: float = 120.0
) -> tuple[tuple[TextLine, ...], ...]:
    """OCR one image (PNG, JPEG or TIFF, multi-page TIFF included) into positioned lines per page.

    Args:
        image: The image bytes.
        languages: Tesseract languages ("eng+deu"); the installed wanted ones when None.
        first_page: Page index given to the first page (for images rendered from a PDF).
        timeout_s: Give up after this many seconds.

    Returns:
        One tuple of lines per image page, in pixel coordinates.

    Raises:
        OcrError: Tesseract is absent, failed, or timed out.
    """
    binary = tesseract_path()
    if binary is None:
        raise OcrError("tesseract is not installed")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    command = [binary, "stdin", "stdout", "-l", languages or default_languages(), "--psm", "3", "tsv"]
    try:
        done = subprocess.run(command, input=image, capture_output=True, env=env, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"tesseract timed out after {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        raise OcrError(f"tesseract failed with exit code {done.returncode}")
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"), first_page)


def parse_tsv(tsv: str, first_page: int = 0) -> tuple[tuple[TextLine, ...], ...]:
    """Turn tesseract's TSV into lines: words grouped by page, block, paragraph and line.

    Args:
        tsv: Tesseract's TSV output, header row first.
        first_page: Page index given to the TSV's first page.

    Returns:
        One tuple of lines per page, top to bottom.
    """
    groups: dict[tuple[int, int, int, int], list[Word]] = {}
    pages: set[int] = set()
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        text = cells[11].strip()
        try:
            page, block, par, line = (int(c) for c in cells[1:5])
            left, top, width, height = (int(c) for c in cells[6:10])
            conf = float(cells[10])
        except ValueError:
            continue
        pages.add(page)
        if not text or conf < _MIN_CONFIDENCE:
            continue
        groups.setdefault((page, block, par, line), []).append(Word(left, top, left + width, top + height, text))
    out: list[tuple[TextLine, ...]] = []
    for number in sorted(pages):
        lines = [
            line_from_words(first_page + number - 1, sorted(words, key=lambda w: w.x0))
            for (page, _, _, _), words in groups.items()
            if page == number
        ]
        lines.sort(key=lambda ln: (ln.y0, ln.x0))
        out.append(tuple(lines))
    return tuple(out)


def render_pdf(content: bytes, *, dpi: int = _DPI, max_pages: int | None = None) -> list[bytes]:
    """Render the pages of a (scanned) PDF to PNG images for OCR.

    Args:
        content: The PDF bytes.
        dpi: Rendering resolution; about 200 dpi suits tesseract on invoice-size print.
        max_pages: Render at most this many pages.

    Returns:
        One grey-scale PNG per page.
    """
    doc = pdfium.PdfDocument(content)
    try:
        count = len(doc) if max_pages is None else min(len(doc), max_pages)
        images: list[bytes] = []
        for index in range(count):
            page = doc[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                buffer = io.BytesIO()
                bitmap.to_pil().save(buffer, format="PNG")
                images.append(buffer.getvalue())
            finally:
                page.close()
        return images
    finally:
        doc.close()


def read_image(image: bytes, *, languages: str | None = None) -> tuple[InvoiceData, tuple[Reason, ...]]:
    """OCR an invoice image and read its fields with the text reader.

    Args:
        image: PNG, JPEG or TIFF bytes.
        languages: Tesseract languages; the installed wanted ones when None.

    Returns:
        The invoice fields with per-field confidence, and the reasons for any doubt.

    Raises:
        OcrError: Tesseract is absent, failed, or timed out.
    """
    return _read(ocr_lines(image, languages=languages))


def read_scanned_pdf(
    content: bytes, *, languages: str | None = None, max_pages: int | None = None
) -> tuple[InvoiceData, tuple[Reason, ...]]:
    """Render a scanned PDF, OCR each page and read the fields with the text reader.

    Args:
        content: The PDF bytes.
        languages: Tesseract languages; the installed wanted ones when None.
        max_pages: OCR at most this many pages.

    Returns:
        The invoice fields with per-field confidence, and the reasons for any doubt.

    Raises:
        OcrError: Tesseract is absent, failed, or timed out.
    """
    pages: list[tuple[TextLine, ...]] = []
    for index, image in enumerate(render_pdf(content, max_pages=max_pages)):
        pages.extend(ocr_lines(image, languages=languages, first_page=index))
    return _read(pages)


def _read(pages: Sequence[Sequence[TextLine]]) -> tuple[InvoiceData, tuple[Reason, ...]]:
    data, reasons = read_text(pages)
    note = Reason(code="ocr_local", message="Fields were read by local OCR; characters may be misread.")
    confidence = {k: round(v * 0.9, 3) for k, v in data.confidence.items()}  # OCR can misread any digit
    return data.model_copy(update={"confidence": confidence}), (*reasons, note)
