"""The ``battkomp`` command.

``battkomp model run`` runs the model on a bundle (the demo bundle by default), prints the national
gap table and writes the full results; ``battkomp model check`` lists every problem of a bundle;
``battkomp model template`` writes an empty bundle to fill in. Bad input exits with code 2 and one
message per problem, in bokmål or English (``--lang``, or the ``LANG`` environment variable).

The web platform: ``battkomp demo`` prepares a demo database and serves it on 127.0.0.1,
``battkomp serve`` serves a real deployment, ``battkomp manage ...`` runs Django's management
commands (docs/operations.md).
"""

from __future__ import annotations

import functools
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import click
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from battkomp import __version__
from battkomp.engine.numbers import NB_THOUSANDS
from battkomp.engine.problems import BundleError, Lang, resolve_lang

EXIT_BAD_INPUT = 2

_T: dict[str, tuple[str, str]] = {
    # key: (English, bokmål)
    "title": (
        "National competence gap — {scenario}, {draws} draws, seed {seed}",
        "Nasjonalt kompetansegap — {scenario}, {draws} trekninger, frø {seed}",
    ),
    "year": ("Year", "År"),
    "headcount": ("Jobs", "Sysselsatte"),
    "openings": ("Openings", "Behov for nye"),
    "supply": ("Supply", "Tilbud"),
    "gap": ("Net gap", "Netto gap"),
    "shortage": ("Shortage, median (P10–P90)", "Mangel, median (P10–P90)"),
    "cumulative": ("Unfilled, cumulative", "Udekket, akkumulert"),
    "centres": (
        "Shortage: median of the draws with its P10–P90 band. The other columns are means of the "
        "draws, which add up.",
        "Mangel: medianen av trekningene med P10–P90-båndet. De andre kolonnene er gjennomsnitt "
        "av trekningene, som summerer seg.",
    ),
    "drivers": (
        "What drives the shortage (S₁: share of its variance; Δ: effect in persons over the years)",
        "Hva driver mangelen (S₁: andel av variansen; Δ: virkning i personer over årene)",
    ),
    "views": (
        "Shortage summed over the years, by what is built",
        "Mangel summert over perioden, etter hva som bygges",
    ),
    "driver": ("Driver", "Driver"),
    "code": ("Code", "Kode"),
    "view": ("View", "Utsnitt"),
    "probability": ("Probability", "Sannsynlighet"),
    "median_band": ("Median (P10–P90)", "Median (P10–P90)"),
    "mean": ("Mean", "Gjennomsnitt"),
    "effect": ("Effect on the mean", "Effekt på gjennomsnittet"),
    "view_all": ("All draws", "Alle trekninger"),
    "view_firm": ("Firm base only", "Bare det sikre grunnlaget"),
    "view_with": ("With {facility}", "Med {facility}"),
    "exceeds": (
        "Probability that the shortage over the years exceeds: {values}",
        "Sannsynlighet for at mangelen over perioden er over: {values}",
    ),
    "squeeze": (
        "Time squeeze: expected shortage by the horizon that must carry it",
        "Batteritidsklemma: forventet mangel etter horisonten som må bære den",
    ),
    "short": ("Short term (recruit abroad)", "Kort sikt (rekruttere fra utlandet)"),
    "medium": ("Medium term (retrain)", "Mellomlang sikt (videreutdanne)"),
    "long": ("Long term (educate)", "Lang sikt (utdanne)"),
    "none": ("No lever in time", "Ingen tiltak rekker det"),
    "written": ("Results written to {path}", "Resultatene er skrevet til {path}"),
    "hash": ("Input hash {hash}, battkomp {version}", "Inndata-hash {hash}, battkomp {version}"),
    "synthetic": (
        "Note: the bundle contains synthetic (fictional) survey answers.",
        "Merk: pakken inneholder syntetiske (oppdiktede) svar.",
    ),
    "problems": ("{n} problem(s) found:", "{n} problem(er) funnet:"),
    "clean": (
        "No problems found in {path} (checked {n} scenario(s) and the base).",
        "Ingen problemer funnet i {path} (sjekket {n} scenario(er) og grunnlaget).",
    ),
    "template": ("Empty bundle written to {path}", "Tom inndatapakke skrevet til {path}"),
    "progress": ("Monte Carlo draws", "Monte Carlo-trekninger"),
    "cannot_write": ("cannot write {path}: {reason}", "kan ikke skrive {path}: {reason}"),
    "both": (
        "use --scenario or --weighted, not both",
        "bruk --scenario eller --weighted, ikke begge",
    ),
    "bt_title": (
        "Backtest: {vintage} ({announced} GWh of cells announced), {draws} draws, seed {seed}",
        "Tilbaketest: {vintage} ({announced} GWh celler annonsert), {draws} trekninger, frø {seed}",
    ),
    "bt_what": ("Facility or segment", "Anlegg eller segment"),
    "bt_measure": ("Measure", "Mål"),
    "bt_outcome": ("Outcome", "Utfall"),
    "bt_band": ("Forecast P50 (P10–P90)", "Prognose P50 (P10–P90)"),
    "bt_rank": ("Draws ≤ outcome", "Trekninger ≤ utfall"),
    "bt_inside": ("In band", "I båndet"),
    "bt_yes": ("yes", "ja"),
    "bt_no": ("NO", "NEI"),
    "bt_capacity": ("capacity (GWh)", "kapasitet (GWh)"),
    "bt_staff": ("staff", "ansatte"),
    "bt_summary": (
        "{year}: {inside} of {n} outcomes inside the P10–P90 band (an honest 80 % band holds "
        "about 8 in 10).",
        "{year}: {inside} av {n} utfall innenfor P10–P90-båndet (et ærlig 80 %-bånd treffer "
        "omtrent 8 av 10).",
    ),
}


