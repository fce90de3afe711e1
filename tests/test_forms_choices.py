"""A choice the person must make has an empty first option: a select shows its first option as
chosen, so without the empty one the form took it for the person's choice (男 for every new
member, whose ID number then said otherwise; 因病 for every new household's main cause; 户主
for every member's relation)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from fupin.registry.models import Household, Member
from tests.conftest import COUNTY_A, VILLAGE_A
from tests.test_forms_dates import _all_form_classes
from tests.test_registry_pages import HEAD_ID, id_number, make_household, member_post

# Required selects whose page draws a value on purpose (a visible default, or the record's
# current value), or that pick what to see rather than decide anything: (module.Form, field).
DRAWN_BY_THE_PAGE = {
    ("fupin.registry.forms.StatusForm", "status"),  # the household's current status
    ("fupin.monitoring.forms.CallForm", "channel"),  # "phone": the call being taken
    ("fupin.identification.forms.RuleSetForm", "combine"),  # the rule set the new one starts from
    ("fupin.identification.forms.FactDecisionForm", "status"),  # each fact's current status
    ("fupin.assistance.forms.PostForm", "rule"),  # the pay rule in force
    ("fupin.registry.views_exchange.ExportForm", "area"),  # what to export
    ("fupin.registry.views_exchange.ExportForm", "format"),
    ("fupin.registry.views_exchange.IncomeExportForm", "area"),
    ("fupin.registry.views_exchange.IncomeExportForm", "format"),
    ("fupin.registry.views_recheck.OpenForm", "area"),  # (views_recheck: another piece of work)
}


def _first_choices():
    """(form, field, first choice's value) of every required select of every form."""
    out = []
    for cls in _all_form_classes():
        try:
            form = cls()
        except (TypeError, ValueError):  # a form that needs arguments, or a base class
            continue
        for name, field in form.fields.items():
            if (not isinstance(field, forms.ChoiceField) or isinstance(field, forms.ModelChoiceField)
                    or not field.required or type(field.widget) is not forms.Select or field.initial is not None):
                continue
            choices = list(field.choices)
            out.append((f"{cls.__module__}.{cls.__name__}", name, choices[0][0] if choices else None))
    return out


@pytest.mark.django_db
def test_every_required_choice_starts_empty():
    found = _first_choices()
    named = {(form, name) for form, name, _first in found}
    # the search finds the fields of the report (it cannot pass by finding nothing)
    assert {("fupin.registry.forms.MemberForm", "relation"), ("fupin.registry.forms.HouseholdForm", "main_cause"),
            ("fupin.procedures.forms.ResolveForm", "decision"), ("fupin.monitoring.forms.OpenForm", "kind")} <= named
    silent = [(form, name, first) for form, name, first in found
              if first != "" and (form, name) not in DRAWN_BY_THE_PAGE]
    assert silent == []


# --- the registry's pages ----------------------------------------------------------------------

def _select(page: str, name: str) -> str:
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, name
    return found.group(1)


def _selected(page: str, name: str) -> list[str]:
    """The values of the options of select ``name`` drawn as chosen."""
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', _select(page, name))


@pytest.fixture
def household(two_counties, make_user, login):
    h = make_household("3607291002010001", head_id=HEAD_ID)
    return {"h": h, "client": login(make_user("county_office", COUNTY_A))}


def test_the_add_member_form_chooses_no_sex_and_no_relation(household):
    with translation.override("zh-hans"):
        page = household["client"].get(reverse("registry:member_create", args=[household["h"].pk])).content.decode()
    assert _selected(page, "sex") in ([], [""])
    assert _selected(page, "relation") in ([], [""])  # the household has its head already
    assert re.match(r'\s*<option value=""[ >]', _select(page, "sex"))


def test_a_woman_s_id_number_with_the_sex_left_empty_adds_her_as_a_woman(household):
    wife_id = id_number("19720708", "042")  # 17th digit 4: female
    response = household["client"].post(reverse("registry:member_create", args=[household["h"].pk]),
                                        member_post(name="李四", id_number=wife_id, relation="02", sex=""))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Member.objects.get(id_number=wife_id).sex == "2"


HOUSEHOLD_POST = {"number": "3607291002010099", "area_code": VILLAGE_A, "category": "1", "standard": "1",
                  "identified_year": "2017", "status": "identified", "status_date": "2017-03-01"}


def test_a_new_household_has_no_main_cause_until_one_is_chosen(household):
    client = household["client"]
    with translation.override("zh-hans"):
        page = client.get(reverse("registry:household_create")).content.decode()
    assert _selected(page, "main_cause") in ([], [""])
    assert re.match(r'\s*<option value=""[ >]', _select(page, "main_cause"))
    html = client.post(reverse("registry:household_create"), {**HOUSEHOLD_POST, "main_cause": ""}).content.decode()
    assert re.search(r'<select name="main_cause"[^>]*>.*?</select>\s*(<div class="form-text">[^<]*</div>\s*)?'
                     r'<div class="invalid-feedback d-block">', html, re.S), "refused next to the main cause"
    assert not Household.objects.filter(number=HOUSEHOLD_POST["number"]).exists()
    assert client.post(reverse("registry:household_create"), {**HOUSEHOLD_POST, "main_cause": "02"}).status_code == 302
    assert Household.objects.get(number=HOUSEHOLD_POST["number"]).main_cause == "02"
