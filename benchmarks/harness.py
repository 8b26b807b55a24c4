"""What the server benchmarks share: the real server (or the raw reference app) as a
uvicorn process on 127.0.0.1, a scratch database, `wrk` as the load generator, and one
way to print ratios.

Every figure is printed next to GET /healthz measured on the same server in the same run:
ratios, not absolute times, are what compare across machines. The load comes from `wrk`
(C, event-driven), not from Python: a Python client saturates itself at a few hundred
requests a second and hides the server's own cost.

wrk is not installed by these scripts: `apt-get install wrk` (Debian/Ubuntu).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402

CONNECTIONS = 16
WRK_THREADS = 2


def percentile(ordered: list[float], p: float) -> float:
    """The p-th percentile of an ascending list (nearest rank)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed. Install it with: apt-get install wrk   (Debian/Ubuntu; "
                         "https://github.com/wg/wrk elsewhere), then run this benchmark again.")
    return path


def _wait_healthy(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited during start-up:\n{log_path.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start within 60 s")


def start_server(data_dir: Path, database_url: str | None, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """`coditect-console server` on a free port; -> (process, base URL) once /healthz answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [sys.executable, "-m", "console.cli", "server", "--port", str(port), "--workers", str(workers),
           "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(proc, url, log_path)
    return proc, url


def start_raw_server(data_dir: Path, database_url: str) -> tuple[subprocess.Popen, str]:
    """benchmarks/raw_app.py (the same work without the project's layers) under uvicorn,
    one worker, served the way `coditect-console server` serves the project."""
    port = free_port()
    env = dict(os.environ, RAW_DATABASE_URL=database_url, RAW_KEYS_DIR=str(data_dir / "keys"))
    log_path = data_dir / "raw-server.log"
    cmd = [sys.executable, "-m", "uvicorn", "raw_app:app", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning", "--no-access-log"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=BENCH_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(proc, url, log_path)
    return proc, url


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(20)


class ScratchDatabase:
    """A database nobody else uses: a SQLite file in `tmp`, or a new PostgreSQL database
    beside the one `base_url` names (dropped again by drop())."""

    def __init__(self, base_url: str | None, tmp: Path) -> None:
        from server.config import normalize_database_url

        self.pg_name = None
        if base_url is None or base_url.startswith("sqlite"):
            self.url = normalize_database_url(base_url or f"sqlite:///{tmp / 'bench.db'}")
            return
        base = normalize_database_url(base_url)
        self.server_url, _, self.admin_db = base.rpartition("/")
        self.pg_name = f"coditect_bench_{secrets.token_hex(4)}"
        self.url = f"{self.server_url}/{self.pg_name}"

    @property
    def kind(self) -> str:
        return "postgresql" if self.pg_name else "sqlite"

    async def _admin(self, sql: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(f"{self.server_url}/{self.admin_db}", isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    async def create(self) -> None:
        if self.pg_name:
            await self._admin(f'CREATE DATABASE "{self.pg_name}"')

    async def drop(self) -> None:
        if self.pg_name:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@dataclass
class Served:
    url: str
    data_dir: Path
    database: ScratchDatabase
    proc: subprocess.Popen | None = None

    def restart_as_raw(self) -> None:
        """Stop the project's server and serve the raw reference app on the same database
        and keys (one server at a time: they share the CPUs with wrk)."""
        stop_server(self.proc)
        self.proc, self.url = start_raw_server(self.data_dir, self.database.url)

    def restart_as_project(self) -> None:
        stop_server(self.proc)
        self.proc, self.url = start_server(self.data_dir, self.database.url)


@asynccontextmanager
async def served(database_url: str | None, workers: int, name: str):
    """A scratch database and the real server on it, both gone afterwards."""
    require_wrk()
    tmp = Path(tempfile.mkdtemp(prefix=f"coditect-bench-{name}-"))
    scratch = ScratchDatabase(database_url, tmp)
    await scratch.create()
    target = Served(url="", data_dir=tmp / "data", database=scratch)
    try:
        target.proc, target.url = await asyncio.to_thread(start_server, tmp / "data", scratch.url, workers)
        yield target
    finally:
        stop_server(target.proc)
        await scratch.drop()
        shutil.rmtree(tmp, ignore_errors=True)


# --- wrk ---------------------------------------------------------------------------------

@dataclass
class Phase:
    """One wrk run: `method path`, cycling over `creds` (dicts with `token` and optional
    `seat`); `body` is a Lua expression for the request body (may use `c`, `n`, `tid`)."""

    method: str = "GET"
    path: str = "/healthz"
    creds: list[dict] = field(default_factory=list)
    body: str | None = None
    # POST /auth/refresh: every response hands on the next token; needs
    # CONNECTIONS + WRK_THREADS creds with a `refresh` token each.
    refresh_chain: bool = False


_LUA = r"""
local creds = %(creds)s
local n = 0
local seq = 0
function setup(thread)
  seq = seq + 1
  thread:set("tid", seq)
end
local queue = {}
%(init_queue)s
function request()
  n = n + 1
  local c = creds[(n %% math.max(#creds, 1)) + 1] or {}
  local headers = {["Content-Type"] = "application/json"}
  if c.token then headers["Authorization"] = "Bearer " .. c.token end
  %(refresh_pop)s
  local body = %(body)s
  return wrk.format("%(method)s", "%(path)s", headers, body)
end
%(response)s
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKRESULT %%d %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_table(creds: list[dict]) -> str:
    rows = ", ".join("{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in c.items()) + "}" for c in creds)
    return "{" + rows + "}"


def _script(phase: Phase, per_thread: int) -> str:
    init_queue = refresh_pop = response = ""
    if phase.refresh_chain:
        # Each thread takes its own share of the refresh tokens: one per connection, plus
        # one because wrk asks for a request once more than it sends at start.
        init_queue = ("function init(args)\n  local first = (tid - 1) * %d\n"
                      "  for i = 1, %d do table.insert(queue, creds[first + i].refresh) end\nend" % (per_thread, per_thread))
        refresh_pop = "local refresh = table.remove(queue, 1) or 'none'"
        response = ("function response(status, headers, body)\n"
                    "  local t = string.match(body, '\"refresh_token\":\"([^\"]+)\"')\n"
                    "  if t then table.insert(queue, t) end\nend")
    return _LUA % {"creds": _lua_table(phase.creds), "init_queue": init_queue, "refresh_pop": refresh_pop,
                   "body": phase.body or "nil", "method": phase.method, "path": phase.path, "response": response}


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, phase: Phase, duration: float = 5.0, connections: int = CONNECTIONS,
            pid: int | None = None) -> dict:
    """-> {rps, p50, p99 (ms), n, failures, cpu_us} for one wrk run against url + phase.path;
    cpu_us: the server's (`pid`) CPU time per request, which stays meaningful when other
    processes share the machine (req/s does not)."""
    wrk = require_wrk()
    cpu_before = cpu_seconds(pid)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_script(phase, connections // WRK_THREADS + 1))
        script = f.name
    try:
        out = subprocess.run(
            [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s", "-s", script,
             url + phase.path], capture_output=True, text=True, timeout=duration + 120,
        )
    finally:
        os.unlink(script)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKRESULT")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    n, micros, p50, p99, status_errors, socket_errors = map(int, line.split()[1:])
    cpu_us = (cpu_seconds(pid) - cpu_before) * 1e6 / max(n, 1) if pid else None
    failures = {}
    if status_errors:
        failures["non-2xx"] = status_errors
    if socket_errors:
        failures["socket"] = socket_errors
    return {"n": n, "rps": n / (micros / 1e6), "p50": p50 / 1000, "p99": p99 / 1000, "failures": failures,
            "cpu_us": cpu_us}


def warm_up(url: str) -> None:
    run_wrk(url, Phase(), duration=1)


def _cpu_cols(r: dict, base: dict) -> str:
    if not r.get("cpu_us") or not base.get("cpu_us"):
        return f" {'':>9} {'':>9}"
    return f" {r['cpu_us']:9.0f} {base['cpu_us'] / r['cpu_us']:9.3f}"


def print_table(title: str, results: dict[str, dict], raw: dict[str, dict] | None = None,
                baseline: str = "GET /healthz") -> None:
    base = results[baseline]
    print(f"\n{title}")
    print("(× healthz: req/s ÷ healthz req/s; CPU µs/req: the server's CPU time per request, and its "
          "× healthz = healthz CPU ÷ this CPU, the same ratio measured without the noise of a shared machine)")
    head = (f"{'phase':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× healthz':>10}"
            f" {'CPU µs/req':>9} {'× healthz':>9}")
    if raw:
        head += f" {'raw req/s':>10} {'project/raw':>12} {'raw CPU µs':>10} {'project/raw':>11}"
    print(head)
    print("-" * len(head))
    for name, r in results.items():
        line = f"{name:42} {r['rps']:9.1f} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps'] / base['rps']:10.3f}"
        line += _cpu_cols(r, base)
        if raw and name in raw:
            line += f" {raw[name]['rps']:10.1f} {r['rps'] / raw[name]['rps']:12.2f}"
            if r.get("cpu_us") and raw[name].get("cpu_us"):
                line += f" {raw[name]['cpu_us']:10.0f} {raw[name]['cpu_us'] / r['cpu_us']:11.2f}"
        if r.get("failures"):
            line += f"   unexpected: {r['failures']}"
        print(line)


def machine_line(**facts) -> str:
    return ", ".join([f"{k.replace('_', ' ')}: {v}" for k, v in facts.items()] + [f"CPUs: {os.cpu_count()}"])
