"""A surge of donations with faults: the whole stack on this machine, the public reading its
totals meanwhile, and the books checked to the cent afterwards.

    python benchmarks/surge.py [--donations 100000] [--clients 16] [--readers 32]
        [--duplicates 0.05] [--web-workers 2] [--web-threads 16] [--celery threads:4]
        [--faults worker:0.2,redis:0.45,database:0.7] [--claim-timeout 20]
        [--beat drain] [--redis-db 12] [--timeout 1800]

Runs the Stripe sandbox (no webhook delivery of its own), gunicorn (DEBUG off, production
settings from the environment, the Procfile's gunicorn settings and process sizes), a
Celery worker (at nice 10, as the Procfile runs it), Celery beat, PostgreSQL (a fresh database)
and Redis (broker and cache, database ``--redis-db``, flushed before and after). Beat runs
the project's every-minute drain (``stripe-events-drain``), which recovers events whose
drain could not be scheduled and claims older than ``STRIPE_EVENT_CLAIM_TIMEOUT`` (set here
to ``--claim-timeout`` seconds). ``--beat all`` runs the whole schedule instead; then
reconciliation posts, every ten minutes, what the webhooks have not yet, and stores events
Stripe lists as undelivered (all of them: the sandbox delivers none here) before their
webhooks arrive, so the figures are no longer those of the webhook path.

The sandbox creates ``--donations`` succeeded charges (amounts cycling through
``--amounts``); their ``charge.succeeded`` events are read back, a fraction ``--duplicates``
sent twice, everything shuffled (``--seed``), and POSTed signed to ``/stripe/webhook/`` by
``--clients`` closed-loop clients. As Stripe does, a delivery answered with anything but 2xx
(or not at all within ``--webhook-timeout``) is sent again, freshly signed, after a short
backoff, until it gets a 2xx. Meanwhile ``--readers`` clients read ``/transparency.json`` in
a closed loop (the published releases, which do not move with gifts), and once a second the
books (journal transactions keyed ``stripe:…``) and the public money raised (the home page's
"raised so far", gifts before fees: the one live public figure) are sampled.

Faults, each once, when that fraction of the deliveries has been answered:

* ``worker``: ``kill -9`` the Celery worker's process group; a new worker starts 2 s later;
* ``redis``: restart the machine's Redis server on 127.0.0.1:6379 as CI runs it
  (``shutdown nosave``, then ``redis-server --daemonize yes … --save "" --appendonly no``):
  the broker's queue, the cache and the drain flag are gone, for every database on it;
* ``database``: ``pg_terminate_backend`` every connection to the benchmark's database.

Reported: donations per second from the first webhook sent to the last posting recorded
(the journal's ``recorded_at``); webhook latency per attempt (p50, p99, max), non-2xx
answers and retries; ``/transparency.json`` latency and non-200 answers during the surge;
the lag from payment to the public money raised (for each public sample, how long the
oldest donation it does not show yet had been recorded in the books) and from the last
posting to the public figure showing it; each fault with its time; CPU by process group;
and the money check: the books equal the sandbox to the cent (gross, fees, net),
``verify_ledger`` exits 0, as many charges recorded and journal transactions keyed
``stripe:…`` as donations, every event stored once and processed, every delivery answered
2xx in the end, every duplicate answered as one. Exits non-zero unless the money check is
exact. Targets, reported and not asserted: at least 200 donations a second end to end,
webhook p99 under 200 ms and transparency p99 under 100 ms during the surge.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import contextlib
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from _setup import fresh_database, machine
from _stack import (
    CpuTracker,
    HttpConnection,
    Stack,
    add_traffic_arguments,
    cpu_report,
    flush_redis,
    http_json,
    request_bytes,
    sign,
    stripe_limits_on,
    stripe_requests,
)
from donations_end_to_end import charge_events, create_charges, money_checks, posted_count

DATABASE = "bench_surge"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
SECRET = "whsec_bench_surge"
REDIS_PORT = "6379"
DRAIN_ENTRY = "stripe-events-drain"
# A fault's errors are those seen from its start until this long after it ended.
FAULT_WINDOW = 30.0


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _ms(values: list[float]) -> str:
    return (
        f"p50 {_percentile(values, 50) * 1000:.1f} ms, p99 {_percentile(values, 99) * 1000:.1f} ms,"
        f" max {max(values, default=float('nan')) * 1000:.0f} ms"
    )


@dataclass
class Fault:
    name: str
    fraction: float
    started: float = float("nan")  # seconds after the first webhook
    delivered: float = float("nan")  # fraction of the deliveries answered by then
    ended: float = float("nan")
    detail: str = ""


@dataclass
class Run:
    """Everything measured; times are ``time.time()`` unless named relative."""

    args: argparse.Namespace
    bodies: list[bytes]
    event_of: list[str]  # delivery index -> event id
    expected: int
    expected_gross: int
    faults: list[Fault]
    start: float = 0.0  # the first webhook sent
    delivered: int = 0
    deliveries_done: float = 0.0
    attempts: int = 0
    webhook_latencies: list[float] = field(default_factory=list)
    webhook_errors: list[tuple[float, str]] = field(default_factory=list)
    answers: dict[str, collections.Counter] = field(default_factory=dict)
    failed_attempts: collections.Counter = field(default_factory=collections.Counter)
    reader_latencies: list[float] = field(default_factory=list)
    reader_errors: list[tuple[float, str]] = field(default_factory=list)
    books: list[tuple[float, int]] = field(default_factory=list)
    public: list[tuple[float, int]] = field(default_factory=list)  # time, money raised
    books_complete: float = 0.0  # when the sampler saw every donation posted
    public_final: float = 0.0  # when the home page first showed them all
    public_seen: int | None = None  # the last money raised read, in cents
    timed_out: str = ""

    def rel(self, moment: float) -> float:
        return moment - self.start


# Faults ------------------------------------------------------------------------------------


class Faults:
    """The three faults, run in a thread while the load goes on."""

    def __init__(self, run: Run, stack: Stack, env: dict[str, str], worker, args) -> None:
        self.run, self.stack, self.env, self.worker, self.args = run, stack, env, worker, args
        self.cpu: CpuTracker | None = None

    def worker_crash(self) -> str:
        pid = self.worker.proc.pid
        self.stack.kill(self.worker)
        killed = time.time()
        time.sleep(2)
        pool, _, concurrency = self.args.celery.partition(":")
        self.worker = self.stack.celery(self.env, concurrency=int(concurrency or 1), pool=pool)
        return (
            f"kill -9 of the worker's process group (pid {pid}); a new worker (pid "
            f"{self.worker.proc.pid}) answered a ping {time.time() - killed:.1f} s later"
        )

    def redis_restart(self) -> str:
        stopped = time.time()
        subprocess.run(
            ["redis-cli", "-p", REDIS_PORT, "shutdown", "nosave"],
            capture_output=True,
            timeout=30,
        )
        while _redis_answers():
            time.sleep(0.05)
        down = time.time()
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                REDIS_PORT,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=30,
        )
        deadline = time.time() + 60
        while not _redis_answers():
            if time.time() > deadline:
                raise RuntimeError("Redis did not answer PING within 60 s of its restart")
            time.sleep(0.05)
        up = time.time()
        return (
            f"shutdown nosave, new server answered PING {up - stopped:.2f} s later "
            f"(down {up - down:.2f} s); broker queue, cache and drain flag lost"
        )

    def database_terminate(self) -> str:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [DATABASE],
            ).fetchall()
        return f"pg_terminate_backend on {sum(1 for (ok,) in rows if ok)} connections"

    def inject(self, fault: Fault) -> None:
        action = {
            "worker": self.worker_crash,
            "redis": self.redis_restart,
            "database": self.database_terminate,
        }[fault.name]
        if self.cpu is not None:
            self.cpu.sample()  # the last reading of whatever is about to end
        fault.started = self.run.rel(time.time())
        fault.delivered = self.run.delivered / len(self.run.bodies)
        try:
            fault.detail = action()
        except Exception as error:  # noqa: BLE001 - reported; the run goes on
            fault.detail = f"FAILED to inject: {error!r}"
        fault.ended = self.run.rel(time.time())
        print(
            f"  fault {fault.name} at {fault.started:.1f} s: {fault.detail}",
            file=sys.stderr,
            flush=True,
        )


def _redis_answers() -> bool:
    result = subprocess.run(
        ["redis-cli", "-p", REDIS_PORT, "ping"], capture_output=True, text=True, timeout=10
    )
    return result.stdout.strip() == "PONG"


# The load ----------------------------------------------------------------------------------


class Books:
    """The sampler's own connection to the books; it reconnects after the fault that
    terminates every connection to the database."""

    def __init__(self, url: str) -> None:
        self.url, self.conn = url, None

    def posted(self) -> int | None:
        import psycopg

        try:
            if self.conn is None:
                self.conn = psycopg.connect(self.url, autocommit=True)
            return posted_count(self.conn)
        except psycopg.OperationalError:
            self.close()
            return None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None


async def deliver(run: Run, web_url: str) -> None:
    """Closed-loop webhook clients that retry each delivery until it is answered 2xx."""
    args, host_port = run.args, web_url.split("//", 1)[1]
    host, _, port = host_port.partition(":")
    indices = iter(range(len(run.bodies)))

    async def client() -> None:
        conn = HttpConnection(host, int(port))
        try:
            for i in indices:
                body, failures = run.bodies[i], 0
                while True:
                    headers = {
                        "Content-Type": "application/json",
                        "Stripe-Signature": sign(SECRET, body),
                    }
                    data = request_bytes("POST", "/stripe/webhook/", host_port, body, headers)
                    sent = time.time()
                    run.attempts += 1
                    try:
                        status, answer = await asyncio.wait_for(
                            conn.request(data), args.webhook_timeout
                        )
                    except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
                        conn.close()
                        status, answer = 0, type(error).__name__.encode()
                    answered = time.time()
                    run.webhook_latencies.append(answered - sent)
                    if 200 <= status < 300:
                        duplicate = bool(json.loads(answer).get("duplicate"))
                        run.answers.setdefault(run.event_of[i], collections.Counter())[
                            "duplicate" if duplicate else "stored"
                        ] += 1
                        break
                    run.webhook_errors.append((answered, str(status or answer.decode())))
                    run.failed_attempts[run.event_of[i]] += 1
                    failures += 1
                    await asyncio.sleep(min(2.0, 0.05 * 2**failures))
                run.delivered += 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(args.clients)))
    run.deliveries_done = time.time()


async def read_public(run: Run, web_url: str, stop: asyncio.Event) -> None:
    """Closed-loop readers of /transparency.json until ``stop``."""
    host_port = web_url.split("//", 1)[1]
    host, _, port = host_port.partition(":")
    data = request_bytes("GET", "/transparency.json", host_port)

    async def reader() -> None:
        conn = HttpConnection(host, int(port))
        try:
            while not stop.is_set():
                sent = time.time()
                try:
                    status, _ = await asyncio.wait_for(conn.request(data), 30)
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
                    conn.close()
                    run.reader_errors.append((time.time(), type(error).__name__))
                    await asyncio.sleep(0.1)
                    continue
                answered = time.time()
                run.reader_latencies.append(answered - sent)
                if status != 200:
                    run.reader_errors.append((answered, str(status)))
        finally:
            conn.close()

    await asyncio.gather(*(reader() for _ in range(run.args.readers)))


RAISED = re.compile(rb"Raised so far \(gifts before fees\)</dt><dd>\$([\d,]+)\.(\d\d)</dd>")


async def public_raised(conn: HttpConnection, host_port: str) -> int | None:
    """Money raised so far, in cents, as the home page shows it (in English)."""
    request = request_bytes("GET", "/", host_port, headers={"Accept-Language": "en"})
    try:
        status, body = await asyncio.wait_for(conn.request(request), 30)
    except (OSError, asyncio.IncompleteReadError, TimeoutError):
        conn.close()
        return None
    found = RAISED.search(body) if status == 200 else None
    if found is None:
        return None
    return int(found.group(1).replace(b",", b"")) * 100 + int(found.group(2))


async def sample(run: Run, web_url: str, books: Books, stack: Stack) -> None:
    """Every ``--sample`` seconds: the books and the public money raised, until every
    donation is posted; once every delivery is answered, the public figure every 0.1 s as
    well, to see when it first shows every donation."""
    host_port = web_url.split("//", 1)[1]
    host, _, port = host_port.partition(":")
    conn = HttpConnection(host, int(port))
    next_sample = last_report = 0.0
    try:
        while not (run.books_complete and run.public_final):
            await asyncio.sleep(0.1 if run.deliveries_done else run.args.sample)
            now = time.time()
            regular = now >= next_sample
            if regular:
                next_sample = now + run.args.sample
                posted = await asyncio.to_thread(books.posted)
                if posted is not None:
                    run.books.append((time.time(), posted))
                    if posted >= run.expected and not run.books_complete:
                        run.books_complete = run.books[-1][0]
            if regular or run.deliveries_done:
                raised = await public_raised(conn, host_port)
                if raised is not None:
                    run.public_seen = raised
                    if regular:
                        run.public.append((time.time(), raised))
                    if raised >= run.expected_gross and not run.public_final:
                        run.public_final = time.time()
            if now - last_report >= 10:
                last_report = now
                print(
                    f"  {run.rel(now):6.0f} s: delivered {run.delivered}/{len(run.bodies)}, "
                    f"posted {run.books[-1][1] if run.books else '?'}/{run.expected}, "
                    f"public raised {run.public[-1][1] if run.public else '?'}, webhook errors "
                    f"{len(run.webhook_errors)}, reader errors {len(run.reader_errors)}",
                    file=sys.stderr,
                    flush=True,
                )
            if run.books_complete and now - run.books_complete > 120:
                return  # the public figure never showed every donation: reported
            if now - run.start > run.args.timeout:
                run.timed_out = (
                    f"{run.books[-1][1] if run.books else '?'} of {run.expected} posted "
                    f"after {run.args.timeout:.0f} s"
                )
                return
            stack.check()
    finally:
        conn.close()


async def surge(run: Run, web_url: str, database_url: str, stack: Stack, faults: Faults) -> None:
    books = Books(database_url)
    stop_readers = asyncio.Event()
    run.start = time.time()
    readers = asyncio.create_task(read_public(run, web_url, stop_readers))
    deliveries = asyncio.create_task(deliver(run, web_url))
    sampler = asyncio.create_task(sample(run, web_url, books, stack))

    async def inject_faults() -> None:
        for fault in sorted(run.faults, key=lambda f: f.fraction):
            while run.delivered < fault.fraction * len(run.bodies) and not deliveries.done():
                await asyncio.sleep(0.05)
            await asyncio.to_thread(faults.inject, fault)

    injector = asyncio.create_task(inject_faults())
    try:
        await sampler
        if not run.timed_out:
            await asyncio.wait_for(deliveries, max(1.0, run.start + run.args.timeout - time.time()))
            await injector
    except TimeoutError:
        run.timed_out = f"deliveries not all answered after {run.args.timeout:.0f} s"
    finally:
        stop_readers.set()
        for task in (deliveries, injector, sampler):
            task.cancel()
        await asyncio.gather(readers, deliveries, injector, sampler, return_exceptions=True)
        books.close()


# After the surge ---------------------------------------------------------------------------


def settle_events(expected: int, timeout: float) -> tuple[dict[str, int], float]:
    """Wait until every stored event is processed (a claim a dead worker left behind is
    taken again by beat's drain once older than the claim timeout); returns the statuses
    and the seconds waited."""
    from django.db import connections
    from django.db.models import Count

    from donations.models import StripeEvent

    connections.close_all()
    started = time.time()
    while True:
        counts = dict(StripeEvent.objects.values_list("status").annotate(n=Count("id")).order_by())
        if counts == {"processed": expected} or time.time() - started > timeout:
            return counts, time.time() - started
        time.sleep(1)


def recorded_times(database_url: str) -> tuple[list[float], list[int]]:
    """When each donation was posted, in the order of the journal, and the money raised
    (gifts before fees) once it was."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM t.recorded_at), -p.amount "
            "FROM ledger_journaltransaction t "
            "JOIN ledger_posting p ON p.transaction_id = t.id "
            "JOIN ledger_account a ON a.id = p.account_id "
            "WHERE t.idempotency_key LIKE 'stripe:%' AND a.code = 'income:donations' "
            "ORDER BY t.sequence"
        ).fetchall()
    raised, total = [], 0
    for _, gross in rows:
        total += gross
        raised.append(total)
    return [float(value) for value, _ in rows], raised


