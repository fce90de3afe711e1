"""The registry pages a county officer uses every day: the household list and search,
the household card (户卡) and its PDF, the forms (household, member, status, income,
village profile and checklist), and the registers (村册, 乡簿, 县档) with their Excel and
PDF exports."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from fupin.areas.models import Area
from fupin.audit.models import AuditEvent
from fupin.core.errors import Conflict
from fupin.registry import actions
from fupin.registry.models import (
    ChecklistItem,
    Household,
    Income,
    Member,
    StatusChange,
    VillageChecklist,
    VillageProfile,
)
from tests.conftest import COUNTY_A, COUNTY_B, SYSTEM, TOWNSHIP_A, VILLAGE_A, VILLAGE_B


def id_number(birth: str, seq: str, area: str = "360729") -> str:
    base = f"{area}{birth}{seq}"
    return base + ric.calc_check_digit(base + "0")


HEAD_ID = id_number("19700315", "031")  # 17th digit 1: male
WIFE_ID = id_number("19720708", "042")  # 17th digit 4: female


def make_household(number: str, area_code: str = VILLAGE_A + "001", head: str = "张三", head_id: str | None = None,
                   **extra) -> Household:
    values = {"category": "1", "standard": "1", "main_cause": "01", "identified_year": 2016, **extra}
    h = actions.create_household(SYSTEM, number=number, area_code=area_code, status_date=dt.date(2016, 3, 1),
                                 **values)
    actions.add_member(SYSTEM, h, name=head, id_number=head_id, relation="01", ethnicity="01", school_status="00",
                       health="1", **({} if head_id else {"sex": "1", "no_id_reason": "3"}))
    h.refresh_from_db()
    return h


@pytest.fixture
def world(two_counties, make_user, login):
    h = make_household("3607291002010001", head_id=HEAD_ID, phone="13970012345")
    actions.add_member(SYSTEM, h, name="李四", id_number=WIFE_ID, relation="02", ethnicity="01", school_status="00",
                       health="1")
    other = make_household("3607291002010002", area_code=VILLAGE_A + "002", head="王五", main_cause="08",
                           category="2")
    h.refresh_from_db()
    officer = make_user("county_office", COUNTY_A)
    return {"h": h, "other": other, "officer": officer, "client": login(officer), "make_user": make_user,
            "login": login}


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- list and search -------------------------------------------------------------------

def listed(client, **params) -> set[str]:
    html = page(client, reverse("registry:households"), **params)
    return set(re.findall(r">(3607291002010\d{3})<", html))


SEARCH_CASES = [
    ("张三", {"3607291002010001"}),  # head's name
    ("李四", {"3607291002010001"}),  # a member's name
    (HEAD_ID, {"3607291002010001"}),  # full ID number
    (WIFE_ID[-4:], {"3607291002010001"}),  # last four digits
    ("3607291002010002", {"3607291002010002"}),  # household number
    ("石桥村", {"3607291002010001", "3607291002010002"}),  # village name
    ("赵六", set()),
    ("张", {"3607291002010001"}),  # a name from its beginning: 张 finds 张三 (head)
    ("李", {"3607291002010001"}),  # … and 李四 (a member)
    ("三", set()),  # not from the middle
    ("360729100201000", {"3607291002010001", "3607291002010002"}),  # a household number's beginning
]


@pytest.mark.parametrize(("q", "expected"), SEARCH_CASES)
def test_search(world, q, expected):
    assert listed(world["client"], q=q) == expected


@pytest.mark.parametrize(("q", "expected"), SEARCH_CASES)
def test_search_when_more_than_the_limit_match(world, q, expected, monkeypatch):
    """Past FIND_MATCH_LIMIT the search is one OR over the scope: the same households."""
    from fupin.registry import queries

    monkeypatch.setattr(queries, "FIND_MATCH_LIMIT", 0)
    assert listed(world["client"], q=q) == expected


def test_name_search_is_an_indexed_range(world):
    """The name prefix is a range on the plain btree indexes (member_name,
    household_head_name), never a LIKE with a leading wildcard: the plan names the index on
    SQLite and on PostgreSQL (sequential scans priced out, as on a province's tables)."""
    from django.db import connection

    from fupin.registry import queries

    for model, field, index in ((Member, "name", "member_name"), (Household, "head_name", "household_head_name")):
        qs = model.objects.filter(queries.name_prefix_q(field, "张")).order_by().values_list("pk", flat=True)
        sql, params = qs.query.sql_with_params()
        assert "LIKE" not in sql.upper()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN " + sql, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(r) for r in cursor.fetchall())
        assert index in plan, plan
    assert list(Member.objects.filter(queries.name_prefix_q("name", "张")).values_list("name", flat=True)) == ["张三"]


def id_ending(tail: str, birth_year: int, area: str = "360729") -> str:
    """A valid ID number ending in ``tail`` (its order code and check digit)."""
    day = dt.date(birth_year, 1, 1)
    while True:
        n = id_number(f"{day:%Y%m%d}", tail[:3], area)
        if n[-1] == tail[-1]:
            return n
        day += dt.timedelta(days=1)


@pytest.fixture
def same_tail(world):
    """Four households whose members' ID numbers end in the same four digits — three in
    county A, one in county B — and one whose ID only contains them elsewhere."""
    made = {}
    for i, (number, area, year) in enumerate((("3607291002010011", VILLAGE_A + "001", 1960),
                                              ("3607291002010012", VILLAGE_A + "002", 1975),
                                              ("3607291002010013", VILLAGE_A, 1990),
                                              ("3607831002010014", VILLAGE_B + "001", 1980))):
        h = make_household(number, area_code=area, head=f"户主{i}", head_id=id_ending("5177", year, number[:6]))
        made[number] = h
    # a wife in one of them, not the head: her household is found by her ID too
    actions.add_member(SYSTEM, made["3607291002010012"], name="刘七", id_number=id_ending("5177", 1977),
                       relation="02", ethnicity="01", school_status="00", health="1")
    # "5177" inside the ID but not at its end: not a match
    make_household("3607291002010015", head="钱八", head_id=id_number("19651208", "517"))
    return made


def test_last_four_digits_find_every_household_in_the_scope(same_tail, world, monkeypatch):
    from fupin.accounts.scoping import Scope
    from fupin.registry import queries

    county_a = {"3607291002010011", "3607291002010012", "3607291002010013"}
    province = county_a | {"3607831002010014"}
    assert listed(world["client"], q="5177") == county_a
    assert set(queries.find_households(Scope(["36"]), "5177").values_list("number", flat=True)) == province
    assert set(queries.find_households(Scope(["360729"]), "5177").values_list("number", flat=True)) == county_a
    # more digits narrow it; a full ID finds its one household
    one = Member.objects.get(household=same_tail["3607291002010013"]).id_number
    assert set(queries.find_households(Scope(["36"]), one[-6:]).values_list("number", flat=True)) == {
        "3607291002010013"}
    assert set(queries.find_households(Scope(["36"]), one).values_list("number", flat=True)) == {
        "3607291002010013"}
    # more matches than FIND_MATCH_LIMIT: the same households, the same count and order
    expected = list(queries.find_households(Scope(["36"]), "5177").order_by("area_code", "number"))
    monkeypatch.setattr(queries, "FIND_MATCH_LIMIT", 1)
    found = queries.find_households(Scope(["36"]), "5177")
    assert found.count() == 4
    assert list(found.order_by("area_code", "number")) == expected
    assert listed(world["client"], q="5177") == county_a


def test_a_lookup_cut_short_by_the_limit_is_not_taken_for_all_matches(same_tail, monkeypatch):
    """Three members of one household share the digits with one member elsewhere: reading
    the first FIND_MATCH_LIMIT + 1 of them may name one household only; all are still found."""
    from fupin.accounts.scoping import Scope
    from fupin.registry import queries

    h = same_tail["3607291002010012"]
    actions.add_member(SYSTEM, h, name="刘十", id_number=id_ending("5177", 2001), relation="03", ethnicity="01",
                       school_status="00", health="1")
    monkeypatch.setattr(queries, "FIND_MATCH_LIMIT", 2)
    assert set(queries.find_households(Scope(["360729"]), "5177").values_list("number", flat=True)) == {
        "3607291002010011", "3607291002010012", "3607291002010013"}


def test_search_list_shows_no_id_numbers(same_tail, world):
    """The result list of an ID search shows households, never the ID numbers it matched."""
    html = page(world["client"], reverse("registry:households"), q="5177")
    for m in Member.objects.filter(id_number__endswith="5177"):
        assert m.id_number not in html
        assert m.id_number[:-4] not in html


def test_search_by_last_digits_with_x_check_digit(world):
    x_id = next(n for n in (id_number(f"1980{m:02d}{d:02d}", "123") for m in range(1, 13) for d in range(1, 29))
                if n.endswith("X"))
    make_household("3607291002010021", head="孙九", head_id=x_id)
    for q in (x_id[-4:], x_id[-4:].lower(), x_id.lower()):
        assert listed(world["client"], q=q) == {"3607291002010021"}, q


def test_list_totals_filters_and_sorting(world):
    html = page(world["client"], reverse("registry:households"))
    assert re.search(r"<strong>2</strong>\s*\S+\s*·\s*<strong>3</strong>", html), "2 households, 3 people"
    assert listed(world["client"], category="2") == {"3607291002010002"}
    assert listed(world["client"], cause="08") == {"3607291002010002"}
    assert listed(world["client"], status="exited") == set()
    assert listed(world["client"], year="2016") == {"3607291002010001", "3607291002010002"}
    assert listed(world["client"], area=[COUNTY_A, TOWNSHIP_A, VILLAGE_A]) == {"3607291002010001",
                                                                             "3607291002010002"}
    html = page(world["client"], reverse("registry:households"), sort="-number")
    assert html.index("3607291002010002") < html.index("3607291002010001")


def test_area_chooser_drops_stale_lower_levels(world):
    """Changing the township leaves the old village in the query: it is ignored."""
    html = page(world["client"], reverse("registry:households"), area=[COUNTY_A, "360729101000", VILLAGE_A])
    assert "3607291002010001" not in html  # 360729101 is another township: nothing of 石桥村


def test_list_queries_do_not_grow_with_rows(world, django_assert_max_num_queries):
    for i in range(3, 13):
        make_household(f"36072910020100{i:02d}", head=f"户主{i}")
    with django_assert_max_num_queries(12):
        page(world["client"], reverse("registry:households"))


# --- the card --------------------------------------------------------------------------

def test_card_shows_everything_masked(world):
    h = world["h"]
    actions.save_income(SYSTEM, h, 2019, wages=10000)
    actions.set_status(SYSTEM, h, "exited_policy", dt.date(2019, 12, 20), reason="稳定脱贫")
    html = page(world["client"], reverse("registry:household", args=[h.pk]))
    assert HEAD_ID not in html and "13970012345" not in html
    assert HEAD_ID[:6] + "********" + HEAD_ID[-4:] in html
    assert "139****2345" in html
    for text in ("张三", "李四", "因病", "一般贫困户", "稳定脱贫", "2019", "5,000.00"):
        assert text in html, text
    # The assistance app's panel (issue 5) is included: helpers, plan, measures, visits.
    assert 'id="assistance-panel"' in html


@pytest.mark.usefixtures("english")
def test_card_fits_the_page_and_says_things_once(world):
    """The member table keeps the columns read every day (the other fields open under the
    row), insurance as short badges with the full name as title; the causes appear once;
    the status history names its sources instead of showing codes."""
    h = world["h"]
    head = h.members.get(relation="01")
    Member.objects.filter(pk=head.pk).update(medical_insurance=True, pension_insurance=True, work_months=7)
    actions.set_status(SYSTEM, h, "exited_policy", dt.date(2019, 12, 20), reason="稳定脱贫", source="procedure:12")
    html = page(world["client"], reverse("registry:household", args=[h.pk]))
    members = html[html.index('id="members"'):html.index('id="income"')]
    header = members[members.index("<thead>"):members.index("</thead>")]
    assert header.count("<th>") == 12  # toggle, name, ID, 6 fields, phone, insurance, edit
    assert "ethnicity" not in header and "months worked" not in header
    assert f'id="member-{head.pk}-details"' in members and ">7<" in members  # work months, on demand
    assert 'title="basic medical insurance">Medical</span>' in members
    assert 'title="pension insurance">Pension</span>' in members
    assert html.count("Causes of poverty") == 1 and 'id="causes"' in html
    history = html[html.index('id="history"'):]
    assert ">Entered by hand<" in history and ">Procedure batch 12<" in history
    assert ">manual<" not in history


def test_reveal_on_the_card_is_logged(world):
    h = world["h"]
    head = h.members.get(relation="01")
    response = world["client"].post(reverse("core:reveal", args=["registry.member", head.pk, "id_number"]))
    assert response.status_code == 200 and HEAD_ID in response.content.decode()
    event = AuditEvent.objects.get(action="pii.reveal", object_id=str(head.pk))
    assert event.kind == "read" and event.note == "id_number" and event.user == world["officer"]


def test_helper_cannot_reveal(world):
    helper = world["make_user"]("helper", VILLAGE_A)
    client = world["login"](helper)
    head = world["h"].members.get(relation="01")
    html = page(client, reverse("registry:household", args=[world["h"].pk]))
    assert reverse("core:reveal", args=["registry.member", head.pk, "id_number"]) not in html
    assert client.post(reverse("core:reveal", args=["registry.member", head.pk, "id_number"])).status_code == 404


# --- PDFs ------------------------------------------------------------------------------

def pdf_text(html: str) -> str:
    """The text WeasyPrint lays out (no PDF reader is a dependency)."""
    import weasyprint

    document = weasyprint.HTML(string=html).render()
    out = []

    def walk(box):
        if hasattr(box, "text"):
            out.append(box.text)
        for child in getattr(box, "children", []):
            walk(child)

    for p in document.pages:
        walk(p._page_box)
    return "".join(out)


def pdf_fonts(body: bytes) -> set[str]:
    """The base fonts embedded in a PDF (its object streams inflated with zlib)."""
    import zlib

    chunks = [body]
    for m in re.finditer(rb"stream\r?\n", body):
        try:
            chunks.append(zlib.decompressobj().decompress(body[m.end():m.end() + 2_000_000]))
        except zlib.error:
            continue
    return {f.decode() for c in chunks for f in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w-]+)", c)}


