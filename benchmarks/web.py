"""Load benchmark of the platform: requests per second and latency under concurrent clients.

Prepares the demo in a data folder of its own (``battkomp demo --no-serve``: the demo data and a
published snapshot), adds ``--respondents`` company respondents invited to the demo round with a
logged-in session each, starts gunicorn on a free port on 127.0.0.1 (the loopback only) and
sends, for each case, a fixed number of requests (``--requests``) over ``--connections`` kept-alive
connections, stopping a case after ``--seconds`` at the latest. It prints requests/s and the
p50/p95/p99 latency of

- ``static``: a static file served by the same server (WhiteNoise): the floor;
- ``home``: the home page;
- ``dashboard``: the published dashboard, and ``dashboard-filtered`` with a level and years;
- ``download``: a published table as CSV;
- ``openapi``: ``/api/openapi.json``;
- ``save``: a respondent's save of the needs form (a POST that writes a revision), each
  connection a different respondent.

Every request says ``Accept-Encoding: gzip, deflate, br``, as a browser's does (``--identity``:
none, as wrk and curl), so cached pages come gzip-compressed as a browser gets them.

A case counts an error for a connection failure, a timeout (``--timeout``) or an unexpected
status. Beside the latencies it prints the CPU time per request of the server (the gunicorn
master and workers, from /proc) and of this client: what a request costs, which, unlike the
wall times, hardly depends on other work on the machine.

Run: ``.venv/bin/python benchmarks/web.py [--workers N] [--threads T]``; ``--json FILE``
writes the figures. The client runs on the same machine as the server, so it takes CPU from it:
the figures are a lower bound. See docs/performance.md for the method and the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"
#: What every request accepts, as a browser sends it (``--identity``: nothing, as wrk and curl).
ACCEPT_ENCODING = "gzip, deflate, br"


@dataclass
class Case:
    name: str
    method: str
    paths: list[str]  # one per connection, cycled
    expect: tuple[int, ...] = (200,)
    bodies: list[bytes] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def row(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            if not lat:
                return float("nan")
            return 1000 * lat[min(len(lat) - 1, int(p / 100 * len(lat)))]

        return {
            "case": self.name,
            "requests": self.requests,
            "errors": self.errors,
            "rps": self.requests / self.seconds if self.seconds else 0.0,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "mean_ms": 1000 * statistics.fmean(lat) if lat else float("nan"),
        }


# --- a small HTTP/1.1 keep-alive client ----------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status of the next response, read whole, and whether the server closes the
    connection after it (gunicorn's sync workers do not keep connections alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection", "").lower() == "close"


def _request(case: Case, i: int, port: int) -> bytes:
    path = case.paths[i % len(case.paths)]
    lines = [f"{case.method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: keep-alive"]
    if ACCEPT_ENCODING:
        lines.append(f"Accept-Encoding: {ACCEPT_ENCODING}")
    if case.cookies:
        lines.append(f"Cookie: {case.cookies[i % len(case.cookies)]}")
    body = b""
    if case.bodies:
        body = case.bodies[i % len(case.bodies)]
        lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append(f"Referer: http://{HOST}:{port}{path}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _connection(
    case: Case,
    slot: int,
    port: int,
    budget: list[int],
    deadline: float,
    timeout: float,
    out: Outcome,
) -> None:
    message = _request(case, slot, port)
    reader = writer = None
    while budget[0] > 0 and time.perf_counter() < deadline:
        budget[0] -= 1
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, port), timeout
                )
            writer.write(message)
            status, closed = await asyncio.wait_for(_read_response(reader), timeout)  # type: ignore[arg-type]
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            out.errors += 1
            out.requests += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        out.requests += 1
        out.latencies.append(time.perf_counter() - start)
        if status not in case.expect:
            out.errors += 1
        if closed:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _run_case(
    case: Case, port: int, connections: int, requests: int, seconds: float, timeout: float
) -> Outcome:
    out = Outcome(case.name, 0, 0, 0.0, [])
    budget = [requests]
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(case, slot, port, budget, start + seconds, timeout, out)
            for slot in range(connections)
        )
    )
    out.seconds = time.perf_counter() - start
    return out


# --- the server and its data ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _prepare(data_dir: Path, respondents: int) -> dict[str, Any]:
    """The demo, published, plus respondents with sessions; returns what the cases need."""
    env = {**os.environ, "BATTKOMP_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "battkomp.cli", "demo", "--no-serve", "--data-dir", str(data_dir)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    os.environ["BATTKOMP_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "battkomp.site.settings"
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection

    from battkomp.accounts.actions import do_create_user
    from battkomp.accounts.models import Role
    from battkomp.analysis.models import Publication
    from battkomp.core.codes import codes
    from battkomp.organisations.models import Organisation, OrganisationKind
    from battkomp.survey.actions import do_invite_organisations
    from battkomp.survey.models import Participant, Round, RoundStatus

    publication = Publication.objects.order_by("-version").first()
    if publication is None:
        raise SystemExit("the demo has no published snapshot")
    round_ = Round.objects.filter(status=RoundStatus.OPEN).order_by("-id").first()
    if round_ is None:
        raise SystemExit("the demo has no open round")
    orgs = []
    for n in range(respondents):
        org, _ = Organisation.objects.get_or_create(
            name=f"Benchmark respondent {n:03d} AS (synthetic)",
            defaults={"kind": OrganisationKind.COMPANY, "segments": ["cell_manufacturing"]},
        )
        orgs.append(org)
    do_invite_organisations(round_, orgs, None)
    role, level, area = codes("role")[0], codes("level")[0], codes("area")[0]
    saves = []
    for n, org in enumerate(orgs):
        email = f"bench{n:03d}@respondent.example"
        user = (
            do_create_user(email, None, Role.RESPONDENT, org)
            if not _user_exists(email)
            else _user(email)
        )
        session = import_module(settings.SESSION_ENGINE).SessionStore()  # as the site keeps them
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "battkomp.accounts.backends.ThrottledModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
        participant = Participant.objects.get(round=round_, organisation=org)
        form: dict[str, Any] = {
            "csrfmiddlewaretoken": csrf,
            "action": "save",
            "access_is_challenge": "yes",
            "comments": "",
            "line_count": 1,
            "line-0-role": role,
            "line-0-level": level,
            "line-0-area": area,
            "line-0-recruit_difficulty": "3",
            "line-0-share_abroad": "10",
        }
        for year in round_.years:
            form[f"line-0-new_hires_{year}"] = str(n % 7 + 1)
            form[f"line-0-total_staff_{year}"] = str(n % 7 + 20)
        saves.append(
            (
                f"/survey/answers/{participant.pk}/",
                urlencode(form).encode(),
                f"sessionid={session.session_key}; csrftoken={csrf}",
            )
        )
    table = sorted(publication.table_names())[0]
    levels = codes("level")
    years = round_.years
    connection.close()
    return {
        "version": publication.version,
        "table": table,
        "filters": urlencode(
            {"level": levels[len(levels) // 2], "year_from": years[0], "year_to": years[-1]}
        ),
        "saves": saves,
    }


def _warm(paths: list[str]) -> None:
    """Build the cached pages once in this process, before the server starts (the cache is
    shared): a dashboard's first build renders its charts, which on a loaded machine can take
    longer than gunicorn's 30 s worker timeout. The benchmark measures the cached path."""
    from django.db import connection
    from django.test import Client

    for encoding in (ACCEPT_ENCODING, ""):
        client = Client(HTTP_HOST=HOST, HTTP_ACCEPT_ENCODING=encoding)
        for path in paths:
            client.get(path)
    connection.close()


