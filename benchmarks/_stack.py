"""Shared pieces for benchmarks that run the project as separate processes.

* ``Stack``: gunicorn, a Celery worker (and beat) and the Stripe sandbox as subprocesses, each
  in its own process group, on free ports; all of them are stopped when the ``with`` block
  ends, on an exception, Ctrl-C or SIGTERM included. ``kill`` crashes one on purpose.
* ``cpu_snapshot``: CPU seconds per process group (and PostgreSQL, Redis, this process) from
  ``/proc``, so a run can say where the machine's cores went; ``CpuTracker`` does the same
  over an interval in which processes exit and are replaced.
* A small asyncio HTTP/1.1 load generator: keep-alive when the server allows it (gunicorn's
  sync workers close every connection, so those clients reconnect), closed loop (as fast as
  the server answers) or open loop (requests sent on a fixed schedule, latency measured from
  the scheduled time so that queueing shows), signing Stripe webhooks as they are sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ROOT

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def add_traffic_arguments(parser, *, clients: int) -> None:
    """The donations a benchmark sends: amounts, duplicates and concurrent clients."""
    parser.add_argument(
        "--amounts", default="1000,2500,5000,10000,25000", help="cents, comma separated"
    )
    parser.add_argument("--duplicates", type=float, default=0.05, help="fraction sent twice")
    parser.add_argument("--clients", type=int, default=clients, help="concurrent webhook clients")
    parser.add_argument(
        "--stripe-limits",
        default="100,25",
        help="the sandbox's requests/s per account and per endpoint while webhooks arrive "
        "(Stripe's live defaults, https://docs.stripe.com/rate-limits; 0,0: none)",
    )


def stripe_limits_on(sandbox_url: str, limits: str) -> dict[str, dict[str, int]]:
    """Set the sandbox's rate limits (``"account,endpoint"``); returns the requests it has
    served so far, to subtract from ``stripe_requests`` afterwards."""
    account, endpoint = (int(n) for n in limits.split(","))
    config = {"account_rate_limit": account, "endpoint_rate_limit": endpoint}
    http_json(f"{sandbox_url}/_sandbox/config", json.dumps(config).encode())
    return http_json(f"{sandbox_url}/_sandbox/summary")["api_requests"]


def stripe_requests(sandbox_url: str, before: dict, donations: int) -> list[str]:
    """The project's requests to Stripe since ``before``, per endpoint and per donation."""
    now = http_json(f"{sandbox_url}/_sandbox/summary")["api_requests"]
    lines, served, limited = [], 0, 0
    for endpoint, counts in now.items():
        was = before.get(endpoint, {"served": 0, "rate_limited": 0})
        n, m = counts["served"] - was["served"], counts["rate_limited"] - was["rate_limited"]
        if n or m:
            lines.append(f"    {endpoint}: {n} served, {m} answered 429")
            served, limited = served + n, limited + m
    head = (
        f"  Stripe requests while webhooks arrived: {served} "
        f"({served / max(donations, 1):.4f} per donation), {limited} answered 429"
    )
    return [head, *lines]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def app_env(
    *, database_url: str, broker_url: str, webhook_secret: str, sandbox_url: str = ""
) -> dict[str, str]:
    """A production-like environment (DEBUG off) pointed at the given services.

    ``BENCHMARK_SETTINGS`` names another settings module to measure a variant (for example
    ``benchmarks.settings_plain_middleware``: the production stack without a shortcut)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=os.environ.get("BENCHMARK_SETTINGS", "config.settings"),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(38)[:50],
        ALLOWED_HOSTS=f"{HOST},localhost",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        # As in production: the cache shared by every process is Redis (the broker's
        # database, flushed with it).
        CACHE_URL=broker_url if broker_url.startswith("redis") else "locmemcache://",
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_API_BASE=sandbox_url or f"http://{HOST}:9",
        STRIPE_WEBHOOK_SECRET=webhook_secret,
        ALLOW_STRIPE_SANDBOX="1",
        # Plain HTTP on the loopback: no redirect to HTTPS.
        SECURE_SSL_REDIRECT="0",
        EMAIL_URL="dummymail://",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def http_json(url: str, data: bytes | None = None, headers: dict | None = None, timeout=60):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


# Subprocesses ------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    proc: subprocess.Popen
    log: Path
    url: str = ""

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class Stack:
    services: list[Service] = field(default_factory=list)

    def __enter__(self) -> Stack:
        self._logs = tempfile.TemporaryDirectory(prefix="bench-logs-")
        # Ctrl-C and SIGTERM end the run through __exit__ (even when started in the
        # background, where SIGINT arrives ignored).
        self._previous = (
            signal.signal(signal.SIGTERM, _raise_exit),
            signal.signal(signal.SIGINT, signal.default_int_handler),
        )
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        signal.signal(signal.SIGTERM, self._previous[0])
        signal.signal(signal.SIGINT, self._previous[1])
        self._logs.cleanup()

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Service:
        log = Path(self._logs.name) / f"{name}.log"
        with log.open("ab") as out:  # a replaced service writes on after the old one
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        service = Service(name, proc, log)
        self.services.append(service)
        return service

    def stop(self) -> None:
        """TERM each service's leader (gunicorn and Celery shut down their children), then
        KILL whatever is left of its process group."""
        for service in reversed(self.services):
            with contextlib.suppress(ProcessLookupError):
                service.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for service in reversed(self.services):
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.proc.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(service.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.proc.wait(5)
        self.services.clear()

    def check(self) -> None:
        for service in self.services:
            if service.proc.poll() is not None:
                raise RuntimeError(
                    f"{service.name} exited with {service.proc.returncode}:\n{service.tail()}"
                )

    def groups(self) -> dict[str, int]:
        return {service.name: service.proc.pid for service in self.services}

    # The three services --------------------------------------------------------------------

    def sandbox(self, env: dict[str, str]) -> Service:
        port = free_port()
        env = {**env, "SANDBOX_WEBHOOK_URL": ""}  # no delivery: the benchmark delivers
        argv = [sys.executable, "-m", "benchmarks._sandbox", "--port", str(port)]
        service = self.spawn("sandbox", argv, env)
        service.url = f"http://{HOST}:{port}"
        self._wait_http(service, service.url + "/")
        return service

    def with_sandbox(
        self, *, database_url: str, broker_url: str, webhook_secret: str
    ) -> tuple[dict[str, str], Service]:
        """Start the Stripe sandbox; returns the app's environment pointed at it, and it."""
        env = app_env(database_url=database_url, broker_url=broker_url,
                      webhook_secret=webhook_secret)  # fmt: skip
        sandbox = self.sandbox(env)
        env = app_env(database_url=database_url, broker_url=broker_url,
                      webhook_secret=webhook_secret, sandbox_url=sandbox.url)  # fmt: skip
        return env, sandbox

    def gunicorn(self, env: dict[str, str], *, workers: int, threads: int = 1) -> Service:
        # With DEBUG off, pages name static files by their collected, hashed names.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        port = free_port()
        argv = [str(BIN / "gunicorn"), "config.wsgi", "--config", "python:config.gunicorn"]
        argv += ["-b", f"{HOST}:{port}", "-w", str(workers)]
        if threads > 1:
            argv += ["-k", "gthread", "--threads", str(threads)]
        service = self.spawn("gunicorn", argv, env)
        service.url = f"http://{HOST}:{port}"
        self._wait_http(service, service.url + "/healthz")
        return service

    def celery(
        self, env: dict[str, str], *, concurrency: int, pool: str = "prefork", nice: int = 10
    ) -> Service:
        argv = [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "-c",
            str(concurrency),
            "-P",
            pool,
            "--without-gossip",
            "--without-mingle",
        ]
        if nice:  # as the Procfile runs it: web requests before background work
            argv = ["nice", "-n", str(nice), *argv]
        service = self.spawn("celery", argv, env)
        self._wait_celery(service, env["CELERY_BROKER_URL"])
        return service

    def beat(self, env: dict[str, str], *, entries: list[str] | None = None) -> Service:
        """Celery beat with the project's schedule (``CELERY_BEAT_SCHEDULE``), or only its
        ``entries`` (``_beat_app``); its state file among the logs so every run starts
        afresh."""
        schedule = Path(self._logs.name) / "celerybeat-schedule"
        app = "config"
        if entries:
            app = "_beat_app"
            path = [str(ROOT / "benchmarks"), *filter(None, [env.get("PYTHONPATH")])]
            env = {
                **env,
                "BENCH_BEAT_ENTRIES": ",".join(entries),
                "PYTHONPATH": os.pathsep.join(path),
            }
        argv = [str(BIN / "celery"), "-A", app, "beat", "-l", "warning", "-s", str(schedule)]
        service = self.spawn("beat", argv, env)
        time.sleep(1)
        self.check()
        return service

    def kill(self, service: Service) -> None:
        """``kill -9`` a service's whole process group (a crash, not a shutdown) and forget
        it; start a new one with the same method to replace it."""
        self.services.remove(service)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(service.proc.pid, signal.SIGKILL)
        service.proc.wait(10)

    def _wait_http(self, service: Service, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service.name} did not answer {url}:\n{service.tail()}")
            time.sleep(0.2)

    def _wait_celery(self, service: Service, broker_url: str, timeout: float = 60) -> None:
        from celery import Celery

        app = Celery(broker=broker_url)
        deadline = time.monotonic() + timeout
        try:
            while not app.control.ping(timeout=0.5):
                self.check()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"celery worker not ready:\n{service.tail()}")
        finally:
            app.close()


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# CPU accounting ----------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _processes(groups: dict[str, int]) -> dict[tuple[int, int], tuple[str, float]]:
    """Every process on the machine: (pid, start time) -> (its group's name, CPU seconds)."""
    by_group = {pgid: name for name, pgid in groups.items()}
    me = os.getpid()
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        pgrp, seconds = int(rest[2]), (int(rest[11]) + int(rest[12])) / TICK
        if pgrp in by_group:
            name = by_group[pgrp]
        elif int(entry.name) == me:
            name = "load generator"
        elif comm.startswith("postgres") or comm.startswith("postmaster"):
            name = "postgres"
        elif comm.startswith("redis-server"):
            name = "redis"
        else:
            name = "other"
        found[int(entry.name), int(rest[19])] = (name, seconds)
    return found


