"""The habits of the house, checked on the source (Zulip-style lint tests).

- Pages, dashboards and API modules only read: every write to the database is a ``do_*`` function
  in an app's ``actions.py`` (and the access log is written there too, by ``log_access``).
- The apps of ``battkomp`` import each other without a cycle, so each can be read (and moved)
  after the ones it builds on.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "battkomp"

# --- no ORM writes where pages, dashboards and the API read ------------------------------------

#: Queryset and manager methods that write.
QUERYSET_WRITES = frozenset(
    {
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)
#: What a query chain is made of before a write method (``X.objects.filter(...).update()``).
QUERY_PARTS = frozenset(
    {
        "objects",
        "filter",
        "exclude",
        "all",
        "select_related",
        "prefetch_related",
        "select_for_update",
    }
)
#: Modules that hold no reader code even inside a reader folder.
NOT_READERS = frozenset({"actions.py", "access.py", "models.py", "apps.py", "admin.py"})


def is_reader(rel: Path) -> bool:
    """Views, dashboards and API modules (``rel`` is relative to ``src/battkomp``)."""
    parts = rel.parts
    if "migrations" in parts or rel.name in NOT_READERS:
        return False
    return (
        rel.name in ("views.py", "api.py")
        or "views" in parts[:-1]
        or "dashboards" in parts[:-1]
        or parts[0] == "api"
    )


def _chain(node: ast.expr) -> list[str]:
    """The attribute and call names of an expression, outermost last: ``a.b(c).d`` -> a, b, d."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def orm_writes(source: str) -> list[tuple[int, str]]:
    """(line, code) of every database write in a module: ``.save()``, a write through a manager
    or queryset (``Model.objects...create/update/delete/bulk_*/*_or_create``) and an instance's
    ``.delete()``. Calling an action (a ``do_*`` function, ``log_access``) is how a page writes."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if not isinstance(func, ast.Attribute):
            continue
        chain = _chain(func)
        method = func.attr
        route = bool(node.args) and isinstance(node.args[0], ast.Constant)  # router.delete("/x")
        if (
            method == "save"
            or (
                method in QUERYSET_WRITES
                and (QUERY_PARTS & set(chain[:-1]) or any(c.endswith("_set") for c in chain[:-1]))
            )
            or (method == "delete" and not node.args and not node.keywords and not route)
        ):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def reader_modules() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if is_reader(p.relative_to(PACKAGE)) and "engine" not in p.relative_to(PACKAGE).parts
    ]


def test_the_checker_finds_the_writes_it_should() -> None:
    source = (
        "def view(request, offer, form, router, context):\n"
        "    Offer.objects.create(name='x')\n"
        "    Offer.objects.filter(pk=1).update(name='y')\n"
        "    offer.save()\n"
        "    offer.areas_set.all().delete()\n"
        "    form.save()\n"
        "    offer.delete()\n"
        "    log_access(request.user, 'read', offer)  # an action: fine\n"
        "    context.update({'a': 1})\n"
        "    router.delete('/offers/{id}')\n"
        "    Offer.objects.filter(pk=1).exists()\n"
    )
    assert [line for line, _code in orm_writes(source)] == [2, 3, 4, 5, 6, 7]


def test_the_checker_knows_the_readers() -> None:
    readers = {str(p.relative_to(PACKAGE)) for p in reader_modules()}
    assert "api/api.py" in readers
    assert "offers/views.py" in readers
    assert any(r.startswith("analysis/dashboards/") for r in readers)
    assert not any(r.endswith(("actions.py", "access.py")) for r in readers)
    assert len(readers) > 15


@pytest.mark.parametrize("path", reader_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pages_dashboards_and_the_api_never_write_to_the_database(path: Path) -> None:
    writes = orm_writes(path.read_text(encoding="utf-8"))
    assert not writes, (
        f"{path.relative_to(PACKAGE)} writes to the database; move the write into a do_* "
        "function of the app's actions.py:\n" + "\n".join(f"  line {n}: {c}" for n, c in writes)
    )


def test_the_access_log_is_written_by_an_action() -> None:
    from battkomp.accounts import access, actions

    assert callable(actions.log_access)
    assert not hasattr(access, "log_access")


# --- no import cycle between the apps ------------------------------------------------------------

#: Modules that put the apps together rather than being part of one: they may import any app.
COMPOSITION_ROOTS = ("battkomp.site", "battkomp.cli", "battkomp.demo", "battkomp.api.api")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _room(module: str) -> str:
    return module.split(".")[1]


def import_graph() -> dict[tuple[str, str], list[str]]:
    """(app, app it imports) -> the modules whose imports make the edge. Every import counts,
    at the top of a module or inside a function. Management commands and the composition roots
    are entry points, not part of an app's code, and are left out."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if (
            "migrations" in path.parts
            or "management" in path.parts
            or module.count(".") < 1
            or any(module == r or module.startswith(r + ".") for r in COMPOSITION_ROOTS)
        ):
            continue
        here = _room(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            else:
                continue
            for target in targets:
                if target.startswith("battkomp.") and target.count(".") >= 1:
                    there = _room(target)
                    if there != here and module not in edges[(here, there)]:
                        edges[(here, there)].append(module)
    return dict(edges)


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one app (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {("a", "b"): ["m"], ("b", "c"): ["m"], ("c", "a"): ["m"], ("c", "d"): ["m"]}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({("a", "b"): ["m"]}) == []


def test_the_apps_import_each_other_without_a_cycle() -> None:
    edges = import_graph()
    assert ("survey", "accounts") in edges  # the graph sees the imports
    found = cycles(edges)
    detail = "\n".join(
        f"  {a} -> {b}: {', '.join(edges[(a, b)][:3])}"
        for group in found
        for a in group
        for b in group
        if (a, b) in edges
    )
    assert not found, (
        f"import cycles between apps: {found}\n{detail}\nMove the shared piece to the room "
        "below both (core/ for what every app shares, e.g. core/users.py, core/published.py)."
    )


def test_the_engine_imports_no_app() -> None:
    edges = import_graph()
    assert not [b for a, b in edges if a == "engine"]
