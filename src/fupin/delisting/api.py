"""The delisting REST API (scoped to the token owner's area)."""

from ninja import Router

router = Router(tags=["delisting"])
