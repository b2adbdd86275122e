"""The examples in the engine's docstrings run (``pytest`` collects doctests under ``tests/`` only,
so this test runs those of ``src/battkomp/engine`` as part of the suite)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import battkomp.engine

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(battkomp.engine.__path__, "battkomp.engine.")
    if not m.name.endswith("__main__")
)


def test_the_engine_has_docstring_examples() -> None:
    attempted = sum(
        doctest.testmod(importlib.import_module(name), report=False, verbose=False).attempted
        for name in MODULES
    )

    assert attempted >= 10


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_in_the_engine_docstrings_give_what_they_show(name: str) -> None:
    module = importlib.import_module(name)

    outcome = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False
    )

    assert outcome.failed == 0, (
        f"{outcome.failed} failing example(s) in {name}; run pytest {module.__file__}"
    )