def _machine_busy() -> float:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def cpu_snapshot(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) so far, per named process group, plus "postgres" (every
    PostgreSQL process on the machine, whatever the database), "redis", "load generator"
    (this process), "other" and "machine" (busy time of all CPUs, from /proc/stat)."""
    totals = dict.fromkeys([*groups, "postgres", "redis", "load generator", "other"], 0.0)
    for name, seconds in _processes(groups).values():
        totals[name] += seconds
    totals["machine"] = _machine_busy()
    return totals


class CpuTracker:
    """CPU seconds per group over a long interval in which processes come and go (a worker
    killed and replaced, database connections dropped, a server restarted): ``/proc`` is
    read every ``interval`` seconds in a thread, and a process that has exited counts with
    its last reading. ``sample()`` reads it at once (just before killing something);
    ``stop()`` returns ``(before, after)`` for ``cpu_report``."""

    def __init__(self, groups: Callable[[], dict[str, int]], interval: float = 1.0) -> None:
        import threading

        self._groups, self._interval = groups, interval
        self._lock, self._stopped = threading.Lock(), threading.Event()
        current = self._read()
        self._first = {key: seconds for key, (_, seconds) in current.items()}
        self._last = dict(current)
        self._names = [*groups(), "postgres", "redis", "load generator", "other"]
        self._machine = _machine_busy()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self) -> dict[tuple[int, int], tuple[str, float]]:
        return _processes(self._groups())

    def sample(self) -> None:
        current = self._read()
        with self._lock:
            for key, (name, seconds) in current.items():
                # A process keeps the group it was first seen in (a killed worker's pid is
                # no longer among the groups when its last reading is kept).
                self._last[key] = (self._last.get(key, (name, 0.0))[0], seconds)
            self._names += [n for n in self._groups() if n not in self._names]

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.sample()

    def stop(self) -> tuple[dict[str, float], dict[str, float]]:
        self._stopped.set()
        self._thread.join()
        self.sample()
        before = dict.fromkeys(self._names, 0.0)
        after = dict.fromkeys(self._names, 0.0)
        for key, (name, seconds) in self._last.items():
            before[name] += self._first.get(key, 0.0)  # 0 for a process started meanwhile
            after[name] += seconds
        before["machine"], after["machine"] = self._machine, _machine_busy()
        return before, after


def cpu_report(before: dict[str, float], after: dict[str, float], wall: float) -> list[str]:
    """Lines: CPU seconds per group over the interval, and as % of the machine's capacity."""
    capacity = wall * (os.cpu_count() or 1)
    lines = []
    for name in after:
        used = after[name] - before.get(name, 0.0)
        if name == "machine" or used < 0.005:
            continue
        lines.append(f"  {name:16s} {used:7.1f} CPU-s  {100 * used / capacity:5.1f}% of capacity")
    busy = after["machine"] - before["machine"]
    seen = sum(after[name] - before.get(name, 0.0) for name in after if name != "machine")
    if busy - seen > 0.05 * capacity:
        # Processes that ended within the interval (short-lived PostgreSQL backends, for
        # one) or other work on the machine.
        lines.append(
            f"  {'unattributed':16s} {busy - seen:7.1f} CPU-s  "
            f"{100 * (busy - seen) / capacity:5.1f}% of capacity (processes that exited)"
        )
    lines.append(f"  {'all (machine)':16s} {busy:7.1f} CPU-s  {100 * busy / capacity:5.1f}% busy")
    other = after["other"] - before.get("other", 0.0)
    if other > 0.05 * capacity:
        lines.append(
            f"  note: other processes used {100 * other / capacity:.0f}% of the machine meanwhile;"
            " the figures above are pessimistic"
        )
    return lines


