"""The README's promises hold: two quick-start lines, the CI runs the second, commands exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from battkomp.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_lines() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.strip().splitlines() if line.strip()]


def test_quick_start_has_exactly_two_command_lines() -> None:
    lines = _quick_start_lines()
    assert len(lines) == 2
    assert lines[0].endswith("battkomp demo")
    assert lines[1].endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_line = _quick_start_lines()[1].replace(" -q ", " ")
    assert any(line.strip().replace(" -q ", " ") == test_line for line in ci.splitlines()), (
        "the README's test command must appear in .ci/run"
    )


def test_every_command_the_readme_shows_exists() -> None:
    runner = CliRunner()
    blocks = "\n".join(part.split("```", 1)[0] for part in README.split("```sh")[1:])
    commands = set(re.findall(r"^battkomp ([a-z]+(?: [a-z]+)?)", blocks, flags=re.MULTILINE))
    assert commands, "the README shows commands"
    for command in sorted(commands):
        words = shlex.split(command)
        if words[0] == "manage":
            words = ["manage", "--help"]
        elif words[0] == "model":
            words = [*words, "--help"]
        else:
            words = [words[0], "--help"]
        result = runner.invoke(main, words)
        assert result.exit_code == 0, f"battkomp {command}: {result.output}"
