"""Every date a form draws is one a browser's ``<input type="date">`` can read (YYYY-MM-DD),
whatever the language: a date drawn in the language's format (zh-hans 2026/11/23) is taken
for an empty one, and a required date then blocks the submit without a word."""

from __future__ import annotations

import datetime as dt
import html
import importlib
import pkgutil
import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import get_resolver, reverse
from django.utils import translation

import fupin
from fupin.jobs.models import Job
from fupin.registry.models import QualityRun
from tests.conftest import COUNTY_A

DAY = dt.date(2026, 11, 23)
DATE_INPUT = re.compile(r"<input\b[^>]*\btype=\"date\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def _all_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class of fupin: those of each app's forms module and those a view module
    declares (the URL conf imports every view)."""
    for info in pkgutil.walk_packages(fupin.__path__, "fupin."):
        if info.name.rsplit(".", 1)[-1] == "forms":
            importlib.import_module(info.name)
    get_resolver().url_patterns  # noqa: B018 (imports the views)
    seen, todo = [], [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("fupin.") and sub not in seen:
                seen.append(sub)
    return seen


def _date_field_names(form: forms.BaseForm) -> list[str]:
    return [name for name, field in form.fields.items() if isinstance(field, forms.DateField)]


def _forms_with_dates():
    out = []
    for cls in _all_form_classes():
        try:
            form = cls()
        except (TypeError, ValueError):  # a form that needs arguments, or a base class: no date field
            assert not any(isinstance(f, forms.DateField) for f in cls.base_fields.values()), cls
            continue
        if _date_field_names(form):
            out.append(cls)
    return out


@pytest.mark.django_db
def test_every_form_draws_its_dates_as_the_browser_reads_them(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    classes = _forms_with_dates()
    names = {f"{c.__module__}.{c.__name__}" for c in classes}
    # the search finds the forms of the report (and more): it cannot pass by finding nothing
    assert {"fupin.registry.views_quality.RunForm", "fupin.comparison.forms.CutoffForm",
            "fupin.comparison.forms.ImportForm", "fupin.identification.forms.FactForm",
            "fupin.monitoring.forms.OpenForm", "fupin.procedures.forms.ObjectionForm",
            "fupin.registry.forms.MemberForm", "fupin.assistance.forms.PairForm"} <= names
    wrong = []
    with translation.override("zh-hans"):
        for cls in classes:
            dates = _date_field_names(cls())
            form = cls(initial=dict.fromkeys(dates, DAY))
            for name in dates:
                drawn = str(form[name])
                inputs = DATE_INPUT.findall(drawn)
                if len(inputs) != 1:
                    wrong.append((cls.__name__, name, drawn))
                    continue
                value = VALUE.search(inputs[0])
                if value is None or value.group(1) != "2026-11-23":
                    wrong.append((cls.__name__, name, inputs[0]))
    assert wrong == []


class _FormReader(HTMLParser):
    """The controls of the first form on a page that holds a control named ``marker``, with
    the values they are drawn with (what a browser would send untouched)."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker, self.forms, self.current = marker, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {"method": (a.get("method") or "get").lower(), "fields": {}, "selects": {}}
        elif self.current is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "date":
                # a browser sends an unreadable date as empty
                value = a.get("value") or ""
                self.current["fields"][a["name"]] = value if ISO.fullmatch(value) else ""
            else:
                self.current["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self.current["select"] = a["name"]
            self.current["selects"][a["name"]] = None
        elif tag == "option" and self.current.get("select"):
            name = self.current["select"]
            if self.current["selects"][name] is None or "selected" in a:
                self.current["selects"][name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select" and self.current is not None:
            self.current.pop("select", None)
        elif tag == "form" and self.current is not None:
            data = {**self.current["fields"], **{k: v or "" for k, v in self.current["selects"].items()}}
            if self.marker in data:
                self.forms.append({k: html.unescape(v) for k, v in data.items()})
            self.current = None


def drawn_form(page: str, marker: str) -> dict:
    reader = _FormReader(marker)
    reader.feed(page)
    assert reader.forms, f"no form with {marker}"
    return reader.forms[0]


def test_the_quality_run_form_posted_back_as_drawn_starts_the_run(two_counties, make_user, login):
    client = login(make_user("county_office", COUNTY_A))
    with translation.override("zh-hans"):
        page = client.get(reverse("registry:quality"), headers={"accept-language": "zh-hans"}).content.decode()
    data = drawn_form(page, "on")
    assert data["area_code"] == COUNTY_A and ISO.fullmatch(data["on"]), data
    response = client.post(reverse("registry:quality"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Job.objects.filter(kind="registry.quality").exists() and QualityRun.objects.filter(
        area_code=COUNTY_A).exists()


# --- dates written by hand in a template ------------------------------------------------------

def test_a_refused_appraisal_draws_the_meeting_date_it_was_given(two_counties, make_user, login):
    """The appraisal's meeting date, drawn again after the step was refused for another reason,
    is the date the officer gave (not an empty one: a date filter on the posted text drew "")."""
    from fupin.core import clock
    from fupin.core.actor import Actor
    from tests.test_procedures import advance, all_for, make_households, start

    officer = make_user("county_office", COUNTY_A)
    actor = Actor(officer)
    batch = start(actor, make_households(COUNTY_A[:6] + "100201", 2))
    day = advance(actor, batch, until="appraisal")
    batch.refresh_from_db()
    held = day - dt.timedelta(days=1)
    form = {"step": batch.current_step["code"], "version": batch.version, "action": "appraise",
            "held_on": held.isoformat(), "total": 30, "present": 20, "minutes": "",
            **{f"for_{pk}": 20 for pk in all_for(batch)}}
    with clock.frozen(day):
        r = login(officer).post(reverse("procedures:act", args=[batch.pk]), form)
    assert r.status_code in (200, 422)
    drawn = re.search(r'<input[^>]*name="held_on"[^>]*>', r.content.decode()).group(0)
    assert f'value="{held.isoformat()}"' in drawn, drawn
