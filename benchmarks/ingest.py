"""Ingest benchmark on the scaled form (PostgreSQL + Redis): webhook acknowledgement and end-to-end latency.

Run: ``.venv/bin/python benchmarks/ingest.py [--rate 200] [--duration 10] [--quick]``
(needs PostgreSQL on 127.0.0.1:5432, trust auth, and Redis on 127.0.0.1:6379).

Processes (all on loopback):

* this process: orchestration and the load generator (aiohttp client, one ``ClientSession``);
* a bare aiohttp app (this file, ``--_bare PORT``) whose POST handler only answers 200 — the baseline;
* a ZaloSim (this file, ``--_sim``) in its own process, so that 200 reply calls per second do not
  share an event loop with the load generator; it timestamps every send call on arrival
  (``time.perf_counter`` = CLOCK_MONOTONIC on Linux, one clock for every process of the machine);
* ``coso web`` and, for the end-to-end part, ``coso worker``.

Measurements:

1. open loop at a fixed rate (``--rate`` and, if that held, 2.5 x): latency is counted from the
   moment the request was *due* (no coordinated omission), generator lag printed separately;
2. closed loop (N connections, as fast as possible) for the bare app and ``coso web``, with the CPU
   used by the generator and by the server, to tell which side was the bottleneck;
3. end to end: "menu" from distinct users at ``--rate`` per second with ``coso web`` + ``coso worker``;
   time from sending the webhook to the simulator receiving the reply.

The Zalo send rate limit (``COSO_ZALO_RATE_PER_MINUTE``, default 4000/min per app = 66.7/s, evenly
spaced) would by itself make 200 replies/s on one app impossible, so part 3 raises it (the limiter
still runs on every send); ``--zalo-rate-per-minute 4000`` measures with the default.
Exits 0 whatever the figures (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

OA_ID, APP_ID, OA_SECRET, APP_SECRET = "579745863508352884", "1234567890", "oa-secret-key-xyz", "zalo-app-secret"
PG_ADMIN = os.environ.get("COSO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("COSO_BENCH_REDIS", "redis://127.0.0.1:6379/0")
GOAL_ACK_P99_MS = 20.0
GOAL_RATIO = 0.5
GOAL_E2E_P99_MS = 250.0

perf = time.perf_counter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# =============================================================================== child processes


def _child_bare(port: int) -> None:
    """The baseline: an aiohttp app whose POST handler only answers 200 (same runner set-up as coso web)."""

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/webhooks/zalo", ok)
        app.router.add_get("/healthz", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def _child_sim() -> None:
    """A ZaloSim that timestamps each call on arrival; prints {"url", "access", "refresh"} then serves."""
    from tests.simulators import start
    from tests.simulators.zalo import ZaloSim

    class TimedZaloSim(ZaloSim):
        async def _record(self, request: web.Request):  # type: ignore[no-untyped-def]
            t = perf()  # before the body is read: the moment the send call arrived
            call = await super()._record(request)
            call.t_arrival = t  # type: ignore[attr-defined]
            return call

        def delivered(self, prefix: str) -> list[tuple[str, float]]:
            out = []
            for c in self.calls:
                if not c.path.startswith("/v3.0/oa/message/") or c.status != 200:
                    continue
                if not isinstance(c.response, dict) or c.response.get("error") != 0:
                    continue
                user = str(((c.json or {}).get("recipient") or {}).get("user_id", ""))
                if user.startswith(prefix):
                    out.append((user, c.t_arrival))  # type: ignore[attr-defined]
            return out

    sim = TimedZaloSim(app_id=APP_ID, app_secret=APP_SECRET, oa_id=OA_ID)

    async def sent(request: web.Request) -> web.Response:
        rows = sim.delivered(request.query.get("prefix", ""))
        if request.query.get("count"):
            return web.json_response({"count": len({u for u, _ in rows})})
        return web.json_response({"sent": rows})

    sim.app.router.add_get("/_bench/sent", sent)

    async def main() -> None:
        server = await start(sim.app)
        access, refresh = sim.current[OA_ID]
        print(json.dumps({"url": server.url, "access": access, "refresh": refresh}), flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# =============================================================================== process management


class Procs:
    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, cmd: list[str], env: dict[str, str], stdout_pipe: bool = False) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE if stdout_pipe else log,
                                stderr=log, text=True)
        self.procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop_all(self) -> None:
        for _, p in reversed(self.procs):
            try:
                self.stop(p)
            except Exception as exc:  # keep stopping the others
                print(f"could not stop pid {p.pid}: {exc}", file=sys.stderr)

    def log_tail(self, name: str, n: int = 30) -> str:
        path = self.logdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def find_pids(comm: str) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == comm:
                    out.append(int(d.name))
            except OSError:
                pass
    return out


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores; /proc/stat)."""
    try:
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


