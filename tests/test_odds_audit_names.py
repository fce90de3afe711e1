"""The name the audit log keeps of an object (object_repr) is written in the site's language
(settings.LANGUAGE_CODE), whatever language is active when it is recorded: a user's English
page, a job run in its starter's language. The log is one record, in one language."""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext_lazy

from fupin.assistance import actions
from fupin.audit import actions as audit
from fupin.audit.models import AuditEvent
from tests.conftest import SYSTEM
from tests.test_assistance import county, frozen  # noqa: F401 (fixtures)


def test_a_measure_recorded_in_english_is_named_in_chinese(county, settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("en"):
        measure = actions.record_measure(SYSTEM, household=county["poor"], type="health", date=dt.date(2024, 5, 1))
        assert str(measure).startswith("Health ")  # the page's language is English
    event = AuditEvent.objects.get(action="assistance.measure.create", object_id=str(measure.pk))
    assert event.object_repr == f"健康扶贫 2024-05-01 · {county['poor'].number}"


def test_a_name_given_as_a_lazy_translation_is_kept_in_the_site_language(db):
    with translation.override("en"):
        one = audit.record(SYSTEM, "test.named", object_type="test.thing", object_repr=gettext_lazy("Village"))
        audit.record_many(SYSTEM, "test.named_many", [{"object_type": "test.thing", "object_id": "1",
                                                       "object_repr": gettext_lazy("Village")}])
    assert one.object_repr == "行政村"
    assert AuditEvent.objects.get(action="test.named_many").object_repr == "行政村"


def test_a_name_given_as_text_is_kept_as_it_is(db):
    with translation.override("en"):
        event = audit.record(SYSTEM, "test.named", object_type="test.thing", object_repr="Village 7")
    assert event.object_repr == "Village 7"
