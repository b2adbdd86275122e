"""The results of a run as tidy polars frames, and their export to XLSX, CSV and Parquet.

>>> import polars as pl
>>> result = ModelResult({"totals": pl.DataFrame({"year": [2030]})}, {"seed": 1})
>>> result["totals"]["year"].to_list(), result.meta_frame().row(0)
([2030], ('seed', '1'))
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

__all__ = ["ModelResult", "export_result"]

Format = Literal["xlsx", "csv", "parquet"]


@dataclass(frozen=True)
class ModelResult:
    """The frames of a run and its metadata (input hash, seed, version, scenario, draws)."""

    frames: Mapping[str, pl.DataFrame]
    meta: Mapping[str, object]

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]

    def meta_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": list(self.meta), "value": [str(v) for v in self.meta.values()]})

    def export(self, path: Path | str, fmt: Format | None = None) -> Path:
        """Write the results atomically: an .xlsx workbook, or a folder of CSV or Parquet files."""
        return export_result(self, Path(path), fmt)


# ------------------------------------------------------------------------------------- export


def _format_of(path: Path, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".parquet":
        return "parquet"
    return "csv"


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Lists become '; '-joined text for CSV and Excel."""
    return df.with_columns(
        [pl.col(c).list.join("; ") for c, dt in df.schema.items() if isinstance(dt, pl.List)]
    )


def current_umask() -> int:
    """The process's umask, read without changing it where Linux tells it (/proc), else set and
    restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def _old_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def recover_output(target: Path) -> None:
    """Put an output folder back in order before writing it again: a run killed between the two
    renames of a folder swap leaves the earlier result as ``.<name>.old`` and no ``<name>``; it
    is renamed back. A ``.<name>.old`` beside a complete ``<name>`` is a leftover and removed, and
    so are the temporary files and folders (``.<name>.<pid>.<random>.tmp``) of runs that are no
    longer alive (those of a live process are left alone: it may be writing them now)."""
    old = _old_name(target)
    if old.exists():
        if target.exists():
            _remove(old)
        else:
            os.rename(old, target)
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[^/]+\.tmp$")
    with suppress(OSError):
        for entry in target.parent.iterdir():
            m = pattern.match(entry.name)
            if m and not _pid_alive(int(m.group(1))):
                _remove(entry)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def _swap_folder(new: Path, target: Path) -> None:
    """Make ``new`` the folder ``target`` so that some complete result is always there: swapped
    atomically where the system can; else ``target`` -> ``.<name>.old``, ``new`` -> ``target``, so
    that a kill between the two renames leaves the earlier result as ``.<name>.old``, which
    :func:`recover_output` renames back on the next run."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        _remove(new)  # now the earlier result
        return
    old = _old_name(target)
    os.rename(target, old)
    os.rename(new, target)
    _remove(old)


def export_result(result: ModelResult, path: Path, fmt: Format | None = None) -> Path:
    """Write atomically: into a temporary sibling first, then rename (or swap) it over ``path``.
    The files get the modes the umask gives new files, like any file the user writes."""
    kind = _format_of(path, fmt)
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = {"meta": result.meta_frame(), **result.frames}
    umask = current_umask()
    if kind == "xlsx":
        recover_output(path)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
        os.close(fd)
        try:
            _write_xlsx(frames, Path(tmp))
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
    folder = path.with_suffix("") if path.suffix.lower() in {".csv", ".parquet"} else path
    recover_output(folder)
    tmpdir = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.{os.getpid()}.", suffix=".tmp", dir=folder.parent)
    )
    try:
        for name, df in frames.items():
            if kind == "csv":
                _flat(df).write_csv(tmpdir / f"{name}.csv")
            else:
                df.write_parquet(tmpdir / f"{name}.parquet")
        for f in tmpdir.iterdir():
            os.chmod(f, 0o666 & ~umask)
        os.chmod(tmpdir, 0o777 & ~umask)
        _swap_folder(tmpdir, folder)
    finally:
        if tmpdir.exists():
            shutil.rmtree(tmpdir)
    return folder


def _write_xlsx(frames: Mapping[str, pl.DataFrame], path: Path) -> None:
    """One sheet per frame (polars' ``write_excel``): a bold header, numbers as numbers, a
    filter and frozen header row. Text stays text: the workbook never turns a string into a
    formula or a link."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True},
    )
    try:
        for name, df in frames.items():
            flat = _flat(df)
            flat.write_excel(
                wb,
                worksheet=name[:31],
                header_format={"bold": True},
                float_precision=1,
                column_widths={c: max(10, min(40, len(c) + 2)) * 7 for c in flat.columns},
                autofilter=flat.height > 0,
                freeze_panes=(1, 0),
            )
    finally:
        wb.close()