class CpuMeter:
    """CPU used over a measured span, in cores (1.0 = one core busy): this process (the generator), the
    watched processes (a list of pids, or a function giving them, for processes that come and go such
    as PostgreSQL backends), the whole machine, and what is left: processes that are not part of this run."""

    worst_other = 0.0  # the most CPU used by processes outside the benchmark in any measured span

    def __init__(self, watched: dict[str, list[int] | Callable[[], list[int]]]) -> None:
        self.watched = watched
        self.usage: dict[str, float] = {}

    def _pids(self, k: str) -> list[int]:
        w = self.watched[k]
        return w() if callable(w) else w

    def __enter__(self) -> CpuMeter:
        self.t0, self.g0, self.m0 = perf(), time.process_time(), machine_busy_seconds()
        self.w0 = {k: {p: cpu_seconds(p) for p in self._pids(k)} for k in self.watched}
        return self

    def __exit__(self, *exc: object) -> None:
        wall = perf() - self.t0
        self.usage = {"generator": (time.process_time() - self.g0) / wall}
        for k in self.watched:
            used = 0.0
            for p in self._pids(k):
                now = cpu_seconds(p)
                if now == now:  # not nan: the process still exists
                    used += now - self.w0[k].get(p, 0.0)
            self.usage[k] = used / wall
        machine = (machine_busy_seconds() - self.m0) / wall
        self.usage["other processes"] = max(0.0, machine - sum(self.usage.values()))
        CpuMeter.worst_other = max(CpuMeter.worst_other, self.usage["other processes"])
        self.usage["machine"] = machine

    def text(self) -> str:
        return ", ".join(f"{k} {v * 100:.0f}%" for k, v in self.usage.items()) + f" (of {os.cpu_count() * 100}%)"

    def busy_note(self) -> str:
        other = self.usage.get("other processes", 0.0)
        return (f"  note: processes outside this benchmark used {other * 100:.0f}% CPU meanwhile: "
                "figures are pessimistic" if other > 0.25 else "")


async def wait_http(url: str, proc: subprocess.Popen, procs: Procs, name: str, timeout: float = 60) -> None:
    deadline = perf() + timeout
    async with aiohttp.ClientSession() as http:
        while perf() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{procs.log_tail(name)}")
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{name} did not answer {url} within {timeout}s:\n{procs.log_tail(name)}")


# =============================================================================== load generation


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def build_requests(prefix: str, n: int, users: int | None = None, text: str = "xin chào") -> list[tuple]:
    """``n`` signed Zalo text webhooks (distinct msg ids; user i % users, or one user each)."""
    from tests.simulators.signing import zalo_text_event, zalo_webhook

    out = []
    for i in range(n):
        user = f"{prefix}u{i % users if users else i}"
        raw, headers = zalo_webhook(APP_ID, OA_SECRET, zalo_text_event(APP_ID, OA_ID, user, text, f"{prefix}m{i}"))
        out.append((user, raw, headers))
    return out


