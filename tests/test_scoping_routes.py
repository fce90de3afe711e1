"""THE scoping test: every route, called by a user of county A (全南县 360729) for
something of county B (龙南市 360783), shows nothing of county B; anonymous callers get
only the public pages.

Every URL pattern (walked recursively from the root URLconf) and every API operation
(from the OpenAPI schema of ``fupin.api.urls.api``) must have at least one *case* in
``CASES``. A route without one fails ``test_every_route_has_a_scoping_case`` with
"route X has no scoping case: add one" — so a new route cannot reach CI unscoped.

What a case says
----------------
How to call the route for an object of county B, and what the county-A viewer (by
default ``county_office`` at 360729000000; ``role``/``area`` change it) must get:

``NOT_FOUND``  404 (API: JSON ``{"code": "not_found"}``): an object route, object in B.
``FORBIDDEN``  403 (API: JSON ``{"code": "forbidden"}``): the role lacks the permission.
``LIST``       200 and no trace of county B in the body (``MARKERS``: "龙南", "360783").
``OWN``        like LIST, but the page has no B data to show anyone (a form, a redirect).
``NO_EFFECT``  a write aimed at county B changes nothing (``effect(world)`` stays False).
``PUBLIC``     open to anonymous callers (login, healthz, set_language, openapi.json …).

Each case is checked against a *witness*: the same role at the mirror area in county B
(A's county → B's county, A's village → B's village). The witness must get the object
(not 404/403), see a B marker in the list, or make the write happen. This proves that
the route really shows B's data to someone, so a blank page cannot pass as "scoped".
Set ``witness=False`` only where no user of B could make the same call.

Adding a case
-------------
Keys are URL names (``"accounts:user"``) for pages and ``"METHOD /api/v1/path/{param}"``
for API operations (as in openapi.json). Either add to ``CASES`` below, or put them in a
module ``tests/scoping_<app>.py`` (imported automatically by this file)::

    from tests.test_scoping_routes import LIST, NOT_FOUND, Case, register

    register("registry:household", Case(NOT_FOUND, kwargs=lambda w: {"pk": household_in(w.village_b).pk}))
    register("GET /api/v1/registry/households", Case(LIST))

``kwargs(world)`` gives the URL kwargs (API: path parameters), ``data(world)`` the POST
form data (API: JSON body), ``query(world)`` the query string. ``world`` (class World)
holds county B's objects (``w.user_b``, ``w.unit_b``, ``w.job_b``, ``w.event_b``, ``w.village_b``
…) and ``w.make_user``; a case may create what it needs inside these callables. Name B's
objects so that a marker appears when they are shown (a "龙南" name or a 360783 code).

The world's data is made once per run of this module; every case runs in its own
savepoint with a fresh World instance, so a case may create objects and cache them on
``w`` freely. Make such objects get-or-create by a unique key (the same builder may run
for the A request and the witness). The anonymous and no-token checks call the first
case of each route, each in a savepoint of its own.
"""

from __future__ import annotations

import html
import importlib
import io
import json
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fupin.accounts import actions as accounts
from fupin.accounts.models import ApiToken, RoleAssignment, User
from fupin.api.urls import api
from fupin.areas.models import Area, Unit
from fupin.audit.models import AuditEvent
from fupin.core.tabular import write_xlsx
from fupin.jobs.models import Job, JobFile
from tests.conftest import COUNTY_A, COUNTY_B, PASSWORD, SYSTEM, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A, VILLAGE_B

NOT_FOUND, FORBIDDEN, LIST, OWN, NO_EFFECT, PUBLIC = "not_found", "forbidden", "list", "own", "no_effect", "public"
MARKERS = ("龙南", "360783")
MIRROR = {COUNTY_A: COUNTY_B, TOWNSHIP_A: TOWNSHIP_B, VILLAGE_A: VILLAGE_B}
API_PREFIX = "/api/v1"


@dataclass
class Case:
    expect: str
    kwargs: Callable[[World], dict] = field(default=lambda w: {})
    method: str = "get"  # pages only; an API key names its method
    data: Callable[[World], dict] | None = None
    query: Callable[[World], dict] | None = None
    role: str = "county_office"
    area: str = COUNTY_A
    effect: Callable[[World], bool] | None = None  # NO_EFFECT: whether the write happened
    status: int | None = None  # NO_EFFECT: the status the viewer must get, when it matters
    witness: bool = True
    note: str = ""


CASES: dict[str, list[Case]] = {}


