"""Visit photos: images only (JPEG, PNG, WebP), size- and count-limited by the settings
ASSISTANCE_PHOTO_MAX_BYTES and ASSISTANCE_PHOTO_MAX_COUNT, checked by *decoding* them
with Pillow (never by the name or the browser's content type; SVG, a renamed text file
or a truncated image is refused), then re-encoded without their metadata — EXIF (with
the GPS position, the camera, the time), XMP, comments — after the EXIF orientation has
been applied to the pixels, so the photo still stands the right way up. Stored under
MEDIA_ROOT with a random name and served only through the scoped views.

Pillow comes with WeasyPrint (a dependency of the project)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from fupin.core.errors import Invalid

# Pillow's format name -> (suffix, content type). Nothing else is accepted.
FORMATS = {"JPEG": (".jpg", "image/jpeg"), "PNG": (".png", "image/png"), "WEBP": (".webp", "image/webp")}
MAGIC = [(b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG")]
MAX_PIXELS = 60_000_000  # refuse decompression bombs
JPEG_QUALITY = 90


def max_bytes() -> int:
    return int(getattr(settings, "ASSISTANCE_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


def max_count() -> int:
    """Photos one visit may hold: settings.ASSISTANCE_PHOTO_MAX_COUNT."""
    return int(settings.ASSISTANCE_PHOTO_MAX_COUNT)


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


def _too_large(name: str, limit: int) -> Invalid:
    return Invalid(_("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": round(limit / 1048576, 1)},
                   field="photos")


def check_count(existing: int, adding: int) -> None:
    """A visit holds at most max_count() photos."""
    limit = max_count()
    if existing + adding > limit:
        raise Invalid(_("A visit holds at most %(n)s photos.") % {"n": limit}, field="photos")


def check(uploaded) -> Checked:
    """Read, check and clean one uploaded file; Invalid with the reason (naming the file)."""
    name = getattr(uploaded, "name", "") or _("photo")
    limit = max_bytes()
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _too_large(name, limit)
    data = b"".join(uploaded.chunks()) if hasattr(uploaded, "chunks") else uploaded.read()
    if len(data) > limit:
        raise _too_large(name, limit)
    fmt = _sniff(data[:16])
    if fmt is None:
        raise Invalid(_("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": name}, field="photos")
    try:
        with Image.open(io.BytesIO(data)) as img:  # first pass: the format and a structural check
            if img.format not in FORMATS:
                raise Invalid(_("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": name}, field="photos")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise Invalid(_("%(name)s has too many pixels.") % {"name": name}, field="photos")
            fmt = img.format
            img.verify()
        clean, width, height = strip(data, fmt)
        return Checked(clean, fmt, width, height)
    except Invalid:
        raise
    except Exception:  # Pillow raises many kinds for a broken or disguised file
        raise Invalid(_("%(name)s cannot be read as an image.") % {"name": name}, field="photos") from None


def strip(data: bytes, fmt: str) -> tuple[bytes, int, int]:
    """The image decoded in full (a disguised or truncated file fails here), turned the
    way its EXIF orientation says, and saved again without any metadata — only the
    pixels (and the colour profile) are kept. Returns the bytes and the upright size."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        icc = img.info.get("icc_profile")
        transparency = img.info.get("transparency")
        upright = ImageOps.exif_transpose(img) or img
        clean = upright.copy()
        clean.info = {}  # EXIF (GPS, camera, time), XMP, text chunks, comments: all gone
        if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
            clean = clean.convert("RGB")
        options: dict = {"icc_profile": icc} if icc else {}
        if fmt == "JPEG":
            options.update(quality=JPEG_QUALITY, optimize=True)
        elif fmt == "WEBP":
            options.update(quality=JPEG_QUALITY)
        elif fmt == "PNG" and transparency is not None:
            options["transparency"] = transparency
        out = io.BytesIO()
        clean.save(out, fmt, **options)
        return out.getvalue(), clean.width, clean.height


def store(visit, info: Checked):
    from .models import VisitPhoto

    photo = VisitPhoto(visit=visit, area_code=visit.area_code, content_type=info.content_type, size=len(info.data),
                       width=info.width, height=info.height)
    photo.file.save("photo" + info.suffix, ContentFile(info.data), save=False)
    photo.save()
    return photo
