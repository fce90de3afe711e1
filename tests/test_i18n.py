"""Every UI string has a Chinese translation: extract the strings afresh from the
code and templates and compare them with the committed catalogue (GNU gettext's
msgcmp fails on any string missing or untranslated); the compiled .mo matches the .po;
the default language is Chinese."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

import fupin

PACKAGE = Path(fupin.__file__).parent
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory):
    if not shutil.which("xgettext") or not shutil.which("msgcmp"):
        pytest.fail("GNU gettext (xgettext, msgcmp) is needed: apt-get install gettext")
    tmp = tmp_path_factory.mktemp("i18n")
    copy = tmp / "fupin"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("vendor", "locale", "__pycache__", "*.mo"))
    (copy / "locale").mkdir()
    import os

    cwd = os.getcwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=["zh_Hans"], no_location=True, no_obsolete=True,
                         ignore_patterns=["static/*"], verbosity=0)
    finally:
        os.chdir(cwd)
    return copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_string_is_translated(fresh_catalogue):
    assert CATALOGUE.exists(), f"missing {CATALOGUE}: run `make messages` and translate"
    result = subprocess.run(["msgcmp", str(CATALOGUE), str(fresh_catalogue)], capture_output=True, text=True)
    assert result.returncode == 0, (
        "Strings without a Chinese translation (run `make messages`, translate, commit):\n" + result.stderr[-6000:])


def test_no_fuzzy_translations():
    result = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", str(CATALOGUE)], capture_output=True,
                            text=True, check=True)
    assert "msgid" not in result.stdout, "fuzzy translations left:\n" + result.stdout[:3000]


def test_compiled_catalogue_is_current(tmp_path):
    out = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(out), str(CATALOGUE)], check=True)
    committed = CATALOGUE.with_suffix(".mo")
    assert committed.exists() and committed.read_bytes() == out.read_bytes(), "run `make messages` to compile"


def test_default_language_is_chinese(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_djangos_empty_select_label_is_translated():
    """Django 6.1's own zh_Hans catalogue lacks it; ours (kept by core.forms) gives it."""
    from django.db.models.fields import BLANK_CHOICE_LABEL

    with translation.override("zh-hans"):
        assert str(BLANK_CHOICE_LABEL) == "- 请选择 -"
