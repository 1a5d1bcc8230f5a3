"""Check an image's declared size without decoding its pixels, so a decompression bomb is refused cheaply.

A PNG of a few hundred bytes can declare 100,000 x 100,000 pixels and inflate to tens of gigabytes when
decoded. Pillow's `Image.open` is lazy: it reads only the header, which is all we need to compare the pixel
count with our limit. Pillow's own bomb check would raise or warn above its global limit; we silence its
warning and apply ours, which is configurable.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from agents.readers._errors import RefusedError

__all__ = ["IMAGE_MAGIC", "ImageProbe", "ImageRefusedError", "image_kind", "probe_image"]

IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


class ImageRefusedError(RefusedError):
    """The image is refused; `code` is ``image_bomb``, ``image_corrupt`` or ``image_too_many_pages``."""


@dataclass(frozen=True, slots=True)
class ImageProbe:
    """What the header of an image says."""

    kind: str
    width: int
    height: int
    frames: int


def image_kind(content: bytes) -> str | None:
    """Return ``png``, ``jpeg`` or ``tiff`` from the magic bytes, or None."""
    for magic, kind in IMAGE_MAGIC:
        if content.startswith(magic):
            return kind
    return None


def probe_image(content: bytes, max_pixels: int, max_frames: int) -> ImageProbe:
    """Read an image header and check its size against the limits, decoding no pixel data.

    Args:
        content: The image bytes (PNG, JPEG or TIFF).
        max_pixels: The largest width x height accepted, per frame.
        max_frames: The most frames (TIFF pages) accepted.

    Returns:
        The header's facts.

    Raises:
        ImageRefusedError: When the image is too large, has too many frames or cannot be read.
    """
    kind = image_kind(content) or "unknown"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise ImageRefusedError("image_corrupt", "Image declares an empty size.")
                if width * height > max_pixels:
                    raise ImageRefusedError("image_bomb", f"Image of {width}x{height} pixels is too large.")
                frames = int(getattr(image, "n_frames", 1))
    except Image.DecompressionBombError as exc:
        raise ImageRefusedError("image_bomb", "Image declares too many pixels.") from exc
    except ImageRefusedError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefusedError("image_corrupt", "Image header cannot be read.") from exc
    if frames > max_frames:
        raise ImageRefusedError("image_too_many_pages", f"Image has {frames} frames.")
    return ImageProbe(kind=kind, width=width, height=height, frames=frames)