def _t(lang: Lang, key: str, **kw: object) -> str:
    en, nb = _T[key]
    return (nb if lang == "nb" else en).format(**kw)


def _lang(value: str | None) -> Lang:
    return resolve_lang(value or os.environ.get("BATTKOMP_LANG") or os.environ.get("LANG"))


def _fmt(x: float | None, lang: Lang) -> str:
    if x is None:
        return "–"
    text = f"{x:,.0f}"
    return text.replace(",", NB_THOUSANDS) if lang == "nb" else text


def _pct(share: float, lang: Lang) -> str:
    text = f"{100 * share:.1f}\u00a0%"
    return text.replace(".", ",") if lang == "nb" else text


def _share(x: float, lang: Lang) -> str:
    """A share of the variance to two decimals, with the decimal comma in bokmål."""
    text = f"{x:.2f}"
    return text.replace(".", ",") if lang == "nb" else text


def _print_problems(err: BundleError, lang: Lang) -> None:
    # plain echo, not rich: messages must never be wrapped or cut, whatever the terminal width
    click.secho(_t(lang, "problems", n=len(err.problems)), err=True, fg="red", bold=True)
    for message in err.messages(lang):
        click.echo(f"  • {message}", err=True)


@click.group()
@click.version_option(__version__, prog_name="battkomp")
def main() -> None:
    """battkomp: competence needs and skills gaps of the battery value chain."""


@main.group()
def model() -> None:
    """Run, check and template the gap model's input bundles."""


_lang_option = click.option(
    "--lang",
    type=click.Choice(["nb", "en"]),
    default=None,
    help="Language of messages and tables (default: from LANG; bokmål for nb/no).",
)


@model.command("run")
@click.option(
    "--bundle",
    "bundle",
    type=click.Path(path_type=Path),
    default=None,
    help="Input bundle: a folder of CSV files or an .xlsx workbook (default: demo).",
)
@click.option("--scenario", default=None, help="Run one named scenario of the bundle.")
@click.option("--weighted", is_flag=True, help="Run all scenarios, draws in proportion to weight.")
@click.option("--draws", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("battkomp-results.xlsx"),
    show_default=True,
    help="Results file (.xlsx) or folder (CSV or Parquet files).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "parquet"]),
    default=None,
    help="Output format (default: from the output's suffix; a folder gets CSV).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes to spread the draws over; results are identical for any number.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads for the draws (without --workers) and the statistics "
    "(default: the cores, at most 4); results are identical for any number.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print no table and no progress bar.")