@dataclass
class OpenLoopResult:
    rate: float
    sent: int = 0
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    lat_ms: list[float] = field(default_factory=list)  # from the moment the request was due
    svc_ms: list[float] = field(default_factory=list)  # from the moment it was actually sent
    lag_ms: list[float] = field(default_factory=list)  # generator lag: actually sent - due
    achieved: float = 0.0
    starts: dict[str, float] = field(default_factory=dict)  # user -> send time
    cpu: str = ""
    note: str = ""

    @property
    def held(self) -> bool:
        return (not self.errors and self.achieved >= 0.95 * self.rate
                and pct(self.lat_ms, 0.99) < GOAL_ACK_P99_MS)

    def line(self) -> str:
        err = sum(self.errors.values())
        return (f"{self.rate:5.0f}/s target: {self.achieved:6.1f} acks/s, {self.ok}/{self.sent} ok, "
                f"errors {err}{' ' + str(dict(self.errors)) if err else ''}; latency p50 "
                f"{pct(self.lat_ms, .5):.2f} ms, p99 {pct(self.lat_ms, .99):.2f} ms, max {max(self.lat_ms, default=0):.2f} ms"
                f" (service p99 {pct(self.svc_ms, .99):.2f} ms; generator lag p99 {pct(self.lag_ms, .99):.2f} ms)")


async def open_loop(url: str, reqs: list[tuple], rate: float, meter: CpuMeter) -> OpenLoopResult:
    res = OpenLoopResult(rate=rate, sent=len(reqs))
    timeout = aiohttp.ClientTimeout(total=10)
    ends: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256), timeout=timeout) as http:
        async def one(user: str, raw: bytes, headers: dict, due: float) -> None:
            start = perf()
            res.starts[user] = start
            try:
                async with http.post(url, data=raw, headers=headers) as r:
                    await r.read()
                    end = perf()
                    if r.status == 200:
                        res.ok += 1
                    else:
                        res.errors[f"HTTP {r.status}"] += 1
            except Exception as exc:  # count, do not stop the run
                end = perf()
                res.errors[type(exc).__name__] += 1
            ends.append(end)
            res.lat_ms.append((end - due) * 1000)
            res.svc_ms.append((end - start) * 1000)
            res.lag_ms.append((start - due) * 1000)

        # warm the connection pool a little (not counted)
        await asyncio.gather(*(http.get(url.rsplit("/webhooks", 1)[0] + "/healthz") for _ in range(8)))
        tasks = []
        with meter:
            t0 = perf() + 0.02
            for i, (user, raw, headers) in enumerate(reqs):
                due = t0 + i / rate
                delay = due - perf()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(user, raw, headers, due)))
            await asyncio.gather(*tasks)
        res.cpu = meter.text()
        res.note = meter.busy_note()
    span = max(ends) - t0 if ends else 1
    res.achieved = res.ok / span
    return res


@dataclass
class ClosedLoopResult:
    conc: int
    seconds: float
    done: int = 0
    errors: Counter = field(default_factory=Counter)
    lat_ms: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    reused: bool = False
    note: str = ""

    @property
    def rps(self) -> float:
        return self.done / self.seconds

    def line(self) -> str:
        err = sum(self.errors.values())
        return (f"{self.rps:7.0f} req/s with {self.conc} connections over {self.seconds:.1f}s; "
                f"p50 {pct(self.lat_ms, .5):.2f} ms, p99 {pct(self.lat_ms, .99):.2f} ms; errors {err}"
                f"{' ' + str(dict(self.errors)) if err else ''}; CPU "
                + ", ".join(f"{k} {v * 100:.0f}%" for k, v in self.cpu.items())
                + ("; (request pool reused)" if self.reused else "") + ("\n" + self.note if self.note else ""))