def retried_events() -> int:
    """Events processed more than once: taken again after a dead worker's claim lapsed, or
    retried after an error."""
    from donations.models import StripeEvent

    return StripeEvent.objects.filter(attempts__gt=1).count()


def reconciliation_runs() -> list[str]:
    from donations.models import ReconciliationRun

    return [
        f"{r.kind} {r.status}: checked {r.checked}, posted {r.posted}, mismatched {r.mismatched}"
        for r in ReconciliationRun.objects.order_by("pk")
    ]


def delivery_checks(run: Run) -> list[tuple[str, bool]]:
    """Every delivery answered 2xx in the end; no event stored twice; duplicates answered
    as duplicates. A delivery whose storing attempt was answered with an error (the event
    stored, the answer lost) is answered as a duplicate on its retry, which is right."""
    deliveries = collections.Counter(run.event_of)
    answered = sum(sum(c.values()) for c in run.answers.values())
    stored_twice = [e for e, c in run.answers.items() if c["stored"] > 1]
    never_stored = [
        e for e in deliveries if run.answers.get(e, {}).get("stored", 0) == 0
    ]  # answered only as duplicates
    unexplained = [e for e in never_stored if not run.failed_attempts[e]]
    duplicates_sent = len(run.event_of) - len(deliveries)
    duplicates_answered = sum(c["duplicate"] for c in run.answers.values())
    errors = collections.Counter(status for _, status in run.webhook_errors)
    return [
        (
            f"deliveries answered 2xx {answered} of {len(run.event_of)} "
            f"(after {len(run.webhook_errors)} failed attempts retried: {dict(errors)})",
            answered == len(run.event_of),
        ),
        (
            f"duplicates sent {duplicates_sent}, answered as duplicates {duplicates_answered} "
            f"= {duplicates_sent} + {len(never_stored)} whose storing attempt's answer was an "
            f"error; answered as stored twice: {len(stored_twice)}",
            duplicates_answered == duplicates_sent + len(never_stored)
            and not stored_twice
            and not unexplained,
        ),
    ]