def register(key: str, *cases: Case) -> None:
    """Add cases for a route: a URL name, or "METHOD /api/v1/path/{param}"."""
    for case in cases:
        if case.expect == NO_EFFECT and case.effect is None:
            raise ValueError(f"{key}: a NO_EFFECT case needs effect=")
        CASES.setdefault(key, []).append(case)


class World:
    """County B's objects (and a few of county A's), and ``make_user`` for the case.

    The data is made once per module (``World.build``, inside a transaction rolled back
    at the end); each test gets a fresh World instance over it and runs in its own
    savepoint, so what a case creates or caches on ``w`` is gone for the next one."""

    def __init__(self, make_user):
        self.make_user = make_user
        self.county_a, self.county_b = COUNTY_A, COUNTY_B
        self.village_a, self.village_b = VILLAGE_A, VILLAGE_B
        self.area_b = Area.objects.get(code=COUNTY_B, valid_to__isnull=True)
        self.unit_a = Unit.objects.get(area_code=COUNTY_A, name="全南县乡村振兴局")
        self.unit_b = Unit.objects.get(area_code=COUNTY_B, name="龙南市乡村振兴局")
        self.user_a = User.objects.get(username="world_a_cadre")
        self.user_b = User.objects.get(username="world_b_office")
        self.cadre_b = User.objects.get(username="world_b_cadre")
        self.role_b = RoleAssignment.objects.get(user=self.user_b)
        self.token_b = ApiToken.objects.get(user=self.user_b)
        self.event_b = AuditEvent.objects.filter(area_code=COUNTY_B, object_id=str(self.user_b.pk)).first()
        self.job_b = Job.objects.get(title="龙南 导入任务")
        self.file_b = self.job_b.files.get()
        self.job_a = Job.objects.get(title="全南 导入任务")

    @classmethod
    def build(cls) -> None:
        """The data of the ``two_counties`` fixture, plus users, a token and jobs."""
        from fupin.areas import actions as area_actions

        area_actions.load_divisions(SYSTEM, prefix="3607")
        area_actions._insert_levels(
            [{"code": VILLAGE_A, "name": "石桥村"}, {"code": VILLAGE_A + "001", "name": "第1村民小组"},
             {"code": VILLAGE_B, "name": "龙岗村"}, {"code": VILLAGE_B + "001", "name": "第1村民小组"}],
            source="test", valid_from=None)
        units = {}
        for code, name in ((COUNTY_A, "全南县乡村振兴局"), (COUNTY_B, "龙南市乡村振兴局")):
            units[code] = area_actions.save_unit(SYSTEM, None, name=name, kind="government", level="county",
                                                 area=Area.objects.get(code=code))

        def user(username, role, area, full_name, phone, unit):
            return accounts.create_user(SYSTEM, username=username, role=role, area_code=area, unit=unit,
                                        password=PASSWORD, full_name=full_name, phone=phone)[0]

        user_a = user("world_a_cadre", "village_cadre", VILLAGE_A, "全南 村干部", "13970010001", units[COUNTY_A])
        user_b = user("world_b_office", "county_office", COUNTY_B, "龙南 钟国华", "13979830001", units[COUNTY_B])
        user("world_b_cadre", "village_cadre", VILLAGE_B, "龙南 村干部", "13979830002", units[COUNTY_B])
        accounts.create_token(SYSTEM, user_b, "龙南 token")
        assert AuditEvent.objects.filter(area_code=COUNTY_B, object_id=str(user_b.pk)).exists(), (
            "creating a county-B user must log an event in county B")
        cls._job(user_b, "龙南 导入任务", COUNTY_B)
        cls._job(user_a, "全南 导入任务", COUNTY_A)

    @staticmethod
    def _job(user, title, area_code) -> Job:
        job = Job.objects.create(kind="test", title=title, area_code=area_code, created_by=user,
                                 status=Job.SUCCEEDED, total=1, done=1, message=title)
        jf = JobFile(job=job, label=title + " 结果", contains_personal_data=True)
        jf.file.save("result.csv", ContentFile(f"{title}\n".encode()), save=True)
        return job


@pytest.fixture(scope="module")
def _world_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        World.build()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def world(_world_data, db, make_user) -> World:
    return World(make_user)


# --- helpers for cases -----------------------------------------------------------------

def _strong(**extra) -> dict:
    return {"password": PASSWORD, "password2": PASSWORD, **extra}


