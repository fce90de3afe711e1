"""The monitoring REST API (scoped to the token owner's area): monitored households and
warning hits (filtered, paginated), and recording an application by a cadre."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fupin.accounts.scoping import scope_for
from fupin.api.base import actor, paginate
from fupin.areas import rules as area_rules
from fupin.core.errors import Forbidden, Invalid
from fupin.core.masking import mask

from . import actions, queries, rules
from .models import Application

router = Router(tags=["monitoring"])
VIEW = "registry.view"


def _prefix(request, area: str, perm: str = VIEW) -> str:
    if scope_for(request.user, perm).is_empty:
        raise Forbidden()
    area = (area or "").strip()
    if not area:
        return ""
    if not area_rules.is_valid_code(area):
        raise Invalid(_("area: a 12-digit area code"), field="area")
    return area_rules.prefix_of(area)


class RecordOut(Schema):
    id: int
    household_id: int
    household_number: str
    head_name: str
    area_code: str
    kind: str
    state: str
    risks: list[str]
    since: dt.date | None = None
    cleared_on: dt.date | None = None
    helped_first: bool
    social_protection: bool
    procedure_state: str = Field("", description="the household's state in its current identification or "
                                                 "clearance batch")


class RecordPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RecordOut]


class HitOut(Schema):
    id: int
    run_id: int
    household_id: int
    household_number: str
    area_code: str
    rule: str
    rule_label: str
    value: Decimal | None = None
    threshold: Decimal | None = None
    state: str
    reason: str


class HitPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HitOut]


class ApplicationIn(Schema):
    village: str = Field(description="the 12-digit village code")
    name: str
    what: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    channel: str = Field("phone", description="phone | cadre")


class ApplicationOut(Schema):
    id: int
    area_code: str
    channel: str
    name: str
    phone: str = Field(description="masked")
    what: str
    state: str
    received_at: dt.datetime


@router.get("/households", response=RecordPage, summary="Monitored households in your area")
def households(request, area: str = "", state: str = "", kind: str = "", risk: str = "", page: int = 1,
               page_size: int = 50):
    prefix = _prefix(request, area)
    qs = queries.record_list(request.user, prefix=prefix, state=state, kind=kind, risk=risk).order_by("area_code",
                                                                                                    "pk")
    data = paginate(qs, page, page_size)
    data["items"] = [{"id": r.pk, "household_id": r.household_id, "household_number": r.household.number,
                      "head_name": r.household.head_name, "area_code": r.area_code, "kind": r.kind, "state": r.state,
                      "risks": [x.code for x in r.risks.all()], "since": r.since, "cleared_on": r.cleared_on,
                      "helped_first": r.helped_first, "social_protection": r.social_protection,
                      "procedure_state": (r.clear_state if r.clear_batch_id else r.ident_state) or ""}
                     for r in data["items"]]
    return data


@router.get("/hits", response=HitPage, summary="Early-warning hits (the worklist) in your area")
def hits(request, area: str = "", state: str = "open", rule: str = "", page: int = 1, page_size: int = 50):
    prefix = _prefix(request, area)
    qs = queries.worklist(request.user, prefix=prefix, rule=rule, state=state)
    data = paginate(qs, page, page_size)
    data["items"] = [{"id": h.pk, "run_id": h.run_id, "household_id": h.household_id,
                      "household_number": h.household.number, "area_code": h.area_code, "rule": h.rule,
                      "rule_label": rules.warning_rule_label(h.rule), "value": h.value, "threshold": h.threshold,
                      "state": h.state, "reason": h.reason} for h in data["items"]]
    return data


@router.post("/applications", response={201: ApplicationOut},
             summary="Record a household's application (a call or a visit to the office)")
def application_create(request, body: ApplicationIn):
    if body.channel not in (Application.PHONE, Application.CADRE):
        raise Invalid(_("The channel is “phone” or “cadre”."), field="channel")
    app = actions.record_application(actor(request), village=body.village, name=body.name, what=body.what,
                                     id_number=body.id_number, phone=body.phone, address=body.address,
                                     channel=body.channel)
    return Status(201, {"id": app.pk, "area_code": app.area_code, "channel": app.channel, "name": app.name,
                        "phone": mask("phone", app.phone), "what": app.what, "state": app.state,
                        "received_at": app.received_at})
