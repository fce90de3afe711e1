"""Uploaded files waiting for a job: kept under DATA_DIR/uploads, never served."""

import uuid
from pathlib import Path

from django.conf import settings

SHOWN_LENGTH = 200  # a job's title holds 200 characters


def sent_name(name, max_length: int = SHOWN_LENGTH) -> str:
    """The name a file was sent with, as the system shows it (a job's title and data, the list
    of imported files, a data set's file): without a folder (either slash), control or other
    unprintable characters or surrounding spaces, at most ``max_length`` characters. "" when
    nothing is left. Only ever shown: a stored file is named by save_upload."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:max_length].strip()


def save_upload(uploaded, kind: str) -> Path:
    folder = Path(settings.DATA_DIR) / "uploads" / kind / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(uploaded.name).suffix.lower()
    if suffix not in {".xlsx", ".xls", ".csv"}:
        suffix = ".bin"
    path = folder / f"upload{suffix}"
    with path.open("wb") as fh:
        for chunk in uploaded.chunks():
            fh.write(chunk)
    return path
