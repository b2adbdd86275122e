"""The terminology source (core/terms.py and the engine's code lists, through codes.label): every
code the model and the models use has a name in both languages, the bokmål catalogue uses one
word per concept, the models' choices take their names from the source, and the glossary page
lists it all in both languages."""

from __future__ import annotations

import re
from collections import defaultdict

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.core import terms
from battkomp.core.codes import codes, label
from battkomp.engine.montecarlo import MEASURE_METRICS, METRICS
from battkomp.engine.schema import (
    HORIZON_ORDER,
    MEASURE_STATUSES,
    OFFER_STATUSES,
    STATUSES,
)
from battkomp.measures.models import Horizon, MeasureStatus
from battkomp.offers.grid import AREA_STATUS_LABELS, AREA_STATUSES
from battkomp.offers.models import OfferStatus
from battkomp.organisations.models import FacilityStatusChoice

PO_PATH = "src/battkomp/locale/nb/LC_MESSAGES/django.po"

#: Every code of each kind a page, chart or download can name.
ALL_CODES: dict[str, tuple[str, ...]] = {
    "metric": (*METRICS, *MEASURE_METRICS, "supply", "shortage", "shortage_without_measures"),
    "horizon": HORIZON_ORDER,
    "facility_status": STATUSES,
    "offer_status": OFFER_STATUSES,
    "measure_status": MEASURE_STATUSES,
    "area_status": AREA_STATUSES,
}


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return polib.pofile(str(root / PO_PATH))


def _msgstr(entry: polib.POEntry) -> str:
    return entry.msgstr or " ".join(entry.msgstr_plural.values())


@pytest.mark.parametrize("kind", sorted(ALL_CODES))
def test_every_code_has_a_name_in_both_languages(kind: str) -> None:
    for code in ALL_CODES[kind]:
        nb, en = label(kind, code, "nb"), label(kind, code, "en")
        assert nb not in ("", code), (kind, code)
        assert en not in ("", code), (kind, code)


@pytest.mark.parametrize("kind", ["level", "level_or_evu", "area", "role", "segment", "lever"])
def test_the_engine_lists_name_every_code_in_both_languages(kind: str) -> None:
    for code in codes(kind):
        for lang in ("nb", "en"):
            name = label(kind, code, lang)
            assert name not in ("", code), (kind, code, lang)


def test_a_channel_is_named_from_its_parts_never_by_its_id() -> None:
    nb = label("channel", "rc_general_nkr6", "nb")
    assert nb == "Rekruttering fra utlandet: alle fagområder, Bachelor"
    assert "rc_" not in label("channel", "rc_eea_skilled_nkr4", "en")
    assert label("channel", "not_a_channel", "en") == "not_a_channel"


def test_the_models_choices_take_their_names_from_the_source() -> None:
    with translation.override("nb"):
        assert str(OfferStatus.EXISTS.label) == label("offer_status", "exists")
        assert str(FacilityStatusChoice.FID.label) == label("facility_status", "fid")
        assert str(MeasureStatus.AGREED.label) == label("measure_status", "agreed") == "Avtalt"
        assert str(Horizon.SHORT.label) == label("horizon", "short")
        assert str(AREA_STATUS_LABELS["missing"]) == label("area_status", "missing")
    assert {c for c, _ in FacilityStatusChoice.choices} == set(STATUSES)
    assert {c for c, _ in MeasureStatus.choices} == set(MEASURE_STATUSES)


def test_the_word_check_finds_a_variant() -> None:
    assert terms.word_problems("Openings by level", "Ledige stillinger etter nivå")
    assert terms.word_problems("Supply per year", "Tilbud per år")
    assert not terms.word_problems("Education offers and supply", "Utdanningstilbud og tilgang")
    assert not terms.word_problems("Supply per year", "Tilgang per år")


def test_the_bokmal_catalogue_uses_one_word_per_concept(catalogue: polib.POFile) -> None:
    problems = [
        f"{e.msgid[:60]!r}: {p}"
        for e in catalogue
        if not e.obsolete
        for p in terms.word_problems(f"{e.msgid} {e.msgid_plural or ''}", _msgstr(e))
    ]
    assert not problems, "\n".join(problems)


def test_no_source_file_mixes_du_and_dere(catalogue: polib.POFile) -> None:
    """An organisation is addressed as "dere"; a file whose messages say "du" too mixes them
    on one page (the API's documentation speaks to a developer and is not a page)."""
    du: dict[str, list[str]] = defaultdict(list)
    dere: dict[str, list[str]] = defaultdict(list)
    for e in catalogue:
        text = _msgstr(e)
        for path, _line in e.occurrences:
            if path.endswith("api.py"):
                continue
            if terms.DU.search(text):
                du[path].append(text[:60])
            if terms.DERE.search(text):
                dere[path].append(text[:60])
    mixed = {p: (du[p][:2], dere[p][:2]) for p in set(du) & set(dere)}
    assert not mixed, mixed


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_glossary_lists_every_term_in_the_pages_language(client, db, lang: str) -> None:
    with translation.override(lang):
        path = reverse("glossary")
        home = reverse("home")
    html = client.get(path).content.decode()
    other = "en" if lang == "nb" else "nb"
    for kind, items in ALL_CODES.items():
        for code in items:
            name = label(kind, code, lang)
            assert f">{_escaped(name)}</th>" in html or _escaped(name) in html, (kind, code)
            assert f"<code>{code}</code>" in html
            assert _escaped(label(kind, code, other)) in html  # the name in the other language
    for role in codes("role"):
        assert _escaped(label("role", role, lang)) in html
    # linked from every page's footer
    assert f'href="{path}"' in client.get(home).content.decode()
    section_titles = re.findall(r'<h2 id="[a-z_]+">([^<]+)</h2>', html)
    assert len(section_titles) == len(terms.SECTIONS)


def _escaped(text: str) -> str:
    from django.utils.html import escape

    return escape(text)
