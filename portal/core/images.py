"""Opening uploaded images without letting one of them take the worker's memory.

A PNG of a few hundred KB can declare 10,000 × 10,000 pixels; decoding it takes gigabytes.
`open_limited` reads only the header (Pillow's `Image.open` is lazy), refuses an image above
IMAGE_MAX_PIXELS before anything is decoded, and hands back the still-undecoded image.
Pillow's own DecompressionBombError (twice its MAX_IMAGE_PIXELS) stays as a second lock.
"""

from __future__ import annotations

import io
import warnings

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from PIL import Image

from portal.core.errors import DomainError

# 30 million pixels: a 24-megapixel camera's photo passes; decoded RGB that is ~90 MB at most.
IMAGE_MAX_PIXELS = 30_000_000


def max_pixels() -> int:
    if has_app_context():
        return int(current_app.config.get("IMAGE_MAX_PIXELS", IMAGE_MAX_PIXELS))
    return IMAGE_MAX_PIXELS


def open_limited(data: bytes, *, field: str) -> Image.Image:
    """The image with only its header read; DomainError(field) when it has too many pixels.
    Pillow's errors for unreadable data propagate (the caller words them)."""
    limit = max_pixels()
    try:
        with warnings.catch_warnings():  # our own limit is lower and checked just below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        too_many = img.width * img.height > limit
        if too_many:
            img.close()
    except Image.DecompressionBombError:
        too_many = True
    if too_many:
        raise DomainError(
            _l(
                "画像の画素数が大きすぎます（%(n)s画素まで）。縮小してから送ってください。",
                n=f"{limit:,}",
            ),
            field=field,
        )
    return img