# The run -----------------------------------------------------------------------------------


def parse_faults(text: str) -> list[Fault]:
    if text in ("", "none"):
        return []
    faults = []
    for item in text.split(","):
        name, _, fraction = item.partition(":")
        if name not in ("worker", "redis", "database"):
            raise SystemExit(f"unknown fault {name!r}: worker, redis or database")
        faults.append(Fault(name, float(fraction)))
    return faults


def prepare(sandbox_url: str, args) -> tuple[list[bytes], list[str]]:
    create_charges(sandbox_url, args.donations, args.amounts)
    events = charge_events(sandbox_url)
    assert len(events) == args.donations, (len(events), args.donations)
    rng = random.Random(args.seed)
    deliveries = events + rng.sample(events, round(args.duplicates * len(events)))
    rng.shuffle(deliveries)
    return deliveries, [json.loads(body)["id"] for body in deliveries]


def execute(args) -> tuple[Run, list[tuple[str, bool]], dict]:
    database_url = fresh_database(DATABASE, POSTGRES)
    from django.db import connections

    connections.close_all()  # the database was just dropped and created again
    broker_url = f"redis://127.0.0.1:{REDIS_PORT}/{args.redis_db}"
    flush_redis(broker_url)
    extra: dict = {}
    try:
        with Stack() as stack:
            env, sandbox = stack.with_sandbox(
                database_url=database_url, broker_url=broker_url, webhook_secret=SECRET
            )
            env["STRIPE_EVENT_CLAIM_TIMEOUT"] = str(args.claim_timeout)
            web = stack.gunicorn(env, workers=args.web_workers, threads=args.web_threads)
            pool, _, concurrency = args.celery.partition(":")
            worker = stack.celery(env, concurrency=int(concurrency or 1), pool=pool)
            stack.beat(env, entries=None if args.beat == "all" else [DRAIN_ENTRY])

            started = time.time()
            bodies, event_of = prepare(sandbox.url, args)
            print(
                f"{args.donations} charges and events ready in {time.time() - started:.1f} s; "
                f"delivering {len(bodies)} webhooks",
                file=sys.stderr,
                flush=True,
            )
            share, extra_one = divmod(args.donations, len(args.amounts))
            gross = sum((share + (i < extra_one)) * amount for i, amount in enumerate(args.amounts))
            run = Run(args, bodies, event_of, args.donations, gross, parse_faults(args.faults))
            faults = Faults(run, stack, env, worker, args)
            extra["load_before"] = os.getloadavg()
            requests_before = stripe_limits_on(sandbox.url, args.stripe_limits)
            faults.cpu = CpuTracker(stack.groups)
            asyncio.run(surge(run, web.url, database_url, stack, faults))
            extra["wall"] = time.time() - run.start
            extra["cpu"] = cpu_report(*faults.cpu.stop(), extra["wall"])

            statuses, waited = settle_events(
                args.donations, timeout=0 if run.timed_out else args.claim_timeout + 120
            )
            extra["statuses"], extra["settle_seconds"] = statuses, waited
            extra["recorded"], extra["recorded_raised"] = recorded_times(database_url)
            extra["reconciliation"] = reconciliation_runs()
            extra["retried"] = retried_events()
            extra["stripe_requests"] = stripe_requests(sandbox.url, requests_before, args.donations)
            checks = money_checks(sandbox.url, args.donations, env)
            checks += delivery_checks(run)
            if run.public_seen is not None:
                summary = http_json(f"{sandbox.url}/_sandbox/summary")["currencies"]["usd"]
                checks.append(
                    (
                        f"public money raised: {run.public_seen} cents "
                        f"= sandbox gross {summary['gross_charged']}",
                        run.public_seen == summary["gross_charged"],
                    )
                )
            if run.timed_out:
                checks.append((f"timed out: {run.timed_out}", False))
            stack.check()
            if args.logs:
                Path(args.logs).mkdir(parents=True, exist_ok=True)
                for service in stack.services:
                    shutil.copy(service.log, Path(args.logs) / service.log.name)
    finally:
        with contextlib.suppress(Exception):
            flush_redis(broker_url)
    return run, checks, extra


