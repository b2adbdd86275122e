"""The old name of the translation tool, kept for a while: it runs ``tools/i18n.py``.

``python -m battkomp.core.i18n_check update|compile|check`` does what
``python tools/i18n.py update|compile|check`` does (``update`` compiles the .mo file too, as this
command always did). The tool is a development script of the source checkout (GNU gettext through
Django's makemessages/compilemessages, and the checks no tool makes); see README, Development.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[3] / "tools" / "i18n.py"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not TOOL.exists():
        print(f"{TOOL} is missing: the translation tool needs a source checkout", file=sys.stderr)
        return 2
    spec = importlib.util.spec_from_file_location("battkomp_i18n_tool", TOOL)
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool
    spec.loader.exec_module(tool)
    print("(python -m battkomp.core.i18n_check is now python tools/i18n.py)", file=sys.stderr)
    status: int = tool.main(args)
    if status == 0 and args[:1] == ["update"]:
        status = tool.main(["compile"])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