def test_household_pdf_has_cjk_text_and_masks_ids(world, monkeypatch):
    from fupin.registry import pdf

    seen = {}
    real = pdf.html_to_pdf

    def spy(html):
        seen["html"] = html
        return real(html)

    monkeypatch.setattr(pdf, "html_to_pdf", spy)
    response = world["client"].get(reverse("registry:household_pdf", args=[world["h"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    assert any("CJK" in f for f in pdf_fonts(body)), pdf_fonts(body)
    text = pdf_text(seen["html"])
    assert "张三" in text and "李四" in text and "石桥村" in text
    assert HEAD_ID not in text and HEAD_ID[-4:] in text
    event = AuditEvent.objects.get(action="registry.household.pdf")
    assert event.kind == "export" and "masked" in event.note


def test_household_pdf_full_ids_only_for_revealers_and_logged(world, monkeypatch):
    from fupin.registry import pdf

    seen = []
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: seen.append(html) or b"%PDF-1.7 test")
    url = reverse("registry:household_pdf", args=[world["h"].pk]) + "?full=1"
    assert world["client"].get(url).status_code == 200
    assert HEAD_ID in seen[-1]
    assert AuditEvent.objects.filter(action="registry.household.pdf", note__contains="unmasked").count() == 1
    helper = world["make_user"]("helper", VILLAGE_A)
    assert world["login"](helper).get(url).status_code == 200
    assert HEAD_ID not in seen[-1]
    assert AuditEvent.objects.filter(action="registry.household.pdf", note__contains="unmasked").count() == 1


def test_household_pdf_full_ids_need_export_as_well_as_reveal(world, monkeypatch):
    """A village cadre may reveal an ID number on the card (logged) but may not export:
    ?full=1 gives them the masked PDF, as the register PDF does, and the card offers no
    "PDF with ID numbers"."""
    from fupin.registry import pdf

    seen = []
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: seen.append(html) or b"%PDF-1.7 test")
    cadre = world["login"](world["make_user"]("village_cadre", VILLAGE_A))
    url = reverse("registry:household_pdf", args=[world["h"].pk])
    assert cadre.get(url + "?full=1").status_code == 200
    assert HEAD_ID not in seen[-1] and HEAD_ID[-4:] in seen[-1]
    event = AuditEvent.objects.get(action="registry.household.pdf")
    assert event.kind == "export" and event.note.endswith(" masked")
    card = page(cadre, reverse("registry:household", args=[world["h"].pk]))
    assert "?full=1" not in card


# --- household forms -------------------------------------------------------------------

def household_post(h: Household, **changes) -> dict:
    from fupin.registry.forms import household_initial

    data = {k: ("" if v is None else v) for k, v in household_initial(h).items()}
    for k, v in list(data.items()):
        if isinstance(v, bool):
            if v:
                data[k] = "on"
            else:
                del data[k]
    data.update(changes)
    return data


def test_create_household_then_add_members(world):
    client = world["client"]
    response = client.post(reverse("registry:household_create"), {
        "number": "3607291002010099", "area_code": VILLAGE_A, "category": "3", "standard": "1", "main_cause": "02",
        "identified_year": "2017", "status": "identified", "status_date": "2017-03-01", "water_safe": "on"})
    h = Household.objects.get(number="3607291002010099")
    assert response.status_code == 302 and response["Location"] == reverse("registry:member_create", args=[h.pk])
    assert h.category == "3" and h.status_date == dt.date(2017, 3, 1) and h.water_safe and not h.power
    assert h.status_changes.count() == 1


def test_create_household_errors_next_to_fields(world):
    html = world["client"].post(reverse("registry:household_create"), {
        "number": "3607291002010001", "area_code": VILLAGE_A, "category": "1", "standard": "1", "main_cause": "01",
        "identified_year": "2017", "status": "identified"}).content.decode()
    assert re.search(r'name="number"[^>]*>\s*(<div class="form-text">[^<]*</div>\s*)?'
                     r'<div class="invalid-feedback d-block">[^<]*3607291002010001', html)
    html = world["client"].post(reverse("registry:household_create"), {
        "number": "X1", "area_code": VILLAGE_B, "category": "1", "standard": "1", "main_cause": "01",
        "identified_year": "2017", "status": "identified"})
    assert not Household.objects.filter(number="X1").exists()


def test_edit_household(world):
    h = world["h"]
    response = world["client"].post(reverse("registry:household_edit", args=[h.pk]),
                                    household_post(h, address="石桥村 12 号", housing_area="86.5"))
    assert response.status_code == 302
    h.refresh_from_db()
    assert h.address == "石桥村 12 号" and h.housing_area == Decimal("86.5") and h.version == 2


def test_edit_with_a_stale_version_is_a_conflict_and_saves_nothing(world):
    h = world["h"]
    stale = household_post(h, address="我的修改")
    actions.update_household(SYSTEM, h, address="别人的修改")  # someone else saves first
    response = world["client"].post(reverse("registry:household_edit", args=[h.pk]), stale)
    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert str(Conflict.default_message) in response.content.decode()
    h.refresh_from_db()
    assert h.address == "别人的修改"
    assert "我的修改" in response.content.decode()  # what the user typed is still in the form


def test_status_change_and_history(world):
    h = world["h"]
    url = reverse("registry:household_status", args=[h.pk])
    assert world["client"].post(url, {"status": "exited_policy", "date": "2019-12-20",
                                      "reason": "人均纯收入稳定超过标准"}).status_code == 302
    assert world["client"].post(url, {"status": "returned", "date": "2021-06-01", "reason": "因灾"}).status_code == 302
    html = world["client"].post(url, {"status": "exited", "date": "2020-01-01"}).content.decode()
    assert "invalid-feedback" in html  # before the last change: refused next to the date
    h.refresh_from_db()
    assert h.status == "returned" and h.exit_year == 2019 and h.return_year == 2021
    assert list(StatusChange.objects.filter(household=h).values_list("status", flat=True)) == [
        "registered", "exited_policy", "returned"]
    html = page(world["client"], reverse("registry:household", args=[h.pk]))
    history = html[html.index('id="history"'):]
    assert history.index("2019-12-20") < history.index("2021-06-01")
    assert "人均纯收入稳定超过标准" in history


# --- members ---------------------------------------------------------------------------

def member_post(**values) -> dict:
    return {"ethnicity": "01", "school_status": "00", "health": "1", "relation": "03", **values}


def test_add_member_takes_birth_date_and_sex_from_the_id(world):
    h = world["h"]
    child_id = id_number("20080909", "051")
    response = world["client"].post(reverse("registry:member_create", args=[h.pk]),
                                    member_post(name="张小明", id_number=child_id, school_status="08"))
    assert response.status_code == 302
    m = Member.objects.get(id_number=child_id)
    assert m.birth_date == dt.date(2008, 9, 9) and m.sex == "1"
    h.refresh_from_db()
    assert h.size == 3


def test_add_member_with_a_bad_id_is_refused_next_to_the_field(world):
    bad = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    html = world["client"].post(reverse("registry:member_create", args=[world["h"].pk]),
                                member_post(name="错号", id_number=bad)).content.decode()
    assert re.search(r'name="id_number".*?invalid-feedback d-block', html, re.S)
    assert not Member.objects.filter(name="错号").exists()


def test_duplicate_id_in_another_household_is_refused_naming_it(world):
    other = world["other"]
    html = world["client"].post(reverse("registry:member_create", args=[other.pk]),
                                member_post(name="李四", id_number=WIFE_ID, relation="02")).content.decode()
    feedback = re.search(r'name="id_number".*?<div class="invalid-feedback d-block">([^<]*)</div>', html, re.S)
    assert feedback and "3607291002010001" in feedback.group(1)
    assert Member.objects.filter(id_number=WIFE_ID).count() == 1


def test_duplicate_id_outside_the_area_is_refused_naming_nothing(world):
    """An officer of county B adding a person already registered in county A learns that the
    number is taken, not where (a household number holds its village's code)."""
    officer_b = world["make_user"]("county_office", COUNTY_B)
    elsewhere = make_household(VILLAGE_B + "0001", area_code=VILLAGE_B)
    html = world["login"](officer_b).post(reverse("registry:member_create", args=[elsewhere.pk]),
                                          member_post(name="李四", id_number=WIFE_ID, relation="02")).content.decode()
    feedback = re.search(r'name="id_number".*?<div class="invalid-feedback d-block">([^<]*)</div>', html, re.S)
    assert feedback and "3607291002" not in feedback.group(1) and "石桥" not in feedback.group(1)
    assert Member.objects.filter(id_number=WIFE_ID).count() == 1


def test_member_without_id_needs_reason_and_sex(world):
    html = world["client"].post(reverse("registry:member_create", args=[world["h"].pk]),
                                member_post(name="无证")).content.decode()
    assert html.count("invalid-feedback d-block") >= 2
    response = world["client"].post(reverse("registry:member_create", args=[world["h"].pk]),
                                    member_post(name="无证", no_id_reason="2", sex="2", birth_date="2024-01-02"))
    assert response.status_code == 302


def test_edit_member_and_leave(world):
    wife = world["h"].members.get(relation="02")
    response = world["client"].post(reverse("registry:member_edit", args=[wife.pk]),
                                    member_post(name="李四", id_number=WIFE_ID, relation="02", health="2"))
    assert response.status_code == 302
    wife.refresh_from_db()
    assert wife.health == "2"
    response = world["client"].post(reverse("registry:member_leave", args=[wife.pk]),
                                    {"reason": "2", "date": "2022-05-01"})
    assert response.status_code == 302
    wife.refresh_from_db()
    world["h"].refresh_from_db()
    assert not wife.active and wife.left_reason == "2" and world["h"].size == 1
    html = page(world["client"], reverse("registry:household", args=[world["h"].pk]))
    assert "2022-05-01" in html[html.index('id="members"'):]


# --- income ----------------------------------------------------------------------------

def test_income_entry_computes_per_capita(world):
    h = world["h"]
    actions.add_member(SYSTEM, h, name="张小一", id_number=id_number("20050101", "011"), relation="03",
                       ethnicity="01", school_status="11", health="1")
    actions.add_member(SYSTEM, h, name="张小二", id_number=id_number("20070101", "024"), relation="04",
                       ethnicity="01", school_status="09", health="1")
    url = reverse("registry:household_income", args=[h.pk])
    response = world["client"].post(url, {"year": "2020", "wages": "12000", "crops": "3000",
                                          "production_costs": "1000"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2020")
    income = Income.objects.get(household=h, year=2020)
    assert income.household_size == 4 and income.total_income == Decimal("15000.00")
    assert income.net_income == Decimal("14000.00") and income.per_capita == Decimal("3500.00")
    html = page(world["client"], url, year="2020")
    assert re.search(r'id="per-capita">3,500.00<', html)
    assert "15,000.00" in html and "14,000.00" in html and "3,000.00" in html


def test_income_errors_next_to_fields(world):
    url = reverse("registry:household_income", args=[world["h"].pk])
    html = world["client"].post(url, {"year": "2020", "wages": "-5"}).content.decode()
    assert re.search(r'name="wages".*?invalid-feedback d-block', html, re.S)
    assert not Income.objects.exists()


def test_card_shows_five_years_side_by_side(world):
    h = world["h"]
    for year in range(2015, 2022):
        actions.save_income(SYSTEM, h, year, wages=1000 * (year - 2014))
    html = page(world["client"], reverse("registry:household", args=[h.pk]))
    income = html[html.index('id="income"'):html.index('id="history"')]
    assert re.findall(r">(20\d\d)</th>", income) == ["2017", "2018", "2019", "2020", "2021"]


# --- village profile and checklist ------------------------------------------------------

def test_village_profile_and_checklist(world):
    village = Area.objects.get(code=VILLAGE_A)
    road = ChecklistItem.objects.create(code="road", name="通硬化路", source="国家", order=1)
    water = ChecklistItem.objects.create(code="water", name="通自来水", source="国家", order=2)
    local = ChecklistItem.objects.create(code="qg1", name="改水", area_prefix="360729", source="全南 七改三网")
    ChecklistItem.objects.create(code="other", name="龙南的项目", area_prefix="360783", source="龙南")
    ChecklistItem.objects.create(code="old", name="过期", source="国家", to_year=2015)
    url = reverse("registry:village_profile", args=[VILLAGE_A])
    html = page(world["client"], url, year="2018")
    assert "通硬化路" in html and "改水" in html and "龙南的项目" not in html and "过期" not in html
    response = world["client"].post(url + "?year=2018", {
        "year": "2018", "households": "312", "population": "1204", "rural_population": "1150",
        "collective_income": "52000", "arable_mu": "860", "forest_mu": "4200", "status": "poor",
        "status_year": "2014", "main_industries": "脐橙", "item": [str(road.pk), str(local.pk)]})
    assert response.status_code == 302
    profile = VillageProfile.objects.get(village=village, year=2018)
    assert profile.rural_population == 1150 and profile.status == "poor"
    met = dict(VillageChecklist.objects.filter(village=village, year=2018).values_list("item__code", "met"))
    assert met == {"road": True, "water": False, "qg1": True}
    assert AuditEvent.objects.filter(action="registry.village_checklist.save", count=3).exists()
    world["client"].post(url + "?year=2018", {"year": "2018", "status": "poor", "item": [str(water.pk)]})
    met = dict(VillageChecklist.objects.filter(village=village, year=2018).values_list("item__code", "met"))
    assert met == {"road": False, "water": True, "qg1": False}


def test_checklist_refuses_an_item_of_another_area(world):
    from fupin.core.errors import Invalid

    village = Area.objects.get(code=VILLAGE_A)
    other = ChecklistItem.objects.create(code="other", name="龙南的项目", area_prefix="360783", source="龙南")
    with pytest.raises(Invalid):
        actions.save_village_checklist(SYSTEM, village, 2018, {other.pk: True})


# --- registers -------------------------------------------------------------------------

def read_xlsx(content: bytes) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_registers_chooser_goes_to_the_users_area(world):
    response = world["client"].get(reverse("registry:registers"))
    assert response.status_code == 302 and response["Location"] == reverse("registry:register", args=[COUNTY_A])
    response = world["client"].get(reverse("registry:registers"), {"area": [COUNTY_A, TOWNSHIP_A],
                                                                    "status": "registered"})
    assert response["Location"] == reverse("registry:register", args=[TOWNSHIP_A]) + "?status=registered"


def test_village_register_page_and_excel_totals(world):
    h = world["h"]
    actions.save_income(SYSTEM, h, 2020, wages=9000)
    html = page(world["client"], reverse("registry:register", args=[VILLAGE_A]))
    assert "3607291002010001" in html and "3607291002010002" in html
    assert HEAD_ID not in html and HEAD_ID[-4:] in html
    assert "4,500.00" in html  # the latest per-capita income
    response = world["client"].get(reverse("registry:register_xlsx", args=[VILLAGE_A]))
    assert response.status_code == 200
    sheets = read_xlsx(b"".join(response.streaming_content))
    rows = next(iter(sheets.values()))
    assert "石桥村" in rows[0][0] and dt.date.today().isoformat() in rows[0][0]  # the title row
    header = rows[1]
    size_col = header.index(header[5])
    data, total = rows[2:-1], rows[-1]
    assert len(data) == 2
    assert total[size_col] == sum(r[size_col] for r in data) == 3
    ids = [r[4] for r in data]
    assert HEAD_ID in ids  # a county office may export with ID numbers
    event = AuditEvent.objects.get(action="registry.register.xlsx")
    assert event.kind == "export" and event.count == 2 and event.note == "unmasked"


def test_register_excel_masks_ids_without_export_permission(world):
    cadre = world["make_user"]("village_cadre", VILLAGE_A)  # may reveal one by one, not export
    response = world["login"](cadre).get(reverse("registry:register_xlsx", args=[VILLAGE_A]))
    rows = next(iter(read_xlsx(b"".join(response.streaming_content)).values()))
    assert HEAD_ID not in [r[4] for r in rows]
    assert HEAD_ID[:6] + "********" + HEAD_ID[-4:] in [r[4] for r in rows]
    assert AuditEvent.objects.get(action="registry.register.xlsx").note == "masked"


def test_register_filters(world):
    html = page(world["client"], reverse("registry:register", args=[VILLAGE_A]), category="2")
    assert "3607291002010002" in html and "3607291002010001" not in html


def test_township_book_and_county_file(world):
    Area.objects.create(code="360729100202", name="新村", level="village", parent=Area.objects.get(code=TOWNSHIP_A))
    make_household("3607291002020001", area_code="360729100202", head="赵七")
    actions.set_status(SYSTEM, world["other"], "exited_policy", dt.date(2020, 1, 1))
    html = page(world["client"], reverse("registry:register", args=[TOWNSHIP_A]))
    rows = html[html.index('id="area-rows"'):html.index("</table>", html.index('id="area-rows"'))]
    assert "石桥村" in rows
    foot = rows[rows.index("<tfoot>"):]
    assert re.findall(r">(\d+)</td>", foot)[:6] == ["3", "4", "2", "3", "1", "1"]
    assert "3607291002020001" in html[html.index('id="household-rows"'):]
    html = page(world["client"], reverse("registry:register", args=[COUNTY_A]))
    assert "household-rows" not in html
    county_rows = html[html.index('id="area-rows"'):]
    assert re.search(r">\s*3\s*</td>", county_rows)
    response = world["client"].get(reverse("registry:register_xlsx", args=[COUNTY_A]))
    sheets = read_xlsx(b"".join(response.streaming_content))
    townships, villages = list(sheets.values())
    assert townships[-1][2] == sum(r[2] for r in townships[2:-1]) == 3
    assert villages[-1][3] == sum(r[3] for r in villages[2:-1]) == 4


def test_register_pdf_landscape_with_cjk(world, monkeypatch):
    from fupin.registry import pdf

    seen = {}
    real = pdf.html_to_pdf
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: seen.setdefault("html", html) and real(html))
    response = world["client"].get(reverse("registry:register_pdf", args=[VILLAGE_A]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert any("CJK" in f for f in pdf_fonts(response.content)), pdf_fonts(response.content)
    assert "A4 landscape" in seen["html"]
    text = pdf_text(seen["html"])
    assert "石桥村" in text and "张三" in text and "王五" in text
    assert HEAD_ID in text  # a county office may export with ID numbers; the export is logged
    assert AuditEvent.objects.get(action="registry.register.pdf").note == "unmasked"
    import weasyprint

    page0 = weasyprint.HTML(string=seen["html"]).render().pages[0]
    assert page0.width > page0.height  # landscape


def test_register_pdf_prints_amounts_with_two_decimals_and_names_on_one_line(world, monkeypatch):
    """Per-capita income as the page and the Excel show it (5,349.37; 8,444.00), not
    "5349.37000000000" or "8444"; fixed column widths (the head's name on one line, no
    cell measured on every page)."""
    from fupin.registry import pdf

    client = world["client"]
    for h, wages in ((world["h"], "10698.74"), (world["other"], "8444")):
        response = client.post(reverse("registry:household_income", args=[h.pk]), {"year": "2020", "wages": wages})
        assert response.status_code == 302
    seen = {}
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: seen.setdefault("html", html) and b"%PDF")
    assert client.get(reverse("registry:register_pdf", args=[VILLAGE_A])).status_code == 200
    html = seen["html"]
    assert '<td class="num">5,349.37</td>' in html and '<td class="num">8,444.00</td>' in html
    assert "5349.37" not in html
    assert '<td class="nowrap">张三</td>' in html and "table-layout: fixed" in html


def test_pages_refuse_other_counties(world):
    b = make_household("3607831002010001", area_code=VILLAGE_B, head="龙南户")
    client = world["client"]
    for name, args in (("registry:household", [b.pk]), ("registry:household_pdf", [b.pk]),
                       ("registry:household_edit", [b.pk]), ("registry:household_income", [b.pk]),
                       ("registry:member_create", [b.pk]), ("registry:register", [VILLAGE_B]),
                       ("registry:village_profile", [VILLAGE_B])):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert "3607831002010001" not in page(client, reverse("registry:households"), q="龙南户")


def test_unindexed_sorts_only_on_a_narrow_selection(world, monkeypatch):
    from fupin.registry.views import households

    def order(html):
        return [n for n in re.findall(r">(3607291002010\d{3})<", html)]

    html = page(world["client"], reverse("registry:households"), sort="size")
    assert order(html) == ["3607291002010002", "3607291002010001"]  # 1 person, then 2
    assert re.search(r'href="\?[^"]*sort=-size', html)
    monkeypatch.setattr(households, "FREE_SORT_LIMIT", 1)
    html = page(world["client"], reverse("registry:households"), sort="size")
    assert order(html) == ["3607291002010001", "3607291002010002"]  # by village and group instead
    assert not re.search(r'href="\?[^"]*sort=-?size', html)
    html = page(world["client"], reverse("registry:households"), sort="-number")
    assert order(html) == ["3607291002010002", "3607291002010001"]  # an indexed column still sorts


def test_the_exit_year_is_that_of_the_latest_exit(world):
    """A household that returns and exits again has the second exit's year; stopping the
    policies after an exit keeps the exit's year (one household at a time and many)."""
    h, other = world["h"], world["other"]
    for status, date in [("exited_policy", dt.date(2017, 12, 1)), ("returned", dt.date(2019, 5, 1)),
                         ("exited_policy", dt.date(2020, 11, 30)), ("exited", dt.date(2021, 12, 31))]:
        actions.set_status(SYSTEM, h, status, date)
        actions.set_status_many(SYSTEM, Household.objects.filter(pk=other.pk), status, date)
    h.refresh_from_db()
    other.refresh_from_db()
    assert (h.exit_year, h.return_year) == (2020, 2019)
    assert (other.exit_year, other.return_year) == (2020, 2019)


def test_the_card_lists_the_households_procedures_and_links_its_exit_check(world):
    from fupin.areas.models import Area
    from fupin.procedures import actions as procedures
    from fupin.procedures.models import ProcedureType

    h = world["h"]
    actions.set_status(SYSTEM, h, "identified", dt.date(2020, 1, 2))
    batch = procedures.start_batch(SYSTEM, ProcedureType.objects.get(code="identification_2014"),
                                   Area.objects.get(code=h.area_code[:12]), [h.pk], title="识别批次甲")
    html = page(world["client"], reverse("registry:household", args=[h.pk]))
    panel = html[html.index('id="documents"'):]
    assert "识别批次甲" in panel and reverse("procedures:batch", args=[batch.pk]) in panel
    assert reverse("exits:household", args=[h.pk]) in panel
    # another household's card does not list it
    other = page(world["client"], reverse("registry:household", args=[world["other"].pk]))
    assert "识别批次甲" not in other


def test_the_card_links_only_batches_the_user_may_open(world):
    """A county batch is listed on the card a village cadre sees, but not linked (the
    batch page would be a 404 for them)."""
    from fupin.areas.models import Area
    from fupin.procedures import actions as procedures
    from fupin.procedures.models import ProcedureType

    h = world["h"]
    actions.set_status(SYSTEM, h, "identified", dt.date(2020, 1, 2))
    batch = procedures.start_batch(SYSTEM, ProcedureType.objects.get(code="identification_2014"),
                                   Area.objects.get(code=COUNTY_A), [h.pk], title="县级识别批次")
    url = reverse("procedures:batch", args=[batch.pk])
    cadre = world["login"](world["make_user"]("village_cadre", h.area_code[:12]))
    panel = page(cadre, reverse("registry:household", args=[h.pk]))
    panel = panel[panel.index('id="documents"'):]
    assert "县级识别批次" in panel and url not in panel
    assert cadre.get(url).status_code == 404
    office = page(world["client"], reverse("registry:household", args=[h.pk]))
    assert url in office[office.index('id="documents"'):]


def test_a_name_prefix_finds_a_name_with_a_rare_character_after_it(world):
    """A rare name character outside the Basic Multilingual Plane (𫟹, U+2B7F9) sorts after
    U+FFFF in UTF-8 byte order: the range's end must lie beyond it."""
    from fupin.registry import queries

    Member.objects.filter(household=world["h"]).update(name="张𫟹")
    found = Member.objects.filter(queries.name_prefix_q("name", "张")).values_list("name", flat=True)
    assert "张𫟹" in list(found)