def lag(run: Run, recorded: list[float], raised: list[int]) -> tuple[list[float], float]:
    """For each public sample during the surge, how long the oldest donation it does not
    show yet had been in the books (0 when it shows all the books held); and from the last
    posting to the first public sample showing every donation. ``raised``: the money raised
    once each donation in ``recorded`` was posted.

    Not "how long ago the books reached the figure shown": while the books stand still (a
    worker restarting) that grows although the public figure is current."""
    lags = []
    for moment, shown in run.public:
        count = bisect.bisect_right(raised, shown)  # the donations the figure includes
        missing_since = recorded[count] if count < len(recorded) else moment
        lags.append(max(0.0, moment - missing_since))
        if shown >= run.expected_gross:
            break
    final = run.public_final - recorded[-1] if run.public_final and recorded else float("nan")
    return lags, final


def errors_by_fault(run: Run, errors: list[tuple[float, str]]) -> str:
    windows = collections.Counter()
    for moment, _ in errors:
        at = run.rel(moment)
        where = "outside any fault"
        for fault in run.faults:
            if fault.started <= at <= fault.ended + FAULT_WINDOW:
                where = fault.name
        windows[where] += 1
    return ", ".join(f"{n} {where}" for where, n in windows.items()) or "none"


def report(args, run: Run, checks: list[tuple[str, bool]], extra: dict) -> None:
    recorded = extra["recorded"]
    print(f"# surge, {dt.date.today()}, {machine()}")
    print(
        f"# PostgreSQL, Redis, gunicorn ({args.web_workers} workers x {args.web_threads} "
        f"threads), Celery worker ({args.celery}) and beat ({args.beat}), the Stripe sandbox, "
        f"all on this machine; STRIPE_EVENT_CLAIM_TIMEOUT={args.claim_timeout}"
    )
    print(
        f"# {args.donations} donations of {'/'.join(map(str, args.amounts))} cents, "
        f"{args.duplicates:.0%} delivered twice, shuffled (seed {args.seed}); "
        f"{args.clients} webhook clients, {args.readers} /transparency.json readers; "
        f"Stripe's limits (per account, per endpoint): {args.stripe_limits} requests/s"
    )
    load = extra["load_before"]
    print(f"# load average before the surge: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if run.timed_out:
        print(f"TIMED OUT: {run.timed_out}")
    if recorded:
        seconds = recorded[-1] - run.start
        print(
            f"end to end: {len(recorded)} donations from the first webhook to the last posting "
            f"in {seconds:.1f} s = {len(recorded) / seconds:.0f} donations/s (target >= 200)"
        )
        if run.deliveries_done:
            by_then = bisect.bisect_right(recorded, run.deliveries_done)
            print(
                f"  {by_then} posted by the time the last webhook was answered "
                f"({by_then / (run.deliveries_done - run.start):.0f}/s); the last "
                f"{len(recorded) - by_then} {recorded[-1] - run.deliveries_done:.1f} s later"
            )
    took = (run.deliveries_done or time.time()) - run.start
    print(
        f"webhooks: {len(run.bodies)} deliveries answered 2xx in {took:.1f} s "
        f"({len(run.bodies) / took:.0f}/s), {run.attempts} attempts; per attempt "
        f"{_ms(run.webhook_latencies)} (target p99 < 200 ms)"
    )
    errors = collections.Counter(status for _, status in run.webhook_errors)
    print(
        f"  failed attempts, each retried: {len(run.webhook_errors)} {dict(errors)}; "
        f"by fault: {errors_by_fault(run, run.webhook_errors)}"
    )
    reads = len(run.reader_latencies)
    errors = collections.Counter(status for _, status in run.reader_errors)
    print(
        f"transparency during the surge: {reads} reads ({reads / took:.0f}/s while webhooks "
        f"arrived and after), {_ms(run.reader_latencies)} (target p99 < 100 ms)"
    )
    print(
        f"  non-200 answers: {len(run.reader_errors)} {dict(errors)}; "
        f"by fault: {errors_by_fault(run, run.reader_errors)}"
    )
    lags, final = lag(run, recorded, extra["recorded_raised"])
    if lags:
        print(
            f"lag payment -> public money raised: p50 {_percentile(lags, 50):.2f} s, "
            f"max {max(lags):.2f} s over {len(lags)} samples; last posting -> public final "
            f"figure {final:.2f} s"
        )
    print("faults (seconds after the first webhook):")
    for fault in run.faults:
        print(
            f"  {fault.name:8s} due at {fault.fraction:.0%} of deliveries, began at "
            f"{fault.delivered:.0%}, {fault.started:6.1f} s -> {fault.ended:6.1f} s: {fault.detail}"
        )
    print(
        f"events after the surge: {extra['statuses']} "
        f"({extra['settle_seconds']:.0f} s after the books were complete); processed more "
        f"than once (a dead worker's claim taken again, or retried after an error): "
        f"{extra['retried']}"
    )
    for line in extra["reconciliation"]:
        print(f"  reconciliation run meanwhile: {line}")
    for line in extra["stripe_requests"]:
        print(line.strip() if not line.startswith("    ") else line)
    print(f"CPU from the first webhook to the public final figure ({extra['wall']:.0f} s):")
    for line in extra["cpu"]:
        print("  " + line)
    print("money check:")
    for label, ok in checks:
        print(f"  {'ok ' if ok else 'BAD'} {label}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--donations", type=int, default=100_000)
    add_traffic_arguments(parser, clients=16)
    parser.add_argument("--readers", type=int, default=32, help="/transparency.json clients")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=16)
    parser.add_argument("--celery", default="threads:4", help="pool:concurrency")
    parser.add_argument(
        "--faults",
        default="worker:0.2,redis:0.45,database:0.7",
        help="name:fraction of deliveries, comma separated (worker, redis, database); none",
    )
    parser.add_argument(
        "--beat",
        choices=("drain", "all"),
        default="drain",
        help="beat runs only the every-minute drain (default), or the whole schedule",
    )
    parser.add_argument(
        "--claim-timeout", type=int, default=20, help="STRIPE_EVENT_CLAIM_TIMEOUT (s)"
    )
    parser.add_argument("--webhook-timeout", type=float, default=30, help="per attempt (s)")
    parser.add_argument("--sample", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="give up after (s)")
    parser.add_argument("--redis-db", type=int, default=12, help="broker and cache db, flushed")
    parser.add_argument("--logs", default="", help="copy the services' logs to this directory")
    args = parser.parse_args()
    args.amounts = [int(a) for a in args.amounts.split(",")]

    run, checks, extra = execute(args)
    report(args, run, checks, extra)
    raise SystemExit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
