"""A server process loads what Django loads lazily (the URL configuration with the API, every
language's catalogues and reverse tables) when the WSGI application is loaded, before its first
request, and without touching the database (battkomp.site.warm)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CODE = """
import json, sys
from django.db import connections
import battkomp.site.wsgi  # what gunicorn imports in each worker
from django.urls import get_resolver
from django.utils.translation import trans_real
resolver = get_resolver()
print(json.dumps({
    "api_imported": "battkomp.api.api" in sys.modules,
    "urlconf_loaded": "url_patterns" in resolver.__dict__,
    "reverse_tables": sorted(resolver._reverse_dict),
    "catalogues": sorted(trans_real._translations),
    "connection_open": connections["default"].connection is not None,
}))
"""


def test_the_wsgi_application_loads_the_urls_and_languages_before_any_request(
    tmp_path: Path,
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATTKOMP_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env["BATTKOMP_DATA_DIR"] = str(tmp_path / "data")
    env["DJANGO_SETTINGS_MODULE"] = "battkomp.site.settings"
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["api_imported"]
    assert found["urlconf_loaded"]
    assert {"nb", "en"} <= set(found["reverse_tables"])
    assert {"nb", "en"} <= set(found["catalogues"])
    assert not found["connection_open"]