def _users_xlsx(username: str, area: str) -> dict:
    buffer = io.BytesIO()
    write_xlsx(buffer, ["用户名", "姓名", "角色", "区划代码", "初始密码"],
               [[username, "龙南 导入", "village_cadre", area, PASSWORD]])
    return {"file": SimpleUploadedFile("users.xlsx", buffer.getvalue())}


def _villages_csv(code: str) -> dict:
    return {"file": SimpleUploadedFile("villages.csv", f"统计用区划代码,名称\n{code},龙南新村\n".encode())}


def _user_exists(username):
    return lambda w: User.objects.filter(username=username).exists()


# --- the cases -------------------------------------------------------------------------



def _pk_b(w):
    return {"pk": w.user_b.pk}


for _name in ("set_language", "javascript-catalog", "healthz", "accounts:login",
              "api:openapi-json", "api:openapi-view", "api:api-root"):
    register(_name, Case(PUBLIC))

register("core:home", Case(LIST), Case(LIST, role="village_cadre", area=VILLAGE_A))
register("core:reveal",
         Case(NOT_FOUND, method="post",
              kwargs=lambda w: {"label": "accounts.user", "pk": w.user_b.pk, "field": "phone"}),
         Case(NOT_FOUND, method="post", role="inspector",
              kwargs=lambda w: {"label": "accounts.user", "pk": w.cadre_b.pk, "field": "phone"}))
register("accounts:logout", Case(OWN, method="post"))
register("accounts:profile", Case(LIST))
register("accounts:users", Case(LIST), Case(LIST, role="inspector"), Case(LIST, role="leader", area="360729000000"),
         Case(LIST, query=lambda w: {"q": "龙南"}),
         Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("accounts:user_create",
         Case(LIST),  # the unit choices are the area's units
         Case(NO_EFFECT, method="post", effect=_user_exists("new_b"),
              data=lambda w: {"username": "new_b", "role": "village_cadre", "area_code": VILLAGE_B}),
         Case(NO_EFFECT, method="post", effect=_user_exists("new_b"), witness=False,
              note="a unit of county B for a county-A role",
              data=lambda w: {"username": "new_b", "role": "village_cadre", "area_code": VILLAGE_A,
                              "unit": w.unit_b.pk}),
         Case(FORBIDDEN, role="township_officer", area=TOWNSHIP_A, witness=False))
register("accounts:users_import",
         Case(OWN),
         Case(NO_EFFECT, method="post", effect=_user_exists("import_b"),
              data=lambda w: _users_xlsx("import_b", VILLAGE_B)))
register("accounts:users_template", Case(OWN))
register("accounts:user",
         Case(NOT_FOUND, kwargs=_pk_b),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.cadre_b.pk}, role="township_officer", area=TOWNSHIP_A))
register("accounts:user_role_add",
         Case(NOT_FOUND, method="post", kwargs=_pk_b,
              data=lambda w: {"role": "helper", "area_code": VILLAGE_B}),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": w.user_a.pk}, witness=False,
              note="a county-A user given a role in county B",
              data=lambda w: {"role": "helper", "area_code": VILLAGE_B},
              effect=lambda w: w.user_a.roles.filter(prefix=VILLAGE_B).exists()))
register("accounts:user_role_remove",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": w.user_b.pk, "role_pk": w.role_b.pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": w.user_a.pk, "role_pk": w.role_b.pk},
              witness=False, note="county B's role under a county-A user's URL"))
register("accounts:user_password", Case(NOT_FOUND, method="post", kwargs=_pk_b, data=lambda w: _strong()))
register("accounts:user_active", Case(NOT_FOUND, method="post", kwargs=_pk_b, data=lambda w: {"active": "0"}))
register("accounts:user_unlock", Case(NOT_FOUND, method="post", kwargs=_pk_b))
register("accounts:user_token", Case(NOT_FOUND, method="post", kwargs=_pk_b, data=lambda w: {"label": "x"}))
register("accounts:token_revoke",
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"token_pk": w.token_b.pk}))
register("areas:list", Case(LIST), Case(LIST, query=lambda w: {"q": "龙南"}),
         Case(LIST, query=lambda w: {"q": "360783"}))
register("areas:detail",
         Case(NOT_FOUND, kwargs=lambda w: {"code": COUNTY_B}),
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}, role="village_cadre", area=VILLAGE_A))
register("areas:import",
         Case(OWN),
         Case(NO_EFFECT, method="post", data=lambda w: _villages_csv("360783100202"),
              effect=lambda w: Area.objects.filter(code="360783100202").exists()),
         Case(FORBIDDEN, role="township_officer", area=TOWNSHIP_A, witness=False))
