"""Images are checked to decode as what their bytes say, and get a thumbnail for the widget and
the console. A file that claims PNG and is not one is refused, not passed on to every reader's
image decoder.

Decoding needs the pixels in memory, so an image is bounded by its pixel count, not its bytes:
a 50 KB PNG can declare 100 000 x 100 000 pixels (a decompression bomb).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

# 40 megapixels: any phone photo (a 200 MP sensor bins to 12-50 MP), at most ~160 MB decoded RGBA
# for the moment it is thumbnailed; Pillow refuses beyond this (its bomb check at twice its limit).
MAX_IMAGE_PIXELS = 40_000_000
# Big enough for a phone screen's chat bubble at 2x, small enough (~10-30 KB) to send with every history page.
THUMBNAIL_PIXELS = 320
THUMBNAIL_QUALITY = 80
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# Pillow warns between its limit and twice it; inspect_image refuses anything past the limit itself.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)


class NotAnImage(ValueError):
    """The bytes do not decode as the image type they start like (or it is too large to decode)."""


@dataclass(frozen=True)
class ImageFacts:
    width: int
    height: int
    thumbnail: bytes  # JPEG


def inspect_image(source: BinaryIO, content_type: str) -> ImageFacts:
    """Decode the image (of the sniffed ``content_type``) and make its thumbnail. Blocking: run it
    in a worker thread."""
    try:
        with Image.open(source, formats=[PILLOW_FORMATS[content_type]]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise NotAnImage(f"{width}x{height} pixels is more than {MAX_IMAGE_PIXELS} pixels")
            image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))  # JPEG: decode at a reduced scale
            image.load()
            return ImageFacts(width, height, _thumbnail(image))
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise NotAnImage(f"the file does not decode as {content_type}: {error}") from None


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGBA")
    small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    flat = Image.new("RGB", small.size, "white")  # JPEG has no transparency: flatten on white
    flat.paste(small, mask=small.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()