async def closed_loop(url: str, pool: list[tuple], conc: int, seconds: float, meter: CpuMeter,
                      warmup: float = 0.5) -> ClosedLoopResult:
    res = ClosedLoopResult(conc=conc, seconds=seconds)
    idx = itertools.count()
    counting = False
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc), timeout=timeout) as http:
        async def worker(deadline: float) -> None:
            while perf() < deadline:
                i = next(idx)
                if i >= len(pool):
                    res.reused = True
                _, raw, headers = pool[i % len(pool)]
                t = perf()
                try:
                    async with http.post(url, data=raw, headers=headers) as r:
                        await r.read()
                        ok = r.status == 200
                        if not ok and counting:
                            res.errors[f"HTTP {r.status}"] += 1
                except Exception as exc:
                    ok = False
                    if counting:
                        res.errors[type(exc).__name__] += 1
                if counting and ok and perf() <= deadline:
                    res.done += 1
                    res.lat_ms.append((perf() - t) * 1000)

        await asyncio.gather(*(worker(perf() + warmup) for _ in range(conc)))  # connections up, caches warm
        counting = True
        with meter:
            start = perf()
            await asyncio.gather(*(worker(start + seconds) for _ in range(conc)))
        res.cpu = meter.usage
        res.note = meter.busy_note()
    return res