register("areas:units", Case(LIST), Case(LIST, query=lambda w: {"q": "龙南"}))
register("areas:unit_create",
         Case(OWN),
         Case(NO_EFFECT, method="post",
              data=lambda w: {"name": "龙南新单位", "kind": "government", "level": "county", "area_code": COUNTY_B,
                              "active": "on"},
              effect=lambda w: Unit.objects.filter(name="龙南新单位").exists()))
register("areas:unit_edit",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.unit_b.pk}),
         Case(NOT_FOUND, method="post", kwargs=lambda w: {"pk": w.unit_b.pk},
              data=lambda w: {"name": "改名", "kind": "government", "level": "county", "area_code": COUNTY_A}),
         Case(NO_EFFECT, method="post", kwargs=lambda w: {"pk": w.unit_a.pk}, witness=False,
              note="county A's unit moved into county B",
              data=lambda w: {"name": w.unit_a.name, "kind": "government", "level": "county", "area_code": COUNTY_B},
              effect=lambda w: Unit.objects.filter(pk=w.unit_a.pk, area_code=COUNTY_B).exists()))
register("audit:list",
         Case(FORBIDDEN, witness=False),
         Case(LIST, role="inspector"),
         Case(LIST, role="inspector", query=lambda w: {"area": "360783"}),
         Case(LIST, role="inspector", query=lambda w: {"user": w.user_b.username}))
register("audit:detail",
         Case(FORBIDDEN, kwargs=lambda w: {"pk": w.event_b.pk}, witness=False),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.event_b.pk}, role="inspector"))
register("jobs:list", Case(LIST), Case(LIST, role="helper", area=VILLAGE_A))
register("jobs:detail",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.job_b.pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.job_b.pk}, role="inspector"))
register("jobs:file",
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.job_b.pk, "file_pk": w.file_b.pk}),
         Case(NOT_FOUND, kwargs=lambda w: {"pk": w.job_a.pk, "file_pk": w.file_b.pk}, witness=False,
              note="county B's file under county A's job"))

# The API.
register("GET /api/v1/me", Case(LIST))
register("GET /api/v1/users", Case(LIST), Case(LIST, query=lambda w: {"q": "龙南"}),
         Case(LIST, role="inspector"), Case(FORBIDDEN, role="helper", area=VILLAGE_A, witness=False))
register("POST /api/v1/users",
         Case(NO_EFFECT, status=403, effect=_user_exists("api_b"),
              data=lambda w: {"username": "api_b", "role": "village_cadre", "area_code": VILLAGE_B,
                              "password": PASSWORD}))
register("GET /api/v1/users/{user_id}", Case(NOT_FOUND, kwargs=lambda w: {"user_id": w.user_b.pk}))
register("GET /api/v1/areas", Case(LIST), Case(LIST, query=lambda w: {"parent": COUNTY_B}),
         Case(LIST, query=lambda w: {"q": "龙南"}), Case(LIST, query=lambda w: {"level": "county"}))
register("GET /api/v1/areas/units", Case(LIST))
register("GET /api/v1/areas/{code}", Case(NOT_FOUND, kwargs=lambda w: {"code": COUNTY_B}),
         Case(NOT_FOUND, kwargs=lambda w: {"code": VILLAGE_B}))
register("GET /api/v1/audit/events",
         Case(FORBIDDEN, witness=False),
         Case(LIST, role="inspector"),
         Case(LIST, role="inspector", query=lambda w: {"area": "360783"}),
         Case(LIST, role="inspector", query=lambda w: {"object_id": str(w.user_b.pk)}))
register("GET /api/v1/jobs", Case(LIST), Case(LIST, role="inspector"))
register("GET /api/v1/jobs/{job_id}", Case(NOT_FOUND, kwargs=lambda w: {"job_id": str(w.job_b.pk)}))


def _load_app_cases() -> None:
    """Import every tests/scoping_<app>.py, which registers its app's cases."""
    here = Path(__file__).parent
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("scoping_"):
            importlib.import_module(f"tests.{info.name}")


_load_app_cases()


# --- what exists -----------------------------------------------------------------------

def _walk(resolver, prefix="", namespace=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (namespace + p.name) if p.name else None


def _openapi_path(route: str) -> str:
    """'api/v1/users/<user_id>' -> '/api/v1/users/{user_id}'."""
    out = "/" + route
    while "<" in out:
        start, end = out.index("<"), out.index(">")
        name = out[start + 1:end].split(":")[-1]
        out = out[:start] + "{" + name + "}" + out[end + 1:]
    return out


def api_operations() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops
                  if method in {"get", "post", "put", "patch", "delete"})


