"""Security headers and settings: a strict Content-Security-Policy on every response, flags on
every cookie (the language cookie too), and settings that refuse values they do not understand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from battkomp.site.env import env_bool, env_choice, env_float, env_int, env_list
from battkomp.site.security import style_hashes

PASSWORD = "correct-horse-battery-staple"


def _policy(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: ([*p.split(" ", 1), ""])[1] for p in parts}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/en/", 200),
        ("/accounts/login/", 200),
        ("/admin/login/", 200),
        ("/api/openapi.json", 200),
        ("/published/", 200),
        ("/no-such-page/", 404),
    ],
)
@pytest.mark.django_db
def test_every_response_has_a_strict_policy(path: str, status: int) -> None:
    response = Client().get(path)
    assert response.status_code == status
    policy = _policy(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'none'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_inline_style_is_allowed_only_by_its_hash() -> None:
    html = "<html><head><style>body { color: red; }</style></head></html>"
    [digest] = style_hashes(html)
    assert digest.startswith("'sha256-")
    assert digest.endswith("='")
    assert style_hashes(html.replace("red", "blue")) != [digest]
    assert style_hashes("<p>no style</p>") == []


@pytest.mark.django_db
def test_login_sets_the_language_cookie_with_samesite_and_httponly() -> None:
    from battkomp.accounts.actions import do_create_user
    from battkomp.core.users import Role

    do_create_user("analyst@example.test", PASSWORD, Role.ANALYST, language="en")
    response = Client().post(
        "/accounts/login/", {"email": "analyst@example.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    for name in ("django_language", "sessionid"):
        cookie = response.cookies[name]
        assert cookie["samesite"] == "Lax", name
        assert cookie["httponly"], name


def _settings_in_subprocess(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATTKOMP_", "DJANGO_")) and k != "DATABASE_URL"
    }
    clean.update(BATTKOMP_DATA_DIR=str(tmp_path / "data"), **env)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='battkomp.site.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_USE_TLS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.LANGUAGE_COOKIE_SECURE, s.EMAIL_TIMEOUT)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean, timeout=60
    )


@pytest.mark.parametrize(("value", "expected"), [("true", "True"), ("1", "True"), ("no", "False")])
def test_the_tls_setting_understands_the_usual_words(
    tmp_path: Path, value: str, expected: str
) -> None:
    result = _settings_in_subprocess(tmp_path, BATTKOMP_EMAIL_USE_TLS=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == expected


def test_an_unknown_boolean_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    result = _settings_in_subprocess(tmp_path, BATTKOMP_EMAIL_USE_TLS="ture")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "BATTKOMP_EMAIL_USE_TLS='ture'" in result.stderr


def test_production_marks_every_cookie_secure(tmp_path: Path) -> None:
    result = _settings_in_subprocess(
        tmp_path,
        BATTKOMP_MODE="production",
        BATTKOMP_SECRET_KEY="x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
    )
    assert result.returncode == 0, result.stderr
    _tls, session, csrf, language, timeout = result.stdout.split()
    assert (session, csrf, language) == ("True", "True", "True")
    assert float(timeout) > 0


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on", "On"])
def test_env_bool_true(value: str) -> None:
    assert env_bool("X", False, env={"X": value}) is True


@pytest.mark.parametrize("value", ["false", "0", "no", "OFF"])
def test_env_bool_false(value: str) -> None:
    assert env_bool("X", True, env={"X": value}) is False


@pytest.mark.parametrize("value", ["2", "y", "enable", "tru e", "-1"])
def test_env_bool_refuses_anything_else(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="X="):
        env_bool("X", False, env={"X": value})


def test_env_bool_default_when_unset_or_empty() -> None:
    assert env_bool("X", True, env={}) is True
    assert env_bool("X", False, env={"X": " "}) is False


def test_env_int_and_float_bounds() -> None:
    assert env_int("N", 3, env={"N": "7"}) == 7
    with pytest.raises(ImproperlyConfigured, match="N='seven' is not a whole number"):
        env_int("N", 3, env={"N": "seven"})
    with pytest.raises(ImproperlyConfigured, match="N=0 is below"):
        env_int("N", 3, minimum=1, env={"N": "0"})
    with pytest.raises(ImproperlyConfigured, match="N=70000 is above"):
        env_int("N", 3, maximum=65535, env={"N": "70000"})
    assert env_float("T", 1.0, env={"T": "2.5"}) == 2.5
    with pytest.raises(ImproperlyConfigured, match="T='nan'"):
        env_float("T", 1.0, env={"T": "nan"})


def test_env_choice_and_list() -> None:
    assert env_choice("M", "a", ("a", "b"), env={"M": "b"}) == "b"
    with pytest.raises(ImproperlyConfigured, match="M='c' is not one of a, b"):
        env_choice("M", "a", ("a", "b"), env={"M": "c"})
    assert env_list("L", env={"L": " x, ,y "}) == ["x", "y"]


@pytest.mark.django_db
def test_every_cookie_the_site_sets_is_samesite_and_httponly() -> None:
    """Issue 11: the language cookie had no flags. Walk through what sets cookies (the CSRF
    token, a failed and a good login, the session, a message, the language switch, logout) and
    check every ``Set-Cookie``; in production they are also Secure (see the test above)."""
    from battkomp.accounts.actions import do_create_user
    from battkomp.core.users import Role

    do_create_user("analyst@example.test", PASSWORD, Role.ANALYST, language="en")
    client = Client(enforce_csrf_checks=False)
    responses = [
        client.get("/accounts/login/"),
        client.post("/accounts/login/", {"email": "analyst@example.test", "password": "wrong"}),
        client.post("/accounts/login/", {"email": "analyst@example.test", "password": PASSWORD}),
        client.post("/i18n/setlang/", {"language": "nb", "next": "/"}),
        client.post("/en/accounts/logout/", follow=True),
    ]
    seen: set[str] = set()
    for response in responses:
        for name, cookie in response.cookies.items():
            seen.add(name)
            assert cookie["samesite"] == "Lax", (name, cookie.OutputString())
            if cookie.value == "" and cookie["max-age"] == 0:
                continue  # a deletion (Django's, of the messages cookie): no value to protect
            assert cookie["httponly"], (name, cookie.OutputString())
    assert {"csrftoken", "sessionid", "django_language"} <= seen, seen
