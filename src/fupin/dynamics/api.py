"""The dynamics REST API (scoped to the token owner's area)."""

from ninja import Router

router = Router(tags=["dynamics"])
