"""Problems found in input: where they are and what is wrong, in bokmål or English.

A :class:`Problem` names the place (file, sheet, row, column) and carries a message code with its
parameters, so the same problem reads well in either language and callers (CLI, web) can group them.

>>> p = Problem("blank_required", Location("facilities.csv", row=4, column="capacity"))
>>> p.message("en")
"facilities.csv, row 4, column 'capacity': a value is required"
>>> p.message("nb")
'facilities.csv, rad 4, kolonne «capacity»: verdi mangler'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Lang = Literal["en", "nb"]

_MESSAGES: dict[str, tuple[str, str]] = {
    # code: (English, bokmål)
    "unreadable_file": (
        "the file cannot be read: {reason}",
        "filen kan ikke leses: {reason}",
    ),
    "not_utf8": (
        "the file is not UTF-8 text (first bad byte at position {position})",
        "filen er ikke UTF-8-tekst (første ugyldige byte i posisjon {position})",
    ),
    "not_a_bundle": (
        "not a bundle: give a folder of CSV files or an .xlsx workbook",
        "ikke en pakke med inndata: oppgi en mappe med CSV-filer eller en .xlsx-arbeidsbok",
    ),
    "no_such_path": (
        "no such file or folder",
        "filen eller mappen finnes ikke",
    ),
    "unknown_table": (
        "'{table}' is not a table the model knows (known: {known})",
        "«{table}» er ikke en tabell modellen kjenner (kjente: {known})",
    ),
    "duplicate_table": (
        "the table '{table}' is given twice, here and in {other}: keep one of them",
        "tabellen «{table}» er gitt to ganger, her og i {other}: behold én av dem",
    ),
    "missing_table": (
        "the table '{table}' is required but missing",
        "tabellen «{table}» er påkrevd, men mangler",
    ),
    "empty_file": (
        "the file is empty: a header row is required",
        "filen er tom: en overskriftsrad er påkrevd",
    ),
    "missing_column": (
        "the column '{column}' is missing",
        "kolonnen «{column}» mangler",
    ),
    "unknown_column": (
        "unknown column '{column}' (expected: {expected})",
        "ukjent kolonne «{column}» (forventet: {expected})",
    ),
    "duplicate_column": (
        "the column '{column}' appears twice",
        "kolonnen «{column}» står to ganger",
    ),
    "blank_required": (
        "a value is required",
        "verdi mangler",
    ),
    "not_a_number": (
        "'{value}' is not a number",
        "«{value}» er ikke et tall",
    ),
    "not_an_integer": (
        "'{value}' is not a whole number",
        "«{value}» er ikke et heltall",
    ),
    "not_a_bool": (
        "'{value}' is not true or false",
        "«{value}» er ikke true eller false",
    ),
    "not_a_code": (
        "'{value}' is not a valid code (letters, digits, '_', '-' and '.' only)",
        "«{value}» er ikke en gyldig kode (bare bokstaver, sifre, «_», «-» og «.»)",
    ),
    "not_finite": (
        "'{value}' is not a finite number",
        "«{value}» er ikke et endelig tall",
    ),
    "below_minimum": (
        "{value} is below the minimum {minimum}",
        "{value} er under minimum {minimum}",
    ),
    "above_maximum": (
        "{value} is above the maximum {maximum}",
        "{value} er over maksimum {maximum}",
    ),
    "negative": (
        "{value} is negative; it must be 0 or more",
        "{value} er negativ; verdien må være 0 eller mer",
    ),
    "probability_range": (
        "{value} is not a probability or share between 0 and 1",
        "{value} er ikke en sannsynlighet eller andel mellom 0 og 1",
    ),
    "year_out_of_range": (
        "the year {value} is outside {minimum}–{maximum}",
        "året {value} er utenfor {minimum}–{maximum}",
    ),
    "not_a_choice": (
        "'{value}' is not one of: {choices}",
        "«{value}» er ikke en av: {choices}",
    ),
    "unknown_code": (
        "unknown {table} code '{value}'{hint}",
        "ukjent kode «{value}» i {table}{hint}",
    ),
    "duplicate_key": (
        "duplicate row: {key} already appears in row {first_row}",
        "dobbel rad: {key} står allerede i rad {first_row}",
    ),
    "sum_not_one": (
        "'{value_column}' for {group} sums to {total}, not {target}",
        "«{value_column}» for {group} summerer til {total}, ikke {target}",
    ),
    "sum_above": (
        "'{value_column}' for {group} sums to {total}, more than {target}",
        "«{value_column}» for {group} summerer til {total}, mer enn {target}",
    ),
    "low_mode_high": (
        "low {low}, mode {mode} and high {high} are not in order low ≤ mode ≤ high",
        "lav {low}, modus {mode} og høy {high} står ikke i rekkefølgen lav ≤ modus ≤ høy",
    ),
    "parent_cycle": (
        "the parent '{value}' makes the organisation its own parent (a cycle)",
        "morselskapet «{value}» gjør organisasjonen til sitt eget morselskap (en sirkel)",
    ),
    "capture_mean": (
        "the stated capture share {mode} must be the mean of a triangle on low {low} to "
        "high {high}, so between {least} and {most}",
        "oppgitt fangstandel {mode} må være gjennomsnittet av en trekant fra lav {low} til "
        "høy {high}, altså mellom {least} og {most}",
    ),
    "delay_order": (
        "delays must satisfy delay_min ≤ delay_mode ≤ delay_max ({low}, {mode}, {high})",
        "forsinkelser må oppfylle delay_min ≤ delay_mode ≤ delay_max ({low}, {mode}, {high})",
    ),
    "share_order": (
        "built shares must satisfy share_low ≤ share_mode ≤ share_high ({low}, {mode}, {high})",
        "bygde andeler må oppfylle share_low ≤ share_mode ≤ share_high ({low}, {mode}, {high})",
    ),
    "share_zero": (
        "share_high must be above 0: a facility that builds nothing needs "
        "realisation_probability 0",
        "share_high må være over 0: et anlegg som ikke bygger noe, skal ha "
        "realisation_probability 0",
    ),
    "no_status_default": (
        "no value for {columns} and no default for status '{status}' (segment '{segment}') in "
        "facility_status: give the values or add a default",
        "ingen verdi for {columns} og ingen standardverdi for status «{status}» (segment "
        "«{segment}») i facility_status: oppgi verdiene eller legg til en standardverdi",
    ),
    "ramp_not_monotone": (
        "the ramp share {value} is lower than the year before ({previous})",
        "opptrappingsandelen {value} er lavere enn året før ({previous})",
    ),
    "ramp_gap": (
        "the ramp must list every year from 1 to {last}; year {missing} is missing",
        "opptrappingen må ha hvert år fra 1 til {last}; år {missing} mangler",
    ),
    "group_area": (
        "'{value}' is a group of areas; use one of its areas ({children})",
        "«{value}» er en gruppe fagområder; bruk et av områdene ({children})",
    ),
    "nested_group": (
        "the parent '{value}' has a parent itself; areas have two levels only",
        "overordnet «{value}» har selv en overordnet; fagområder har bare to nivåer",
    ),
    "not_a_true_level": (
        "'{value}' is a pathway, not an education level; use one of {levels}",
        "«{value}» er et løp, ikke et utdanningsnivå; bruk et av {levels}",
    ),
    "target_level_required": (
        "an offer at level '{value}' needs a target_level that is a true level ({levels})",
        "et tilbud på nivå «{value}» trenger et target_level som er et utdanningsnivå ({levels})",
    ),
    "places_or_candidates": (
        "give study_places or candidates (or both)",
        "oppgi study_places eller candidates (eller begge)",
    ),
    "offer_without_areas": (
        "the offer '{value}' has no rows in offer_areas",
        "tilbudet «{value}» har ingen rader i offer_areas",
    ),
    "missing_mix_row": (
        "role_mix has no row for segment '{segment}', phase '{phase}'",
        "role_mix mangler rad for segment «{segment}», fase «{phase}»",
    ),
    "role_without_profile": (
        "the role '{value}' has no rows in role_profile",
        "rollen «{value}» har ingen rader i role_profile",
    ),
    "unknown_parameter": (
        "'{value}' is not a parameter the model knows (known: {known})",
        "«{value}» er ikke en parameter modellen kjenner (kjente: {known})",
    ),
    "missing_parameter": (
        "the parameter '{value}' is missing",
        "parameteren «{value}» mangler",
    ),
    "bad_org_number": (
        "'{value}' is not a valid organisation number (9 digits with a mod-11 check digit)",
        "«{value}» er ikke et gyldig organisasjonsnummer (9 sifre med kontrollsiffer mod 11)",
    ),
    "horizon_order": (
        "end_year {end} must not be before base_year {base}",
        "end_year {end} kan ikke være før base_year {base}",
    ),
    "override_unknown_table": (
        "cannot override table '{value}': no such table (known: {known})",
        "kan ikke overstyre tabellen «{value}»: finnes ikke (kjente: {known})",
    ),
    "override_unknown_column": (
        "cannot override column '{value}' of {table}: no such column, or a key column",
        "kan ikke overstyre kolonnen «{value}» i {table}: finnes ikke, eller er en nøkkelkolonne",
    ),
    "override_unknown_row": (
        "no row with key '{value}' in {table} (key columns: {key_columns})",
        "ingen rad med nøkkel «{value}» i {table} (nøkkelkolonner: {key_columns})",
    ),
    "unknown_scenario": (
        "no scenario named '{value}' (known: {known})",
        "ingen scenario heter «{value}» (kjente: {known})",
    ),
    "no_scenario_weight": (
        "the scenario weights sum to 0; a weighted run needs a positive weight",
        "scenariovektene summerer til 0; en vektet kjøring trenger en positiv vekt",
    ),
    "scenarios_incompatible": (
        "scenario '{value}' changes the years, taxonomy or levers of scenario '{first}'; "
        "a weighted run needs them alike",
        "scenarioet «{value}» endrer årene, taksonomien eller tiltakene i scenarioet «{first}»; "
        "en vektet kjøring krever at de er like",
    ),
    "too_large": (
        "the file is larger than {limit} bytes",
        "filen er større enn {limit} byte",
    ),
    "unknown_commandment": (
        "there is no commandment number {value} in commandments (known: {known})",
        "det finnes ikke noe kompetansebud nummer {value} i commandments (kjente: {known})",
    ),
    "measure_years": (
        "end_year {end} is before start_year {start}",
        "end_year {end} er før start_year {start}",
    ),
    "measure_without_targets": (
        "the measure '{value}' is {status} but has no rows in measure_targets",
        "tiltaket «{value}» har status {status}, men har ingen rader i measure_targets",
    ),
    "unknown_horizon": (
        "'{value}' is not a horizon (known: {known})",
        "«{value}» er ikke en horisont (kjente: {known})",
    ),
    "unknown_file": (
        "not a bundle file: a bundle folder holds only <table>.csv files and .xlsx workbooks "
        "(tables: {known})",
        "ikke en fil i en inndatapakke: mappen kan bare ha <tabell>.csv-filer og "
        ".xlsx-arbeidsbøker (tabeller: {known})",
    ),
    "title_row": (
        "the first non-empty row must be the header, but it holds only '{value}': remove the "
        "title row above the header",
        "den første raden som ikke er tom, må være overskriftsraden, men den har bare «{value}»: "
        "fjern tittelraden over overskriftene",
    ),
    "formula_without_value": (
        "the cell holds a formula without a saved value (the file was saved by a program that "
        "does not calculate formulas): open and save it in Excel or LibreOffice, or type the value",
        "cellen har en formel uten lagret verdi (filen er lagret av et program som ikke regner ut "
        "formler): åpne og lagre den i Excel eller LibreOffice, eller skriv inn verdien",
    ),
    "unknown_classification_code": (
        "'{value}' is not a {classification} code{reason}",
        "«{value}» er ikke en {classification}-kode{reason}",
    ),
    "implausible": (
        "{value} {unit} is above the plausible maximum {maximum} for {table}.{column}: {reason}. "
        "If the value is right, raise the bound with a row in overrides (table bounds, key "
        "{table}|{column}, column maximum)",
        "{value} {unit} er over den sannsynlige øvre grensen {maximum} for {table}.{column}: "
        "{reason}. Er verdien riktig, hev grensen med en rad i overrides (tabell bounds, nøkkel "
        "{table}|{column}, kolonne maximum)",
    ),
    "bound_not_bounded": (
        "'{value}' has no plausible bound to set (bounded columns: {known})",
        "«{value}» har ingen sannsynlig grense som kan settes (kolonner med grense: {known})",
    ),
    "bound_above_limit": (
        "the bound {value} for {column} is above the column's hard limit {limit}",
        "grensen {value} for {column} er over kolonnens absolutte grense {limit}",
    ),
    "missing_bound": (
        "bounds has no row for {value}",
        "bounds mangler rad for {value}",
    ),
    "parameter_range": (
        "{value} is outside the range {minimum}–{maximum} of the parameter '{name}'",
        "{value} er utenfor området {minimum}–{maximum} for parameteren «{name}»",
    ),
    "pool_without_paths": (
        "the pool '{value}' has no rows in retraining_paths and its occupation '{occupation}' has "
        "no competence profile in source_occupations, so no one in it could be retrained: add its "
        "retraining_paths rows or use one of {known}",
        "poolen «{value}» har ingen rader i retraining_paths, og yrket «{occupation}» har ingen "
        "kompetanseprofil i source_occupations, så ingen i den kan omskoleres: legg til rader i "
        "retraining_paths eller bruk et av {known}",
    ),
    "too_many_problems": (
        "more than {limit} problems in this table: the rest of it is not checked",
        "mer enn {limit} problemer i denne tabellen: resten av den er ikke sjekket",
    ),
    "too_many_draws": (
        "{value} draws is more than the model accepts ({maximum}, the platform's limit too)",
        "{value} trekninger er flere enn modellen tar imot ({maximum}, som også er plattformens "
        "grense)",
    ),
    "too_much_memory": (
        "{value} draws would need about {needed} GB of memory and this machine has about "
        "{available} GB available: use at most {fits} draws",
        "{value} trekninger ville trenge om lag {needed} GB minne, og maskinen har om lag "
        "{available} GB ledig: bruk høyst {fits} trekninger",
    ),
    "unknown_placeholder": (
        "unknown placeholder '{{{value}}}' in the text (known: {known})",
        "ukjent plassholder «{{{value}}}» i teksten (kjente: {known})",
    ),
}

#: Fixed phrases inside messages (reasons a file cannot be read, the "did you mean" hint), so a
#: bokmål message carries no English: (English, bokmål).
_PHRASES: dict[str, tuple[str, str]] = {
    "binary": ("binary data (NUL bytes)", "binære data (NUL-byte)"),
    "not_zip": (
        "not an .xlsx workbook (not a zip archive)",
        "ikke en .xlsx-arbeidsbok (ikke et zip-arkiv)",
    ),
    "no_workbook": (
        "not an .xlsx workbook (no workbook)",
        "ikke en .xlsx-arbeidsbok (arbeidsboken mangler)",
    ),
    "too_much_data": (
        "the workbook unpacks to too much data",
        "arbeidsboken pakkes ut til for mye data",
    ),
    "did_you_mean": (" (did you mean {0}?)", " (mente du {0}?)"),
    "styrk08_hint": (
        " (an occupation is coded with a four-digit STYRK-08 unit group, e.g. 8131; the list is "
        "in battkomp/engine/data/classifications/styrk08.csv)",
        " (et yrke kodes med en firesifret STYRK-08-yrkesgruppe, f.eks. 8131; listen står i "
        "battkomp/engine/data/classifications/styrk08.csv)",
    ),
    "nus2000_hint": (
        " (the first digit of a NUS2000 code, 0–9)",
        " (første siffer i en NUS2000-kode, 0–9)",
    ),
}


def phrase(code: str, lang: Lang = "en") -> str:
    """A fixed phrase in English or bokmål.

    >>> phrase("binary", "nb")
    'binære data (NUL-byte)'
    """
    en, nb = _PHRASES[code]
    return nb if lang == "nb" else en


def did_you_mean(candidates: tuple[str, ...], lang: Lang = "en") -> str:
    """The hint after an unknown code, or '' without candidates.

    >>> did_you_mean(("nkr4",), "nb")
    ' (mente du «nkr4»?)'
    """
    if not candidates:
        return ""
    quote = "«{0}»" if lang == "nb" else "'{0}'"
    return phrase("did_you_mean", lang).format(" / ".join(quote.format(c) for c in candidates))


_WHERE = {
    "en": {"sheet": "sheet '{0}'", "row": "row {0}", "column": "column '{0}'"},
    "nb": {"sheet": "ark «{0}»", "row": "rad {0}", "column": "kolonne «{0}»"},
}


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, and optionally a sheet, a row (1 = header row) and a column."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def describe(self, lang: Lang = "en") -> str:
        words = _WHERE[lang]
        parts = [self.file]
        if self.sheet is not None:
            parts.append(words["sheet"].format(self.sheet))
        if self.row is not None:
            parts.append(words["row"].format(self.row))
        if self.column is not None:
            parts.append(words["column"].format(self.column))
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One problem in the input."""

    code: str
    location: Location
    params: Mapping[str, object] = field(default_factory=dict)

    def message(self, lang: Lang = "en") -> str:
        en, nb = _MESSAGES[self.code]
        params = dict(self.params)
        # parameters that are phrases themselves are rendered in the message's language
        if "reason_code" in params:
            params["reason"] = phrase(str(params["reason_code"]), lang)
        for key in [k for k in params if k.endswith("_en")]:
            # a text given in both languages (e.g. reason_en, reason_nb) becomes one parameter
            base = key[: -len("_en")]
            params[base] = params.get(f"{base}_nb", params[key]) if lang == "nb" else params[key]
        if "did_you_mean" in params:
            params["hint"] = did_you_mean(tuple(params["did_you_mean"]), lang)  # type: ignore[arg-type]
        text = (nb if lang == "nb" else en).format(**params)
        return f"{self.location.describe(lang)}: {text}"

    def __str__(self) -> str:
        return self.message("en")


class BundleError(ValueError):
    """Raised when input has problems; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0].message("en") if problems else "no problems"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)

    def messages(self, lang: Lang = "en") -> list[str]:
        return [p.message(lang) for p in self.problems]


def message_codes() -> tuple[str, ...]:
    """All message codes (used by the test that every code has both languages)."""
    return tuple(_MESSAGES)


def resolve_lang(value: str | None) -> Lang:
    """Pick bokmål for ``nb``, ``no``, ``nn`` and locales like ``nb_NO.UTF-8``; else English.

    >>> resolve_lang("nb_NO.UTF-8"), resolve_lang("en_GB"), resolve_lang(None)
    ('nb', 'en', 'en')
    """
    if value and value.lower()[:2] in {"nb", "no", "nn"}:
        return "nb"
    return "en"
