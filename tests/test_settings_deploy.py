"""Production settings: `fupin check --deploy --fail-level WARNING` passes with the
environment of a real server, and fails when that environment is unsafe."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

FUPIN = Path(sys.executable).parent / "fupin"


def production_env(tmp_path, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUPIN_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "fupin.settings",
        "FUPIN_DEBUG": "0",
        "FUPIN_HTTPS": "1",
        "FUPIN_SECRET_KEY": secrets.token_urlsafe(64),
        "FUPIN_ALLOWED_HOSTS": "fupin.example.org",
        "FUPIN_DATA_DIR": str(tmp_path),
    })
    env.update(overrides)
    return env


def run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def fupin(env, *args) -> subprocess.CompletedProcess:
    command = [str(FUPIN)] if FUPIN.exists() else [sys.executable, "-m", "fupin.cli"]
    return run([*command, *args], env)


def test_check_deploy_passes_in_production(tmp_path):
    result = fupin(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_unsafe(tmp_path):
    """The same check is not blind: plain HTTP, DEBUG on and a weak key each fail it."""
    env = production_env(tmp_path, FUPIN_HTTPS="0", FUPIN_DEBUG="1", FUPIN_SECRET_KEY="short")
    result = fupin(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for check_id in ("security.W004", "security.W008", "security.W012", "security.W016", "security.W018",
                     "security.W009"):
        assert check_id in output, f"{check_id} not reported"


def test_production_settings_values(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS >= 31536000, s.ALLOWED_HOSTS, s.SESSION_COOKIE_AGE, "
            "'django.contrib.auth.middleware.LoginRequiredMiddleware' in s.MIDDLEWARE, "
            "'django.middleware.csp.ContentSecurityPolicyMiddleware' in s.MIDDLEWARE)")
    env = production_env(tmp_path)
    result = run([sys.executable, "-c", "import django; django.setup(); " + code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "['fupin.example.org']", "1800",
                                     "True", "True"]


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    env = production_env(tmp_path)
    del env["FUPIN_SECRET_KEY"]
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first, second = (run([sys.executable, "-c", code], env).stdout.strip() for _ in range(2))
    assert first == second and len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_collectstatic_finds_the_packages_static_files():
    """With DEBUG off, WhiteNoise serves only what collectstatic gathered."""
    from django.contrib.staticfiles import finders

    for name in ("fupin/fupin.js", "fupin/fupin.css", "vendor/htmx/htmx.min.js", "vendor/bootstrap/bootstrap.min.css"):
        assert finders.find(name), f"{name} is not found by the static file finders"