def page_routes() -> dict[str, str]:
    """Key -> route of every URL pattern that is not an API operation."""
    api_paths = {key.split(" ", 1)[1] for key in api_operations()}
    routes = {}
    for route, name in _walk(get_resolver()):
        if _openapi_path(route).rstrip("/") in {p.rstrip("/") for p in api_paths}:
            continue  # covered by its API operations
        routes[name or route] = route
    return routes


def test_every_route_has_a_scoping_case():
    missing = [f"route {key} ({route}) has no scoping case: add one" for key, route in page_routes().items()
               if key not in CASES]
    missing += [f"route {key} has no scoping case: add one" for key in api_operations() if key not in CASES]
    assert not missing, "\n".join(missing)


def test_no_case_for_a_route_that_does_not_exist():
    existing = set(page_routes()) | set(api_operations())
    stale = sorted(set(CASES) - existing)
    assert not stale, f"scoping cases for routes that no longer exist: {stale}"


def test_the_walk_finds_routes_of_every_kind():
    """Guards the walk itself: if it found nothing, the completeness test would pass."""
    routes, ops = page_routes(), api_operations()
    assert {"core:home", "accounts:user", "jobs:file", "api:openapi-json"} <= set(routes)
    assert {"GET /api/v1/users/{user_id}", "POST /api/v1/users", "GET /api/v1/jobs/{job_id}"} <= set(ops)
    assert not any(key.startswith("api:") and key not in CASES for key in routes)


# --- calling a route -------------------------------------------------------------------

def _is_api(key: str) -> bool:
    return " " in key


def _url(key: str, case: Case, world: World) -> str:
    kwargs = case.kwargs(world)
    if _is_api(key):
        path = key.split(" ", 1)[1]
        for name, value in kwargs.items():
            path = path.replace("{" + name + "}", str(value))
        return path
    return kwargs.pop("_path", None) or reverse(key, kwargs=kwargs or None)


def call(key: str, case: Case, world: World, client: Client):
    response = _call(key, case, world, client)
    if getattr(response, "streaming", False):
        # Read a file response to its end: that closes it the way the test client expects.
        response.body = b"".join(response.streaming_content)
    return response


def _call(key: str, case: Case, world: World, client: Client):
    url = _url(key, case, world)
    query = case.query(world) if case.query else {}
    if _is_api(key):
        method = key.split(" ", 1)[0].lower()
        if method == "get":
            return getattr(client, method)(url, query)
        body = case.data(world) if case.data else {}
        return getattr(client, method)(url + _qs(query), json.dumps(body), content_type="application/json")
    if case.method == "get":
        return client.get(url, query)
    return client.post(url + _qs(query), case.data(world) if case.data else {})


def _qs(query: dict) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(query) if query else ""


