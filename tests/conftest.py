"""Shared set-up for the test suite.

The helpers that write small input bundles live in ``bundlekit.py`` next to this file; the suite
runs with ``--import-mode=importlib``, so the folder is put on ``sys.path`` for the test modules.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
