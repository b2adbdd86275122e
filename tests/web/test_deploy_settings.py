"""Deployment: `battkomp serve` refuses unsafe settings, `check --deploy` is clean in
production, `battkomp manage` reaches Django, and docs/operations.md covers every setting."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from battkomp.cli import main
from battkomp.site.serving import DEMO_SECRET_KEY, production_problems

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "src" / "battkomp" / "site" / "settings.py"
OPERATIONS = ROOT / "docs" / "operations.md"


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test process's environment without battkomp and Django settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATTKOMP_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env["BATTKOMP_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def test_the_demo_key_the_server_refuses_is_the_settings_demo_key() -> None:
    from battkomp.site import settings

    assert DEMO_SECRET_KEY == settings.DEMO_SECRET_KEY


def test_battkomp_serve_refuses_the_demo_secret(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path, BATTKOMP_SECRET_KEY=DEMO_SECRET_KEY, BATTKOMP_ALLOWED_HOSTS="example.org"
    )
    result = subprocess.run(
        [sys.executable, "-m", "battkomp.cli", "serve"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert "BATTKOMP_SECRET_KEY is the demo key" in result.stderr
    assert not (tmp_path / "data" / "battkomp.sqlite3").exists()  # refused before migrating


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BATTKOMP_ALLOWED_HOSTS": "example.org"}, "BATTKOMP_SECRET_KEY is not set"),
        (
            {"BATTKOMP_SECRET_KEY": "short-secret", "BATTKOMP_ALLOWED_HOSTS": "example.org"},
            "too weak",
        ),
        ({"BATTKOMP_SECRET_KEY": "a" * 80, "BATTKOMP_ALLOWED_HOSTS": "example.org"}, "too weak"),
        ({"BATTKOMP_SECRET_KEY": secrets.token_urlsafe(64)}, "BATTKOMP_ALLOWED_HOSTS is not set"),
        (
            {"BATTKOMP_SECRET_KEY": secrets.token_urlsafe(64), "BATTKOMP_ALLOWED_HOSTS": " "},
            "BATTKOMP_ALLOWED_HOSTS is not set",
        ),
    ],
)
def test_battkomp_serve_refuses_to_start_without_safe_settings(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BATTKOMP_SECRET_KEY", "BATTKOMP_ALLOWED_HOSTS", "BATTKOMP_MODE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert message in result.output
    assert "BATTKOMP_MODE" not in os.environ  # nothing was set up


def test_safe_settings_have_no_problems() -> None:
    env = {"BATTKOMP_SECRET_KEY": secrets.token_urlsafe(64), "BATTKOMP_ALLOWED_HOSTS": "a.org"}
    assert production_problems(env) == []


def test_the_deployment_checks_are_clean_in_production(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        BATTKOMP_MODE="production",
        BATTKOMP_SECRET_KEY=secrets.token_urlsafe(64),
        BATTKOMP_ALLOWED_HOSTS="battkomp.example.org",
        DJANGO_SETTINGS_MODULE="battkomp.site.settings",
    )
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "assert not settings.DEBUG and settings.SESSION_COOKIE_SECURE\n"
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_battkomp_manage_runs_djangos_commands(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "battkomp.cli", "manage", "help", "export_bundle"],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--output" in result.stdout
    assert "battkomp manage export_bundle" in result.stdout


def _settings_variables() -> set[str]:
    text = SETTINGS.read_text(encoding="utf-8")
    pattern = r"(?:environ\.get|env_[a-z]+)\(\s*\"([A-Z0-9_]+)\""
    return set(re.findall(pattern, text))


def test_operations_guide_documents_every_environment_variable() -> None:
    variables = _settings_variables()
    assert {"BATTKOMP_SECRET_KEY", "BATTKOMP_ALLOWED_HOSTS", "DATABASE_URL"} <= variables
    documented = set(re.findall(r"`([A-Z0-9_]+)`", OPERATIONS.read_text(encoding="utf-8")))
    assert sorted(variables - documented) == []


@pytest.mark.parametrize(
    "command", ["send_reminders", "export_bundle", "load_demo", "invite", "battkomp serve"]
)
def test_operations_guide_documents_the_commands(command: str) -> None:
    assert f"`{command}" in OPERATIONS.read_text(encoding="utf-8")


def test_the_settings_refuse_the_demo_key_in_production_however_the_site_is_started(
    tmp_path: Path,
) -> None:
    env = clean_env(
        tmp_path,
        BATTKOMP_MODE="production",
        BATTKOMP_ALLOWED_HOSTS="battkomp.example.org",
        DJANGO_SETTINGS_MODULE="battkomp.site.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import battkomp.site.wsgi"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