def body_text(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    raw = response.body if getattr(response, "streaming", False) else response.content
    return raw.decode("utf-8", "replace")


def client_for(key: str, user) -> Client:
    if _is_api(key):
        token = accounts.create_token(SYSTEM, user)
        return Client(headers={"Authorization": f"Bearer {token}"})
    client = Client()
    client.force_login(user)
    return client


def _all_cases():
    for key in sorted(CASES):
        for i, case in enumerate(CASES[key]):
            if case.expect != PUBLIC:
                yield pytest.param(key, i, id=f"{key}#{i}")


def _without_echo(text: str, query: dict) -> str:
    """The page with the user's own search terms taken out (a search form shows them
    again, in its fields and in its paging and sorting links)."""
    for value in query.values():
        v = re.escape(html.escape(str(value)))
        text = re.sub(r'(value="|[?&;](?:amp;)?\w+=)' + v + r'(?=["&])', r"\1", text)
    return text


def _check(key, case, world, response, who):
    status = response.status_code
    where = f"{key} as {who} ({case.role})"
    assert status < 500, f"{where}: server error {status}"
    if case.expect == NOT_FOUND:
        assert status == 404, f"{where}: expected 404 for county B's object, got {status}"
        if _is_api(key):
            assert response.json()["code"] == "not_found"
    elif case.expect == FORBIDDEN:
        assert status == 403, f"{where}: expected 403, got {status}"
        if _is_api(key):
            assert response.json()["code"] == "forbidden"
    elif case.expect in (LIST, OWN):
        assert status in (200, 302), f"{where}: expected a page, got {status}"
        text = _without_echo(body_text(response), case.query(world) if case.query else {})
        leaked = [m for m in MARKERS if m in text]
        assert not leaked, f"{where}: county B's data ({leaked}) is shown to county A"
    elif case.expect == NO_EFFECT:
        if case.status is not None:
            assert status == case.status, f"{where}: expected {case.status}, got {status}"
        assert not case.effect(world), f"{where}: a write aimed at county B went through"


def _check_witness(key, case, world, response):
    status = response.status_code
    where = f"{key}: the witness ({case.role} in county B)"
    assert status not in (403, 404) and status < 500, f"{where} got {status}; the case proves nothing"
    if case.expect == LIST:
        text = body_text(response)
        assert any(m in text for m in MARKERS), (
            f"{where} sees no county-B marker {MARKERS}; the case proves nothing (name B's objects with one)")
    elif case.expect == NO_EFFECT:
        assert case.effect(world), f"{where} could not make the write; the case proves nothing"


@pytest.mark.parametrize(("key", "index"), list(_all_cases()))
def test_county_a_sees_nothing_of_county_b(world, make_user, key, index):
    case = CASES[key][index]
    viewer = make_user(case.role, case.area)
    _check(key, case, world, call(key, case, world, client_for(key, viewer)), "county A")
    if case.witness and case.expect in (NOT_FOUND, LIST, NO_EFFECT):
        witness = make_user(case.role, MIRROR.get(case.area, case.area), unit=world.unit_b)
        _check_witness(key, case, world, call(key, case, world, client_for(key, witness)))


# --- anonymous callers -----------------------------------------------------------------

def call_isolated(key: str, case: Case, world: World, client: Client):
    """Call a route in a savepoint rolled back afterwards, with a fresh World: what one
    case builds (another app's county-B objects) never meets what the next one builds."""
    sid = transaction.savepoint_create()
    try:
        return call(key, case, World(world.make_user), client)
    finally:
        transaction.savepoint_rollback(sid)


def test_anonymous_gets_only_public_pages(world):
    login_url = reverse("accounts:login")
    failures = []
    for key in sorted(page_routes()):
        case = CASES[key][0]
        response = call_isolated(key, case, world, Client())
        is_login_redirect = response.status_code == 302 and response["Location"].startswith(login_url)
        if case.expect == PUBLIC:
            if is_login_redirect or response.status_code >= 500:
                failures.append(f"{key}: public, but anonymous got {response.status_code}")
        elif not is_login_redirect:
            failures.append(f"{key}: anonymous got {response.status_code}, not a redirect to the login page")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer fp_not-a-token"}, {"Authorization": "Basic eDp5"}])
def test_api_without_a_valid_token_answers_401(world, headers):
    failures = []
    for key in api_operations():
        response = call_isolated(key, CASES[key][0], world, Client(headers=headers))
        if response.status_code != 401 or not response.get("Content-Type", "").startswith("application/json"):
            failures.append(f"{key}: {response.status_code} {response.get('Content-Type')}")
        elif response.json().get("code") != "unauthorized" or not response.json().get("message"):
            failures.append(f"{key}: 401 without code/message: {response.json()}")
    assert not failures, "\n".join(failures)


def test_revoked_token_and_disabled_user_get_401(world, make_user):
    user = make_user("county_office", COUNTY_A)
    token = accounts.create_token(SYSTEM, user)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get(f"{API_PREFIX}/me").status_code == 200
    accounts.set_active(SYSTEM, user, False)
    assert client.get(f"{API_PREFIX}/me").status_code == 401
    accounts.set_active(SYSTEM, user, True)
    accounts.revoke_token(SYSTEM, ApiToken.objects.get(user=user))
    assert client.get(f"{API_PREFIX}/me").status_code == 401


def test_public_pages_for_anonymous(db):
    assert Client().get(reverse("accounts:login")).status_code == 200
    assert Client().get(reverse("healthz")).json() == {"status": "ok"}
    assert Client().get(reverse("javascript-catalog")).status_code == 200
    assert Client().get(f"{API_PREFIX}/openapi.json").status_code == 200
    response = Client().post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_static_files_are_public(db):
    """Static files are served to anyone (WhiteNoise answers before the login check)."""
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = Client().get("/static/fupin/fupin.js")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)  # read to the end: closes the file safely


def test_media_files_are_not_served(world, make_user):
    """Job files are only reachable through the scoped jobs:file view."""
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    response = client.get("/media/" + world.file_b.file.name)
    assert response.status_code == 404
