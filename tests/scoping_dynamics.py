"""Scoping cases of the dynamic-management pages, exports and API (see the walker's
docstring in tests/test_scoping_routes.py). County B's household comes from the
registry's scoping world, so county B has a status history to count."""

from __future__ import annotations

from tests.conftest import COUNTY_B, VILLAGE_A, VILLAGE_B
from tests.scoping_registry_stats import world_b
from tests.test_scoping_routes import FORBIDDEN, LIST, NOT_FOUND, Case, register


def _with_b(extra=None):
    def query(w):
        world_b(w)
        return dict(extra or {})

    return query


def _b(area=COUNTY_B, **extra):
    return _with_b({"area": area, **extra})


for name in ("dynamics:index", "dynamics:observation", "dynamics:at_risk"):
    register(name,
             Case(LIST, query=_with_b({"year": "2026"})),
             Case(LIST, role="village_cadre", area=VILLAGE_A, query=_with_b()),
             Case(NOT_FOUND, query=_b(year="2026")),
             Case(NOT_FOUND, query=_b(VILLAGE_B), role="township_officer", area="360729100000"))
register("dynamics:export",
         Case(NOT_FOUND, query=_b(year="2026")),
         Case(NOT_FOUND, query=_b(VILLAGE_B), role="village_cadre", area=VILLAGE_A))
for name in ("dynamics:observation_export", "dynamics:at_risk_export"):
    register(name,
             Case(NOT_FOUND, query=_b()),
             Case(NOT_FOUND, query=_b(VILLAGE_B), role="township_officer", area="360729100000"),
             Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False, query=_with_b({"area": VILLAGE_A}),
                  note="a helper sees the lists but may not export personal data"))
register("GET /api/v1/dynamics",
         Case(LIST, query=_with_b({"year": "2026"})),
         Case(NOT_FOUND, query=_b(year="2026")),
         Case(NOT_FOUND, query=_b(VILLAGE_B), role="village_cadre", area=VILLAGE_A))
