"""The suite runs the docstring examples of every module under ``src/battkomp``.

``pyproject.toml`` gives pytest ``--doctest-modules`` and ``src/battkomp`` as a test path, so each
example is one test item (and runs once: no test calls ``doctest.testmod`` on its own). This test
checks that the configuration says so and that every module with an example is collected.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "battkomp"
_EXAMPLE = re.compile(r"^\s*>>> ", re.MULTILINE)


def modules_with_examples() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__main__.py" and _EXAMPLE.search(path.read_text(encoding="utf-8")):
            found.add(".".join(path.relative_to(ROOT / "src").with_suffix("").parts))
    return found


def test_the_suite_is_configured_to_run_the_docstring_examples() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_config = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_config["addopts"].split()
    assert "src/battkomp" in pytest_config["testpaths"]


def test_every_module_with_docstring_examples_is_collected() -> None:
    wanted = modules_with_examples()
    assert {"battkomp.engine.model", "battkomp.offers.grid", "battkomp.offers.actions"} <= wanted
    command = ["pytest", "--collect-only", "-q", "-n0", "-p", "no:cacheprovider", "src/battkomp"]
    proc = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    items = [line.split("::", 1)[1] for line in proc.stdout.splitlines() if "::" in line]
    missing = {m for m in wanted if not any(i == m or i.startswith(m + ".") for i in items)}
    assert not missing, f"docstring examples not collected: {sorted(missing)}"
