"""Who may see retraining pathways: everyone. An unknown occupation is 404.

The pathways are built from public data only (the engine's default profiles and the registered
education offers, which are public), never from survey answers.
"""

from __future__ import annotations

from django.http import Http404

from battkomp.engine.pathways import Occupation
from battkomp.pathways.service import occupations


def access_occupation(code: object) -> Occupation:
    """The source occupation with this STYRK-08 code, for anyone; 404 if there is none."""
    found = occupations().get(str(code))
    if found is None:
        raise Http404
    return found
