"""Draw a one-page :class:`Layout` with Pillow and make it look scanned.

Why hand-rolled noise: Pillow's ``effect_noise`` draws from C ``rand()``, whose state is per process, so the
same seed would give different bytes in two calls. Noise here comes from the invoice's own ``random.Random``
(``randbytes``) mapped through a Gaussian lookup table: deterministic and still only a few milliseconds per page.
A scan gets a slight rotation (up to ±2°), soft focus, paper tint, specks, and then PNG, JPEG or TIFF encoding.
"""

from __future__ import annotations

import io
import random
import time
from functools import lru_cache
from statistics import NormalDist
from typing import Final

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from ._layout import PAGE_H, PAGE_W, Box, Layout, Rule, Text
from ._pdf import find_font

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
IMAGE_FORMATS: Final = (("png", "PNG"), ("jpg", "JPEG"), ("tif", "TIFF"))
_ANCHORS: Final = {"l": "ls", "r": "rs", "c": "ms"}
_FACES: Final = {(False, False): "DejaVuSans", (False, True): "DejaVuSans-Bold",
                 (True, False): "DejaVuSerif", (True, True): "DejaVuSerif-Bold"}


@lru_cache(maxsize=128)
def _font(serif: bool, bold: bool, px: int) -> Font:
    path = find_font(_FACES[(serif, bold)])
    if path is not None:
        return ImageFont.truetype(str(path), px)
    return ImageFont.load_default(px)


@lru_cache(maxsize=32)
def _noise_table(sigma10: int) -> list[int]:
    dist = NormalDist(0.0, sigma10 / 10)
    return [max(0, min(255, round(128 + dist.inv_cdf((v + 0.5) / 256)))) for v in range(256)]


def draw_page(layout: Layout, page_index: int, dpi: int) -> Image.Image:
    """Clean grayscale rendering of one layout page at ``dpi``."""
    scale = dpi / 72
    img = Image.new("L", (round(PAGE_W * scale), round(PAGE_H * scale)), 255)
    draw = ImageDraw.Draw(img)
    for op in layout.pages[page_index]:
        if isinstance(op, Text):
            font = _font(layout.serif, op.bold, max(6, round(op.size * scale)))
            anchor = _ANCHORS[op.align] if isinstance(font, ImageFont.FreeTypeFont) else None
            draw.text((op.x * scale, op.y * scale), op.text, fill=round(op.gray * 255), font=font, anchor=anchor)
        elif isinstance(op, Rule):
            draw.line([(op.x1 * scale, op.y1 * scale), (op.x2 * scale, op.y2 * scale)],
                      fill=round(op.gray * 255), width=max(1, round(op.width * scale)))
        elif isinstance(op, Box):
            box = (op.x * scale, op.y * scale, (op.x + op.w) * scale, (op.y + op.h) * scale)
            draw.rectangle(box, fill=None if op.fill is None else round(op.fill * 255),
                           outline=70 if op.stroke else None, width=max(1, round(0.6 * scale)))
    return img


def pick_image_format(rng: random.Random) -> tuple[str, str]:
    """(extension, Pillow format) of a scan image file."""
    return rng.choice(IMAGE_FORMATS)


def scanify(img: Image.Image, rng: random.Random, *, clean_background: bool) -> Image.Image:
    """Rotate by up to ±2°, soften, add Gaussian noise, specks and a paper tint.

    ``clean_background`` imitates a scanner's background removal (near-white pixels become paper white); it is
    what keeps lossless PNG/TIFF scans at a realistic size instead of a megabyte of compressed noise.
    """
    paper = rng.randint(232, 252)
    angle = rng.uniform(0.25, 2.0) * rng.choice((-1, 1))
    # nearest-neighbour rotation plus a 3x3 smooth costs a third of a bicubic rotation and looks the same
    out = img.rotate(angle, resample=Image.Resampling.NEAREST, expand=False, fillcolor=255)
    out = out.filter(ImageFilter.SMOOTH if rng.random() < 0.7 else ImageFilter.SMOOTH_MORE)
    w, h = out.size
    noise = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(_noise_table(rng.randint(30, 120)))
    out = ImageChops.add(out, noise, scale=1.0, offset=-128)
    lo = rng.randint(0, 40)
    cut = 255 - rng.randint(18, 40) if clean_background else 256
    out = out.point([paper if v >= cut else lo + (v * (paper - lo)) // 255 for v in range(256)])
    draw = ImageDraw.Draw(out)
    for _ in range(rng.randint(20, 300)):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice((1, 1, 1, 2, 3))
        draw.ellipse((x, y, x + r, y + r), fill=rng.randint(20, 120))
    return out


def encode_image(img: Image.Image, rng: random.Random, dpi: int, fmt: str) -> bytes:
    """Encode as PNG, JPEG (sometimes colour-tinted) or TIFF (deflate gray or CCITT G4 bilevel)."""
    buf = io.BytesIO()
    if fmt == "JPEG":
        if rng.random() < 0.5:
            tint = (rng.randint(0, 6), rng.randint(0, 6), rng.randint(6, 18))
            img = Image.merge("RGB", [img.point([max(0, v - t) for v in range(256)]) for t in tint])
        img.save(buf, "JPEG", quality=rng.randint(55, 90), dpi=(dpi, dpi))
    elif fmt == "TIFF":
        if rng.random() < 0.5:
            img.point([0 if v < 150 else 255 for v in range(256)]).convert("1").save(
                buf, "TIFF", compression="group4", dpi=(dpi, dpi))
        else:
            img.save(buf, "TIFF", compression="tiff_adobe_deflate", dpi=(dpi, dpi))
    else:
        img.save(buf, "PNG", dpi=(dpi, dpi), compress_level=3)
    return buf.getvalue()


def image_pdf(img: Image.Image, dpi: int, title: str, stamp: tuple[int, int, int]) -> bytes:
    """Wrap a scan in a PDF page with no text layer (JPEG inside, like a copier's scan-to-PDF)."""
    buf = io.BytesIO()
    when = time.struct_time((*stamp, 10, 0, 0, 0, 1, 0))
    rgb_or_gray = img if img.mode in ("L", "RGB") else img.convert("L")
    rgb_or_gray.save(buf, "PDF", resolution=float(dpi), title=title, creationDate=when, modDate=when,
                     producer="Scanner", quality=80)
    return buf.getvalue()
