"""Uploaded files waiting for a job: kept under DATA_DIR/uploads, never served."""

import uuid
from pathlib import Path

from django.conf import settings


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