# =============================================================================== the run


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tag = f"{os.getpid()}"
        self.dbname = f"coso_bench_{self.tag}"
        self.prefixes: list[str] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="coso-bench-"))
        self.procs = Procs(self.tmp)
        self.db_created = False
        self.summary: dict[str, object] = {}

    # ---------------------------------------------------------------- environment
    def db_url(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(PG_ADMIN).set(database=self.dbname).render_as_string(hide_password=False)

    def create_db(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}"')
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        self.db_created = True

    def drop_db(self) -> None:
        if not self.db_created:
            return
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.db_created = False

    def new_prefix(self) -> str:
        prefix = f"cosobench:{uuid.uuid4().hex[:12]}:"
        self.prefixes.append(prefix)
        return prefix

    def delete_redis_keys(self) -> int:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        n = 0
        try:
            for prefix in self.prefixes:
                batch = []
                for key in client.scan_iter(match=prefix + "*", count=1000):
                    batch.append(key)
                    if len(batch) >= 1000:
                        n += client.delete(*batch)
                        batch = []
                if batch:
                    n += client.delete(*batch)
        finally:
            client.close()
        return n

    def env(self, prefix: str, port: int, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COSO_")}
        env.update(COSO_DATABASE_URL=self.db_url(), COSO_REDIS_URL=REDIS_URL, COSO_REDIS_PREFIX=prefix,
                   COSO_SEED_DEMO="false", COSO_LOG_LEVEL="WARNING", COSO_HOST="127.0.0.1", COSO_PORT=str(port),
                   COSO_PUBLIC_URL=f"http://127.0.0.1:{port}", COSO_ADMIN_PASSWORD="bench-admin-pass",
                   COSO_ZALO_API_BASE=self.sim_url, COSO_ZALO_OAUTH_BASE=self.sim_url, PYTHONPATH=str(ROOT))
        env.update(extra)
        return env

    def cli(self, *args: str) -> None:
        out = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=self.env("cosobench:cli:", 0),
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"coso {' '.join(args[:2])} failed:\n{out.stderr}")

    async def start_coso(self, role: str, prefix: str, port: int, **extra: str) -> subprocess.Popen:
        name = f"{role}-{len(self.procs.procs)}"
        proc = self.procs.spawn(name, [sys.executable, "-m", "bot.cli", role], self.env(prefix, port, **extra))
        if role == "web":
            await wait_http(f"http://127.0.0.1:{port}/healthz", proc, self.procs, name)
        return proc

    # ---------------------------------------------------------------- phases
    async def run(self) -> None:
        a = self.args
        t_start = perf()
        clock = time.get_clock_info("perf_counter").implementation
        print(f"coso ingest benchmark: rate {a.rate}/s, duration {a.duration}s, closed loop {a.closed_seconds}s x "
              f"{a.connections} connections{' (quick)' if a.quick else ''}; {os.cpu_count()} CPUs; clock {clock}")
        if "CLOCK_MONOTONIC" not in clock:
            print("  warning: perf_counter is not CLOCK_MONOTONIC; cross-process end-to-end times may be off")

        # simulator in its own process
        sim = self.procs.spawn("zalosim", [sys.executable, str(Path(__file__).resolve()), "--_sim"],
                               {**os.environ, "PYTHONPATH": str(ROOT)}, stdout_pipe=True)
        line = await asyncio.wait_for(asyncio.to_thread(sim.stdout.readline), 30)  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"ZaloSim did not start:\n{self.procs.log_tail('zalosim')}")
        info = json.loads(line)
        self.sim_url = info["url"]

        self.create_db()
        self.cli("unit", "add", "XA1", "UBND xã Một")
        self.cli("channel", "add", "zalo", "--unit", "XA1", "--oa-id", OA_ID, "--app-id", APP_ID,
                 "--oa-secret-key", OA_SECRET, "--app-secret", APP_SECRET, "--access-token", info["access"],
                 "--refresh-token", info["refresh"])
        print(f"  set-up (simulator, database {self.dbname}, unit, channel): {perf() - t_start:.1f}s")

        rates = [a.rate, a.rate * 2.5]
        redis_pids = find_pids("redis-server")

        # ---- 1. bare baseline
        bare_port = free_port()
        bare = self.procs.spawn("bare", [sys.executable, str(Path(__file__).resolve()), "--_bare", str(bare_port)],
                                {**os.environ, "PYTHONPATH": str(ROOT)})
        await wait_http(f"http://127.0.0.1:{bare_port}/healthz", bare, self.procs, "bare")
        bare_url = f"http://127.0.0.1:{bare_port}/webhooks/zalo"
        print("\n[1] bare aiohttp app (POST -> 200), separate process")
        bare_open = []
        for i, rate in enumerate(rates):
            reqs = build_requests(f"b{i}-", int(rate * a.duration), users=5000)
            r = await open_loop(bare_url, reqs, rate, CpuMeter({"server": [bare.pid], "zalosim": [sim.pid]}))
            bare_open.append(r)
            print(f"  open loop {r.line()}\n    CPU {r.cpu}" + (f"\n  {r.note}" if r.note else ""))
            if not r.held:
                break
        pool = build_requests("bc-", a.pool, users=5000)
        bare_closed = await closed_loop(bare_url, pool, a.connections, a.closed_seconds,
                                        CpuMeter({"server": [bare.pid], "zalosim": [sim.pid]}))
        print(f"  closed loop {bare_closed.line()}")
        self.procs.stop(bare)

        # ---- 2. coso web, no worker
        print("\n[2] coso web (PostgreSQL + Redis), no worker: webhook acknowledgement")
        web_port = free_port()
        webp = await self.start_coso("web", self.new_prefix(), web_port)
        web_url = f"http://127.0.0.1:{web_port}/webhooks/zalo"
        watch = {"coso web": [webp.pid], "redis": redis_pids, "zalosim": [sim.pid]}
        coso_open = []
        for i, rate in enumerate(rates):
            reqs = build_requests(f"w{i}-", int(rate * a.duration), users=5000)
            r = await open_loop(web_url, reqs, rate, CpuMeter(watch))
            coso_open.append(r)
            print(f"  open loop {r.line()}\n    CPU {r.cpu}" + (f"\n  {r.note}" if r.note else ""))
            if not r.held:
                break
        pool = build_requests("wc-", a.pool, users=5000)
        coso_closed = await closed_loop(web_url, pool, a.connections, a.closed_seconds, CpuMeter(watch))
        print(f"  closed loop {coso_closed.line()}")
        ratio = coso_closed.rps / bare_closed.rps if bare_closed.rps else float("nan")
        print(f"  ratio coso / bare: {ratio:.2f}")
        gen_bound = bare_closed.cpu.get("generator", 0) > 0.85
        if gen_bound:
            print(f"  note: the load generator used {bare_closed.cpu['generator'] * 100:.0f}% of a core against the "
                  "bare app: it, not the bare server, limited that figure (2 cores shared by generator and "
                  "server), so the bare baseline is understated and the ratio flatters coso")
        self.procs.stop(webp)

        # ---- 3. end to end: coso web + coso worker
        print(f"\n[3] end to end: coso web + {a.worker_procs} × coso worker (COSO_WORKERS={a.workers}), "
              f"\"menu\" at {a.rate}/s "
              f"for {a.duration}s from distinct users, Zalo rate limit {a.zalo_rate_per_minute}/min")
        prefix = self.new_prefix()
        e2e_port = free_port()
        extra = {"COSO_WORKERS": str(a.workers), "COSO_ZALO_RATE_PER_MINUTE": str(a.zalo_rate_per_minute)}
        webp = await self.start_coso("web", prefix, e2e_port, **extra)
        workers = [await self.start_coso("worker", prefix, e2e_port, **extra) for _ in range(a.worker_procs)]
        e2e_url = f"http://127.0.0.1:{e2e_port}/webhooks/zalo"
        async with aiohttp.ClientSession() as http:
            async def delivered(pfx: str, count: bool) -> dict:
                async with http.get(f"{self.sim_url}/_bench/sent",
                                    params={"prefix": pfx, **({"count": "1"} if count else {})}) as r:
                    return await r.json()

            # warm-up (not counted): the worker's connections, token and channel caches
            warm = build_requests("warm-", 20, text="menu")
            await open_loop(e2e_url, warm, 50, CpuMeter({}))
            deadline = perf() + 30
            while perf() < deadline and (await delivered("warm-", True))["count"] < len(warm):
                await asyncio.sleep(0.1)
            reqs = build_requests("e2e-", int(a.rate * a.duration), text="menu")
            span = CpuMeter({"coso web": [webp.pid], "worker": [w.pid for w in workers], "redis": redis_pids,
                             "postgres": lambda: find_pids("postgres"), "zalosim": [sim.pid]})
            with span:  # from the first webhook until the last reply (or the drain timeout)
                r = await open_loop(e2e_url, reqs, a.rate, CpuMeter({}))
                print(f"  webhooks: {r.line()}")
                drain_until = perf() + a.drain
                while perf() < drain_until:
                    if (await delivered("e2e-", True))["count"] >= len(reqs):
                        break
                    await asyncio.sleep(0.1)
            print(f"    CPU from first webhook to last reply: {span.text()}")
            if span.busy_note():
                print("  " + span.busy_note())
            rows = (await delivered("e2e-", False))["sent"]
        first: dict[str, float] = {}
        for user, t in rows:
            first[user] = min(t, first.get(user, t))
        e2e = [(t - r.starts[u]) * 1000 for u, t in first.items() if u in r.starts]
        got = len(e2e)
        print(f"  replies: {got}/{len(reqs)} users answered ({len(rows)} send calls); end to end p50 "
              f"{pct(e2e, .5):.1f} ms, p99 {pct(e2e, .99):.1f} ms, max {max(e2e, default=float('nan')):.1f} ms")
        if got < len(reqs):
            print(f"  {len(reqs) - got} without a reply within {a.drain:.0f}s after the last webhook")
        for w in workers:
            self.procs.stop(w)
        self.procs.stop(webp)

        # ---- 4. summary
        ack = coso_open[0]
        ack_p99 = pct(ack.lat_ms, .99)
        e2e_p99 = pct(e2e, .99) if got == len(reqs) else float("inf")
        print("\n" + "=" * 100)
        print("SUMMARY (scaled form: coso web/worker subprocesses, PostgreSQL, Redis; loopback, "
              f"{os.cpu_count()} CPUs)")
        for res, label in [(bare_open, "bare  "), (coso_open, "coso  ")]:
            for x in res:
                print(f"  ack open loop {label}{x.line()}")
        print(f"  closed loop bare       {bare_closed.line()}")
        print(f"  closed loop coso web   {coso_closed.line()}")
        print(f"  end to end             {got}/{len(reqs)} replied; p50 {pct(e2e, .5):.1f} ms, p99 "
              f"{pct(e2e, .99):.1f} ms, max {max(e2e, default=float('nan')):.1f} ms")

        def mark(ok: bool) -> str:
            return "MET" if ok else "NOT MET"

        print("  goals:")
        print(f"    ack p99 < {GOAL_ACK_P99_MS:.0f} ms at {a.rate:.0f}/s:     {ack_p99:8.2f} ms   "
              f"{mark(ack_p99 < GOAL_ACK_P99_MS and not ack.errors)}"
              f"{'' if not ack.errors else ' (errors)'}")
        print(f"    ingest throughput >= {GOAL_RATIO:.0%} of bare: {ratio:8.2f} x    {mark(ratio >= GOAL_RATIO)}"
              f"{'  (bare figure generator-bound)' if gen_bound else ''}")
        print(f"    end-to-end p99 < {GOAL_E2E_P99_MS:.0f} ms at {a.rate:.0f}/s: {pct(e2e, .99):8.1f} ms   "
              f"{mark(e2e_p99 < GOAL_E2E_P99_MS)}{'' if got == len(reqs) else f' ({len(reqs) - got} unanswered)'}")
        if CpuMeter.worst_other > 0.25:
            print(f"  caution: processes outside this benchmark used up to {CpuMeter.worst_other * 100:.0f}% CPU "
                  f"during a measurement (of {os.cpu_count() * 100}%): figures are pessimistic")
        print(f"  total time {perf() - t_start:.0f}s; logs in {self.tmp}")
        print("=" * 100)

    def cleanup(self) -> None:
        self.procs.stop_all()
        try:
            self.drop_db()
        except Exception as exc:
            print(f"could not drop database {self.dbname}: {exc}", file=sys.stderr)
        try:
            n = self.delete_redis_keys()
            if self.args.verbose:
                print(f"deleted {n} Redis keys", file=sys.stderr)
        except Exception as exc:
            print(f"could not delete Redis keys {self.prefixes}: {exc}", file=sys.stderr)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=200.0, help="open-loop webhooks per second (default 200)")
    p.add_argument("--duration", type=float, default=None, help="seconds per open-loop run (default 10; quick 3)")
    p.add_argument("--quick", action="store_true", help="short runs (about 40 s in all)")
    p.add_argument("--connections", type=int, default=32, help="closed-loop concurrent connections")
    p.add_argument("--closed-seconds", type=float, default=None, help="closed-loop measured seconds")
    p.add_argument("--workers", type=int, default=8, help="COSO_WORKERS of each worker process")
    p.add_argument("--worker-procs", type=int, default=1,
                   help="worker processes (1 on this 2-core machine: the others need the second core)")
    p.add_argument("--zalo-rate-per-minute", type=int, default=600_000,
                   help="COSO_ZALO_RATE_PER_MINUTE for the end-to-end run (hub default 4000 = 66.7/s per app)")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--_bare", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_sim", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.duration = a.duration or (3.0 if a.quick else 10.0)
    a.closed_seconds = a.closed_seconds or (2.0 if a.quick else 4.0)
    a.drain = 10.0 if a.quick else 20.0
    a.pool = 20_000 if a.quick else 40_000
    return a


def main() -> int:
    args = parse_args()
    if args._bare is not None:
        _child_bare(args._bare)
        return 0
    if args._sim:
        _child_sim()
        return 0

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    bench = Bench(args)
    try:
        asyncio.run(bench.run())
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
    except Exception as exc:
        print(f"\nbenchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        bench.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
