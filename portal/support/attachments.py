"""Attachments: an image or a PDF, recognised by its bytes (never by name or browser's word).

Images are decoded and re-encoded with Pillow, which drops EXIF (GPS positions from phones) and
anything smuggled after the image data; PDFs are kept as sent but must start with %PDF-.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from portal.core.errors import DomainError
from portal.core.images import open_limited

MAX_BYTES = 5 * 1024 * 1024


@dataclass
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def check_upload(filename: str, data: bytes) -> CheckedFile:
    if not data:
        raise DomainError(_l("ファイルが空です。"), field="attachment")
    if len(data) > MAX_BYTES:
        raise DomainError(
            _l("ファイルが大きすぎます（5MBまで）。小さくしてから送ってください。"),
            field="attachment",
        )
    stem = Path(filename or "file").stem[:80] or "file"
    if data.startswith(b"%PDF-"):
        return CheckedFile(f"{stem}.pdf", "application/pdf", data)
    if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff":
        try:
            with open_limited(data, field="attachment") as img:  # the header only, so far
                img.load()
                fmt = img.format
                out = io.BytesIO()
                if fmt == "PNG":
                    img.save(out, "PNG")
                    return CheckedFile(f"{stem}.png", "image/png", out.getvalue())
                img.convert("RGB").save(out, "JPEG", quality=88)
                return CheckedFile(f"{stem}.jpg", "image/jpeg", out.getvalue())
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
            raise DomainError(_l("画像を読み取れませんでした。"), field="attachment") from e
    raise DomainError(_l("添付できるのは画像（JPEG・PNG）とPDFだけです。"), field="attachment")


def store(upload_dir: str, checked: CheckedFile) -> str:
    """Write under a random name; the original name is only ever shown, never used as a path."""
    folder = Path(upload_dir) / "support"
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (folder / name).write_bytes(checked.data)
    return name


def path_of(upload_dir: str, stored_name: str) -> Path:
    return Path(upload_dir) / "support" / stored_name
