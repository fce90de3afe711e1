"""The benchmark scripts (bench/*.py) never touch the database FUPIN_DATABASE_URL names:
they create, and drop, their own on its server."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recorder:
    """psycopg.connect() that records the statements instead of running them."""

    def __init__(self):
        self.statements: list[tuple[str, str]] = []

    def connect(self, url, **_kwargs):
        recorder = self

        class Conn:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql, params=None):
                recorder.statements.append((url, sql))

        return Conn()


def test_dynamics_bench_drops_only_its_own_database(monkeypatch):
    from django.db import connections

    dynamics = _load("dynamics")
    recorder = _Recorder()
    monkeypatch.setattr(dynamics, "psycopg", recorder)
    commands = []
    monkeypatch.setattr(dynamics, "fupin", lambda args, env: commands.append(env["FUPIN_DATABASE_URL"]) or 0.0)
    monkeypatch.setattr(dynamics, "build", lambda url, households: {"typical_county": "360730", "url": url})
    monkeypatch.setattr(dynamics, "measure", lambda county, repeat: {})
    monkeypatch.setattr(connections, "close_all", lambda: None)
    monkeypatch.setenv("FUPIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fupin_main")
    monkeypatch.setattr(sys, "argv", ["dynamics.py"])
    dynamics.main()
    dropped = [sql for _url, sql in recorder.statements if "DROP DATABASE" in sql]
    assert dropped and all('"fupin_bench_dyn"' in sql for sql in dropped)
    assert not any("fupin_main" in sql for _url, sql in recorder.statements)
    assert commands and all(url.endswith("/fupin_bench_dyn") for url in commands)
    # naming the configured database as the bench's own is refused, before any statement
    # (the message: argparse also exits with SystemExit, on an option it does not know)
    recorder.statements.clear()
    monkeypatch.setenv("FUPIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fupin_main")
    monkeypatch.setattr(sys, "argv", ["dynamics.py", "--db-name", "fupin_main"])
    with pytest.raises(SystemExit, match="that is the database of FUPIN_DATABASE_URL"):
        dynamics.main()
    assert recorder.statements == []