def _user_exists(email: str) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=email).exists()


def _user(email: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=email)


def _start_server(data_dir: Path, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BATTKOMP_DATA_DIR": str(data_dir),
        "BATTKOMP_MODE": "development",
        "DJANGO_SETTINGS_MODULE": "battkomp.site.settings",
    }
    env.pop("DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "battkomp.site.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    else:  # the site's own model (battkomp.worker.process)
        from battkomp.worker.process import TIMEOUT, WORKER_CLASS

        command += ["--worker-class", WORKER_CLASS, "--timeout", str(TIMEOUT)]
    process = subprocess.Popen(command, env=env, cwd=data_dir)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/static/battkomp/site.css", timeout=1)
            _wait_idle(process.pid)
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not start")


def _wait_idle(pid: int, limit: float = 60.0) -> None:
    """Wait until the server uses no CPU for half a second: one worker answering does not mean
    the others have booted, and a worker booting (importing the site, battkomp.site.warm) during
    the first case would be charged to it."""
    end = time.monotonic() + limit
    before = _cpu_seconds(pid)
    while before is not None and time.monotonic() < end:
        time.sleep(0.5)
        after = _cpu_seconds(pid)
        if after is None or after - before < 0.02:
            return
        before = after


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by process ``pid`` and its children (the gunicorn
    master and its workers), from /proc; None where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    found = False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state, ppid, ..., utime (11th), stime (12th)
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
            found = True
    return total if found else None


def _load() -> str:
    """The 1, 5 and 15-minute load averages (other work on the machine skews every figure)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: the site's own, two sync workers per CPU, decision 56)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker: 1 runs sync workers, as the site does (default); more: gthread",
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="per case (default 3000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most, per case")
    parser.add_argument("--timeout", type=float, default=5.0, help="per request (default 5 s)")
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--cases", default="", help="only these cases, comma-separated")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--identity",
        action="store_true",
        help="send no Accept-Encoding (as wrk and curl; by default requests accept gzip, as a "
        "browser's do)",
    )
    args = parser.parse_args()
    if args.identity:
        global ACCEPT_ENCODING
        ACCEPT_ENCODING = ""
    if not (1 <= args.connections <= 1000 and 1 <= args.requests <= 1_000_000):
        raise SystemExit("--connections 1..1000, --requests 1..1000000")
    if not 0 < args.seconds <= 600:
        raise SystemExit("--seconds must be more than 0 and at most 600")
    if args.workers is None:
        from battkomp.site.serving import default_workers

        args.workers = default_workers()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="battkomp-web-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    info = _prepare(data_dir, args.respondents)
    v = info["version"]
    saves = info["saves"]
    cases = [
        Case("static", "GET", ["/static/battkomp/site.css"]),
        Case("home", "GET", ["/"]),
        Case("dashboard", "GET", [f"/published/{v}/dashboard/"]),
        Case("dashboard-filtered", "GET", [f"/published/{v}/dashboard/?{info['filters']}"]),
        Case("download", "GET", [f"/published/{v}/{info['table']}.csv"]),
        Case("openapi", "GET", ["/api/openapi.json"]),
        Case(
            "save",
            "POST",
            [s[0] for s in saves],
            expect=(302,),
            bodies=[s[1] for s in saves],
            cookies=[s[2] for s in saves],
        ),
    ]
    if args.cases:
        wanted = set(args.cases.split(","))
        cases = [c for c in cases if c.name in wanted]
    _warm([c.paths[0] for c in cases if c.method == "GET" and c.name != "static"])
    port = _free_port()
    server = _start_server(data_dir, port, args.workers, args.threads)
    rows = []
    try:
        model = f"{args.workers} workers" + (
            f" x {args.threads} threads (gthread)" if args.threads > 1 else " (sync)"
        )
        print(
            f"gunicorn {model}; {args.connections} connections; {args.requests} requests or "
            f"{args.seconds:g} s per case; Accept-Encoding: {ACCEPT_ENCODING or 'none'}; "
            f"cpus: {os.cpu_count()}; load average at the start: {_load()}"
        )
        print(
            f"{'case':20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
            f"{'srv cpu':>8} {'cli cpu':>8}  (cpu: ms per request)"
        )
        for case in cases:
            # warm every worker: first requests build caches and import code
            asyncio.run(_run_case(case, port, min(args.connections, 8), 40, 30, 30))
            server_before, client_before = _cpu_seconds(server.pid), time.process_time()
            outcome = asyncio.run(
                _run_case(case, port, args.connections, args.requests, args.seconds, args.timeout)
            )
            server_after, client_after = _cpu_seconds(server.pid), time.process_time()
            row = outcome.row()
            # CPU per request, of the server (master and workers) and of this client: what a
            # request costs whatever else runs on the machine (the wall times depend on it).
            done = max(outcome.requests, 1)
            row["server_cpu_ms"] = (
                1000 * (server_after - server_before) / done
                if server_before is not None and server_after is not None
                else float("nan")
            )
            row["client_cpu_ms"] = 1000 * (client_after - client_before) / done
            rows.append(row)
            print(
                f"{row['case']:20} {row['rps']:8.0f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
                f"{row['p99_ms']:8.1f} {row['errors']:7d} {row['server_cpu_ms']:8.2f} "
                f"{row['client_cpu_ms']:8.2f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_end = _load()
    print(f"load average at the end: {load_end}")
    static = next((r for r in rows if r["case"] == "static"), None)
    if static:
        for row in rows:
            if row["case"] != "static" and row["rps"]:
                row["x_static"] = static["rps"] / row["rps"]
        print(
            "times the static floor: "
            + ", ".join(f"{r['case']} {r['x_static']:.1f}x" for r in rows if "x_static" in r)
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "workers": args.workers,
                    "threads": args.threads,
                    "load_average_end": load_end,
                    "connections": args.connections,
                    "cases": rows,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
