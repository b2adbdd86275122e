"""Bokmål pages group thousands with a thin space that does not break, U+202F NARROW NO-BREAK
SPACE (``12 345``), as the site's own number formatter does (battkomp.engine.numbers); Django's
bokmål uses a full-width no-break space. Everything else stays Django's bokmål format."""

from battkomp.engine.numbers import NB_THOUSANDS

THOUSAND_SEPARATOR = NB_THOUSANDS
