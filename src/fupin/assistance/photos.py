"""Visit photos: images only (JPEG, PNG, WebP), size-limited by the setting
ASSISTANCE_PHOTO_MAX_BYTES, checked by decoding them with Pillow (never by the name or
the browser's content type; SVG and anything else is refused), stored under MEDIA_ROOT
with a random name and served only through the scoped view."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from fupin.core.errors import Invalid

# Pillow's format name -> (suffix, content type). Nothing else is accepted.
FORMATS = {"JPEG": (".jpg", "image/jpeg"), "PNG": (".png", "image/png"), "WEBP": (".webp", "image/webp")}
MAGIC = [(b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG")]
MAX_PIXELS = 60_000_000  # refuse decompression bombs


def max_bytes() -> int:
    return int(getattr(settings, "ASSISTANCE_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


@dataclass
class Checked:
    data: bytes
    format: str
    width: int | None
    height: int | None

    @property
    def suffix(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]


def _sniff(head: bytes) -> str | None:
    for magic, fmt in MAGIC:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def check(uploaded) -> Checked:
    """Read and check one uploaded file; Invalid with the reason (naming the file)."""
    name = getattr(uploaded, "name", "") or _("photo")
    limit = max_bytes()
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise Invalid(_("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": round(limit / 1048576, 1)},
                      field="photos")
    data = b"".join(uploaded.chunks()) if hasattr(uploaded, "chunks") else uploaded.read()
    if len(data) > limit:
        raise Invalid(_("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": round(limit / 1048576, 1)},
                      field="photos")
    fmt = _sniff(data[:16])
    if fmt is None:
        raise Invalid(_("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": name}, field="photos")
    width = height = None
    try:
        from PIL import Image
    except ImportError:  # without Pillow the magic bytes decide
        return Checked(data, fmt, None, None)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in FORMATS:
                raise Invalid(_("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": name}, field="photos")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise Invalid(_("%(name)s has too many pixels.") % {"name": name}, field="photos")
            img.verify()
            fmt = img.format
    except Invalid:
        raise
    except Exception:  # Pillow raises many kinds for a broken file
        raise Invalid(_("%(name)s cannot be read as an image.") % {"name": name}, field="photos") from None
    return Checked(data, fmt, width, height)


def store(visit, info: Checked):
    from .models import VisitPhoto

    photo = VisitPhoto(visit=visit, area_code=visit.area_code, content_type=info.content_type, size=len(info.data),
                       width=info.width, height=info.height)
    photo.file.save("photo" + info.suffix, ContentFile(info.data), save=False)
    photo.save()
    return photo
