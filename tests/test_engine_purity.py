"""The engine is a pure function of its inputs: nothing under battkomp.engine imports Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import battkomp.engine

ENGINE_DIR = Path(battkomp.engine.__file__).resolve().parent


def _imported_modules(source: str) -> list[str]:
    """Every module an ``import`` or ``from … import`` statement names, at any depth."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _is_django(module: str) -> bool:
    return module == "django" or module.startswith("django.")


def test_the_import_scanner_sees_django_imports_anywhere_in_a_file() -> None:
    source = (
        "import os\n"
        "def later():\n"
        "    from django.db import models\n"
        "    import django\n"
        "try:\n"
        "    import django.conf as conf\n"
        "except ImportError:\n"
        "    pass\n"
    )

    found = [m for m in _imported_modules(source) if _is_django(m)]

    assert found == ["django.db", "django", "django.conf"]
    assert not _is_django("djangoish")


def test_no_engine_source_file_imports_django() -> None:
    files = sorted(ENGINE_DIR.rglob("*.py"))
    assert len(files) >= 8  # the scan really reads the engine

    offenders = {}
    for f in files:
        django = [m for m in _imported_modules(f.read_text("utf-8")) if _is_django(m)]
        if django:
            offenders[str(f.relative_to(ENGINE_DIR))] = django

    assert offenders == {}


def test_importing_every_engine_module_leaves_django_unloaded() -> None:
    script = (
        "import importlib, pkgutil, sys\n"
        "import battkomp.engine as engine\n"
        "names = [m.name for m in pkgutil.walk_packages(engine.__path__, 'battkomp.engine.')]\n"
        "for name in names:\n"
        "    if not name.endswith('.__main__'):\n"
        "        importlib.import_module(name)\n"
        "print(len(names))\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )

    count, loaded = done.stdout.strip().splitlines()
    assert int(count) >= 8
    assert loaded == "[]"
