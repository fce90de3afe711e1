"""Every write of the procedure engine. Each action checks the permission the type's
data names for the step, in the batch's area (accounts.scoping.require), validates,
writes, and records the audit event.

The package is split along its seams; every public name is importable from here
(``from fupin.procedures import actions``; ``actions.act(...)``):

- ``types``: saving and copying procedure types;
- ``engine``: starting a batch and acting on its current step (two officers at once:
  the batch row is locked and its version checked, see there);
- ``objections``: raising and deciding objections during a notice;
- ``rendering``: the documents — a new version, the PDF rendered and stored (audited),
  a download's PDF (the page's and the API's answers), and the background job that
  renders a batch's documents for its zip;
- ``base``: what they share (the clock, the batch's lock and version, form numbers).
"""

from __future__ import annotations

from .base import ACT_PERMISSIONS, BATCH_LEVELS, _today
from .engine import act, start_batch
from .objections import raise_objection, resolve_objection
from .rendering import RENDER_JOB, download_document, regenerate_document, render_document, start_rendering
from .types import TYPE_FIELDS, copy_type, known_names, save_type

__all__ = [
    "ACT_PERMISSIONS", "BATCH_LEVELS", "RENDER_JOB", "TYPE_FIELDS", "_today", "act", "copy_type",
    "download_document", "known_names", "raise_objection", "regenerate_document", "render_document",
    "resolve_objection", "save_type", "start_batch", "start_rendering",
]