@_lang_option
def run_cmd(
    bundle: Path | None,
    scenario: str | None,
    weighted: bool,
    draws: int,
    seed: int,
    output: Path,
    fmt: str | None,
    workers: int,
    threads: int | None,
    quiet: bool,
    lang: str | None,
) -> None:
    """Run the model and write the results (the demo bundle's 'mid' scenario by default)."""
    from battkomp.engine import run_model

    language = _lang(lang)
    if scenario and weighted:
        raise click.UsageError(_t(language, "both"))
    if bundle is None and scenario is None and not weighted:
        scenario = "mid"
    executor: Executor | None = ProcessPoolExecutor(workers) if workers > 1 else None
    err_console = Console(stderr=True)
    show_progress = not quiet and err_console.is_terminal
    run = functools.partial(
        run_model,
        bundle,
        scenario,
        weighted=weighted,
        draws=draws,
        seed=seed,
        executor=executor,
        threads=threads,
    )
    try:
        if show_progress:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task(_t(language, "progress"), total=draws)
                result = run(progress=lambda done, total: bar.update(task, completed=done))
        else:
            result = run()
    except BundleError as err:
        _print_problems(err, language)
        sys.exit(EXIT_BAD_INPUT)
    finally:
        if executor is not None:
            executor.shutdown()
    try:
        written = result.export(output, fmt)  # type: ignore[arg-type]
    except OSError as exc:
        click.echo(_t(language, "cannot_write", path=output, reason=exc.strerror or exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not quiet:
        _print_summary(result, language)
    click.echo(_t(language, "written", path=written))


def _print_views(console: Console, result: object, lang: Lang) -> None:
    """The conditional views beside the mixture: all draws, the firm base and each planned
    facility (probability, median and band, mean, effect), and P(shortage over the years > x)."""
    from battkomp.engine.results import ModelResult

    assert isinstance(result, ModelResult)
    cond = result["conditional"]
    if cond.height:
        vt = Table(title=_t(lang, "views"))
        for key in ("view", "probability", "median_band", "mean", "effect"):
            vt.add_column(_t(lang, key), justify="left" if key == "view" else "right")
        for r in cond.iter_rows(named=True):
            if r["view"] == "all":
                name = _t(lang, "view_all")
            elif r["view"] == "firm_base":
                name = _t(lang, "view_firm")
            else:
                name = _t(lang, "view_with", facility=r["facility_name"] or r["facility"])
            band = (
                f"{_fmt(r['shortage_p50'], lang)} "
                f"({_fmt(r['shortage_p10'], lang)}–{_fmt(r['shortage_p90'], lang)})"
                if r["shortage_p50"] is not None
                else "–"
            )
            vt.add_row(
                name,
                _pct(r["probability"], lang),
                band,
                _fmt(r["shortage_mean"], lang),
                _fmt(r["effect"], lang),
            )
        console.print(vt)
    ex = result["exceedance"].filter(pl.col("year").is_null())
    if ex.height:
        values = ", ".join(
            f"{_fmt(r['threshold'], lang)}: {_pct(r['probability'], lang)}"
            for r in ex.iter_rows(named=True)
        )
        console.print(_t(lang, "exceeds", values=values))


def _facility_names(conditional: pl.DataFrame) -> dict[str, str]:
    """The facilities' names by id, as the run's conditional views name them."""
    if not {"facility", "facility_name"} <= set(conditional.columns):
        return {}
    return {
        str(r["facility"]): str(r["facility_name"])
        for r in conditional.iter_rows(named=True)
        if r["facility"] and r["facility_name"]
    }


def _catalogue() -> None:
    """Make the web platform's gettext catalogue (the terminology source the pages use) readable
    here: outside the platform Django is set up just enough to read it (no database, no apps)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            USE_I18N=True,
            LANGUAGE_CODE="nb",
            LANGUAGES=[("nb", "Norsk bokmål"), ("en", "English")],
            LOCALE_PATHS=[Path(__file__).resolve().parent / "locale"],
            INSTALLED_APPS=[],
        )
    from django.apps import apps

    if not apps.ready:
        django.setup()


def driver_names(codes: list[str], lang: Lang, facilities: dict[str, str]) -> dict[str, str]:
    """The drivers of the uncertainty named in ``lang`` by the terminology source
    (:func:`battkomp.core.terms.driver_name`, the gettext catalogue the pages use): "Labour
    intensity: Cell manufacturing" for ``labour_intensity:cell_manufacturing``."""
    _catalogue()
    from django.utils import translation

    from battkomp.core.terms import driver_name

    with translation.override(lang):
        return {code: driver_name(code, facilities) for code in codes}


def segment_names(codes: list[str], lang: Lang) -> dict[str, str]:
    """Value-chain segments named in ``lang`` by the terminology source."""
    _catalogue()
    from django.utils import translation

    from battkomp.core.codes import label

    with translation.override(lang):
        return {code: str(label("segment", code)) for code in codes}


def _print_summary(result: object, lang: Lang) -> None:
    from battkomp.engine.results import ModelResult

    assert isinstance(result, ModelResult)
    console = Console(highlight=False)
    meta = result.meta
    totals = result["totals"]

    def metric(name: str, col: str = "mean") -> dict[int, float]:
        df = totals.filter(pl.col("metric") == name)
        return dict(zip(df["year"].to_list(), df[col].to_list(), strict=True))

    head, opn, gap = metric("headcount"), metric("openings"), metric("gap")
    sup = metric("supply")  # education + released + retraining + recruitment (+ measures)
    s10, s90 = metric("shortage", "p10"), metric("shortage", "p90")
    s50 = metric("shortage", "p50")  # the centre of a band is its median (decision 31)
    cum = metric("cumulative_gap")
    table = Table(
        title=_t(lang, "title", scenario=meta["scenario"], draws=meta["draws"], seed=meta["seed"]),
        caption=_t(lang, "centres"),
    )
    for key in ("year", "headcount", "openings", "supply", "gap", "shortage", "cumulative"):
        table.add_column(_t(lang, key), justify="right")
    for y in sorted(head):
        table.add_row(
            str(y),
            _fmt(head[y], lang),
            _fmt(opn[y], lang),
            _fmt(sup[y], lang),
            _fmt(gap[y], lang),
            f"{_fmt(s50[y], lang)} ({_fmt(s10[y], lang)}–{_fmt(s90[y], lang)})",
            _fmt(cum[y], lang),
        )
    console.print(table)

    squeeze = result["squeeze_summary"]
    sq = Table(title=_t(lang, "squeeze"))
    sq.add_column(_t(lang, "year"), justify="right")
    horizons = ["short", "medium", "long", "none"]
    for h in horizons:
        sq.add_column(_t(lang, h), justify="right")
    for y in sorted(head):
        row = squeeze.filter(pl.col("year") == y)
        values = dict(zip(row["horizon"].to_list(), row["shortage_mean"].to_list(), strict=True))
        sq.add_row(str(y), *[_fmt(values.get(h), lang) for h in horizons])
    console.print(sq)

    drivers = result["drivers"].head(5)
    if drivers.height:
        names = driver_names(
            [str(d) for d in drivers["driver"]], lang, _facility_names(result["conditional"])
        )
        dt = Table(title=_t(lang, "drivers"))
        dt.add_column("#", justify="right")
        dt.add_column(_t(lang, "driver"))
        dt.add_column("S₁", justify="right")
        dt.add_column("Δ", justify="right")
        dt.add_column(_t(lang, "code"), style="dim")
        for r in drivers.iter_rows(named=True):
            dt.add_row(
                str(r["rank"]),
                names[str(r["driver"])],
                _share(r["first_order"], lang),
                _fmt(r["effect"], lang),
                str(r["driver"]),
            )
        console.print(dt)
    _print_views(console, result, lang)
    console.print(
        _t(lang, "hash", hash=str(meta["input_hash"])[:12], version=meta["battkomp_version"])
    )
    if meta.get("contains_synthetic_data"):
        console.print(_t(lang, "synthetic"), style="yellow")


@model.command("backtest")
@click.option(
    "--vintage",
    type=click.Path(path_type=Path),
    default=None,
    help="Vintage bundle: the pipeline as known at a past date (default: Norway, October 2021).",
)
@click.option(
    "--outcomes",
    type=click.Path(path_type=Path),
    default=None,
    help="Outcomes CSV: year, facility, segment, measure, value, source "
    "(default: Norway 2024-2025).",
)
@click.option("--draws", type=click.IntRange(min=1, max=100_000), default=2000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("battkomp-backtest.csv"),
    show_default=True,
    help="Table of forecast band against outcome (.csv or .xlsx).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print no table.")
@_lang_option
def backtest_cmd(
    vintage: Path | None,
    outcomes: Path | None,
    draws: int,
    seed: int,
    output: Path,
    quiet: bool,
    lang: str | None,
) -> None:
    """Run a past vintage of the pipeline with the shipped status defaults and compare it with
    what happened (docs/model.md §14)."""
    from battkomp.engine.backtest import run_backtest

    language = _lang(lang)
    try:
        result = run_backtest(vintage, outcomes, draws=draws, seed=seed)
    except BundleError as err:
        _print_problems(err, language)
        sys.exit(EXIT_BAD_INPUT)
    table = result.table
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.suffix.lower() == ".xlsx":
            from battkomp.engine.results import ModelResult

            ModelResult(
                {"backtest": table},
                dict(result.meta),
            ).export(output, "xlsx")
        else:
            table.write_csv(output)
    except OSError as exc:
        click.echo(_t(language, "cannot_write", path=output, reason=exc.strerror or exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not quiet:
        meta = result.meta
        console = Console(highlight=False)
        out = Table(
            title=_t(
                language,
                "bt_title",
                vintage=meta["vintage"],
                announced=_fmt(float(meta["announced_cell_capacity"]), language),  # type: ignore[arg-type]
                draws=meta["draws"],
                seed=meta["seed"],
            )
        )
        for key in ("year", "bt_what", "bt_measure", "bt_outcome", "bt_band", "bt_rank"):
            out.add_column(_t(language, key), justify="left" if key == "bt_what" else "right")
        out.add_column(_t(language, "bt_inside"))
        facilities = result.facility_names
        segments = segment_names(sorted({str(s) for s in table["segment"].to_list()}), language)
        for r in table.iter_rows(named=True):
            digits = 1 if r["measure"] == "capacity" else 0
            sep = NB_THOUSANDS if language == "nb" else ","

            def num(x: float, d: int = digits, sep: str = sep) -> str:
                text = f"{x:,.{d}f}".replace(",", sep)
                return text.replace(".", ",") if language == "nb" and d else text

            out.add_row(
                str(r["year"]),
                facilities.get(str(r["facility"]), str(r["facility"]))
                if r["facility"]
                else segments[str(r["segment"])],
                _t(language, f"bt_{r['measure']}"),
                num(r["outcome"]),
                f"{num(r['p50'])} ({num(r['p10'])}–{num(r['p90'])})",
                f"{r['draws_at_or_below']:.0%}",
                _t(language, "bt_yes" if r["inside_band"] else "bt_no"),
                style=None if r["inside_band"] else "yellow",
            )
        console.print(out)
        for year in sorted(set(table["year"].to_list())):
            part = table.filter(pl.col("year") == year)
            click.echo(
                _t(
                    language,
                    "bt_summary",
                    year=year,
                    inside=int(part["inside_band"].sum()),
                    n=part.height,
                )
            )
    click.echo(_t(language, "written", path=output))


@model.command("check")
@click.argument("bundle", type=click.Path(path_type=Path))
@_lang_option
def check_cmd(bundle: Path, lang: str | None) -> None:
    """Validate a bundle and every one of its scenarios; list every problem."""
    from battkomp.engine.bundle import check_bundle, iter_scenarios

    language = _lang(lang)
    problems = check_bundle(bundle)
    if problems:
        _print_problems(BundleError(problems), language)
        sys.exit(EXIT_BAD_INPUT)
    n = len(list(iter_scenarios(bundle)))
    click.echo(_t(language, "clean", path=bundle, n=n))


@model.command("template")
@click.argument("output", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default=None,
    help="xlsx workbook or a folder of CSV files (default: from the suffix).",
)
@_lang_option
def template_cmd(output: Path, fmt: str | None, lang: str | None) -> None:
    """Write an empty input bundle with instructions and code lists."""
    from battkomp.engine.template import write_template

    language = _lang(lang)
    kind = fmt or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
    try:
        written = write_template(output, kind)  # type: ignore[arg-type]
    except OSError as exc:
        click.echo(_t(language, "cannot_write", path=output, reason=exc.strerror or exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(_t(language, "template", path=written))


# ------------------------------------------------------------------------- the web platform


@main.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the SQLite database (default: $BATTKOMP_DATA_DIR, else ./data).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port."
)
@click.option("--no-serve", is_flag=True, help="Prepare the database and the demo, do not serve.")
def demo_cmd(data_dir: Path | None, port: int, no_serve: bool) -> None:
    """Try the platform: a demo database, demo accounts for every role, served on 127.0.0.1."""
    from battkomp.demo import run_demo

    sys.exit(run_demo(data_dir, port, serve=not no_serve))


@main.command("serve")
@click.option(
    "--bind", default="0.0.0.0:8000", show_default=True, help="Address and port to listen on."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="gunicorn worker processes, 4 threads each (default: one per CPU, 2 to 8).",
)
def serve_cmd(bind: str, workers: int | None) -> None:
    """Serve the platform in production (settings from the environment; see docs/operations.md)."""
    from battkomp.site.serving import default_workers, run_serve

    sys.exit(run_serve(bind, workers or default_workers()))


@main.command(
    "manage",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage_cmd(args: tuple[str, ...]) -> None:
    """Django's management commands (migrate, createsuperuser, export_bundle, load_demo, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "battkomp.site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["battkomp manage", *args])


if __name__ == "__main__":
    main()