# Load generation ---------------------------------------------------------------------------


class HttpConnection:
    """One HTTP/1.1 client connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.writer is not None:
            try:
                return await self._send(data)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed the idle keep-alive connection: once more, fresh.
                self.close()
        await self._open()
        try:
            return await self._send(data)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            raise

    async def _send(self, data: bytes) -> tuple[int, bytes]:
        self.writer.write(data)
        return await self._response()

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection") == "close" or version == "HTTP/1.0":
            self.close()
        return int(status), body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    def record(self, status: int, body: bytes, latency: float) -> None:
        if status == 200:
            self.ok += 1
        else:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{status} {body[:200]!r}")
        self.latencies.append(latency)

    def fail(self, error: Exception) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(repr(error))

    def add(self, other: LoadResult) -> None:
        """Count another slice of the same measurement in this one."""
        self.sent += other.sent
        self.ok += other.ok
        self.errors += other.errors
        self.elapsed += other.elapsed
        self.latencies += other.latencies
        self.error_samples += other.error_samples


def request_bytes(
    method: str, url_path: str, host: str, body: bytes = b"", headers: dict | None = None
) -> bytes:
    lines = [f"{method} {url_path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def closed_loop(
    url: str,
    make_request: Callable[[int], bytes],
    *,
    clients: int,
    duration: float | None = None,
    total: int | None = None,
    on_response: Callable[[int, bytes], None] | None = None,
) -> LoadResult:
    """``clients`` connections each send the next request as soon as the previous one is
    answered, until ``duration`` seconds have passed or ``total`` requests were sent."""
    host, port = _host_port(url)
    result, counter = LoadResult(), iter(range(total if total is not None else sys.maxsize))
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + duration if duration is not None else float("inf")

    async def client() -> None:
        conn = HttpConnection(host, port)
        try:
            for i in counter:
                if loop.time() >= deadline:
                    return
                data = make_request(i)
                result.sent += 1
                sent_at = loop.time()
                try:
                    status, body = await conn.request(data)
                except (OSError, asyncio.IncompleteReadError) as error:
                    result.fail(error)
                    continue
                result.record(status, body, loop.time() - sent_at)
                if on_response is not None:
                    on_response(status, body)
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed = loop.time() - start
    return result


async def open_loop(
    url: str,
    make_request: Callable[[int], bytes],
    *,
    rate: float,
    duration: float,
    max_connections: int = 256,
) -> LoadResult:
    """Send ``rate`` requests a second on schedule for ``duration`` seconds, whatever the
    answers; latency runs from each request's scheduled time to its response."""
    host, port = _host_port(url)
    result = LoadResult()
    loop = asyncio.get_running_loop()
    idle: list[HttpConnection] = []
    slots = asyncio.Semaphore(max_connections)

    async def one(i: int, scheduled: float) -> None:
        async with slots:
            conn = idle.pop() if idle else HttpConnection(host, port)
            try:
                status, body = await conn.request(make_request(i))
            except (OSError, asyncio.IncompleteReadError) as error:
                conn.close()
                result.fail(error)
                return
            result.record(status, body, loop.time() - scheduled)
            idle.append(conn)

    count = int(rate * duration)
    start = loop.time() + 0.05
    tasks = []
    for i in range(count):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        result.sent += 1
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    result.elapsed = loop.time() - start
    for conn in idle:
        conn.close()
    return result


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = url.split("//", 1)[1].partition(":")
    return host, int(port.rstrip("/"))
