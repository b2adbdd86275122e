"""The model: a pure function of an input bundle, a scenario and a seed. Never imports Django.

Its entry point is :func:`run_model` (module ``battkomp.engine.run_model``); the result is a
:class:`~battkomp.engine.results.ModelResult`.
"""

from battkomp.engine.results import ModelResult
from battkomp.engine.run_model import run_model

__all__ = ["ModelResult", "run_model"]
