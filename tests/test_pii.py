"""Personal data: masking, the ``sensitive`` template tag, and the logged reveal."""

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from fupin.audit.models import AuditEvent
from fupin.core import pii
from fupin.core.masking import mask, mask_bank_account, mask_id_number, mask_phone
from tests.conftest import COUNTY_A, COUNTY_B, TOWNSHIP_A, VILLAGE_A

PHONE = "13970012345"


@pytest.mark.parametrize(("value", "masked"), [
    ("360729199001011234", "360729********1234"),
    ("36072919900101123X", "360729********123X"),
    ("360729900101123", "360729*****1123"),  # old 15-digit number
    ("12345678", "12****78"),
    ("", ""),
    (None, ""),
])
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked
    if value and len(value) > 10:
        assert value[6:14] not in mask_id_number(value), "the birth date is hidden"


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"), ("0797-1234567", "079*****4567"), ("123456", "******"), ("", ""), (None, "")])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("6217001234567890123", "***************0123"), ("1234", "1234"), ("", ""), (None, "")])
def test_mask_bank_account(value, masked):
    assert mask_bank_account(value) == masked


def test_mask_by_kind():
    assert mask("phone", PHONE) == mask_phone(PHONE)
    assert mask("id_number", "360729199001011234") == "360729********1234"
    assert mask("salary", "8000") == "****", "an unknown kind shows nothing"


def _render(user, obj, field="phone"):
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% sensitive obj field %}|{{ obj.phone|masked:'phone' }}").render(
        Context({"request": request, "obj": obj, "field": field}))


@pytest.mark.parametrize(("role", "area", "button"), [
    ("county_office", COUNTY_A, True),
    ("township_officer", TOWNSHIP_A, True),
    ("village_cadre", VILLAGE_A, True),
    ("inspector", COUNTY_A, True),
    ("helper", VILLAGE_A, False),  # no pii.reveal
    ("department_officer", COUNTY_A, False),
    ("leader", COUNTY_A, False),
    ("township_officer", "360729101000", False),  # another township
    ("county_office", COUNTY_B, False),  # another county
])
def test_sensitive_tag_offers_reveal_only_where_allowed(two_counties, make_user, role, area, button):
    target = make_user("village_cadre", VILLAGE_A, phone=PHONE)
    html = _render(make_user(role, area), target)
    assert PHONE not in html, "always masked on the page"
    assert "139****2345" in html
    assert ("hx-post" in html) is button
    if button:
        assert reverse("core:reveal", args=["accounts.user", target.pk, "phone"]) in html


def test_sensitive_tag_for_unregistered_field_or_empty_value(two_counties, make_user):
    viewer = make_user("county_office", COUNTY_A)
    target = make_user("village_cadre", VILLAGE_A, phone="")
    assert _render(viewer, target).startswith("|")
    target.full_name = "钟秀英"
    html = _render(viewer, target, field="full_name")
    assert "hx-post" not in html and "钟秀英" not in html


def test_users_page_shows_phones_masked(two_counties, make_user):
    target = make_user("village_cadre", VILLAGE_A, phone=PHONE)
    client = Client()
    client.force_login(make_user("county_office", COUNTY_A))
    for url in (reverse("accounts:users"), reverse("accounts:user", args=[target.pk])):
        html = client.get(url).content.decode()
        assert PHONE not in html and "139****2345" in html


def _reveal(client, obj_pk, field="phone", label="accounts.user"):
    return client.post(reverse("core:reveal", args=[label, obj_pk, field]))


def test_reveal_returns_the_value_and_logs(two_counties, make_user):
    target = make_user("village_cadre", VILLAGE_A, phone=PHONE)
    viewer = make_user("township_officer", TOWNSHIP_A)
    client = Client()
    client.force_login(viewer)
    response = _reveal(client, target.pk)
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    event = AuditEvent.objects.get(action="pii.reveal")
    assert (event.kind, event.user, event.object_id, event.note) == ("read", viewer, str(target.pk), "phone")


@pytest.mark.parametrize(("role", "area"), [
    ("county_office", COUNTY_B), ("township_officer", "360729101000"), ("helper", VILLAGE_A)])
def test_reveal_outside_the_area_or_without_permission_is_404(two_counties, make_user, role, area):
    target = make_user("village_cadre", VILLAGE_A, phone=PHONE)
    client = Client()
    client.force_login(make_user(role, area))
    response = _reveal(client, target.pk)
    assert response.status_code == 404 and PHONE not in response.content.decode()
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_reveal_refuses_other_fields_models_and_methods(two_counties, make_user):
    target = make_user("village_cadre", VILLAGE_A, phone=PHONE)
    client = Client()
    client.force_login(make_user("admin", None))
    assert _reveal(client, target.pk, field="password").status_code == 404
    assert _reveal(client, target.pk, field="username").status_code == 404
    assert _reveal(client, target.pk, label="areas.unit", field="name").status_code == 404
    assert _reveal(client, target.pk, label="no.such").status_code == 404
    assert _reveal(client, 999999).status_code == 404
    assert client.get(reverse("core:reveal", args=["accounts.user", target.pk, "phone"])).status_code == 405
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    assert _reveal(client, target.pk).status_code == 200  # the administrator may


def test_register_adds_fields():
    pii.register("tests.thing", {"id_number": "id_number"})
    try:
        assert pii.PII_FIELDS["tests.thing"] == {"id_number": "id_number"}
        assert pii.model_for("tests.nothing") is None
    finally:
        del pii.PII_FIELDS["tests.thing"]
