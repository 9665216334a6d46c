"""报备 throughput: the protection check against a project with 100,000 customers, in one process, on PostgreSQL.

What runs: `yunlou.brokers.services.referrals.referral_create` itself, called in a loop from this one process
(no HTTP: the figure is the service's — the check, the advisory lock, the lazy expiry, the insert and the audit
row), against a PostgreSQL database of its own (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_referral) that is dropped and created afresh at the start and dropped
at the end (`--keep` keeps it for a look with psql).

Seeded directly with the ORM: one organisation, one published project, `--customers` crm Customers
(bulk_create, so their keyed hashes — phone_hash, phone_key_34, phone_key_43 — are computed here the way
Customer.save computes them), `--brokers` active brokers, and `--existing` referrals by them (about a quarter
of them lapsed, the rest in their visit window). The rules: no daily cap, no lead time, a seven-day window.

Two passes of `--reports` calls each, by brokers taken in turn, with fresh random numbers of which about 10 %
(`--hit-rate`) are existing customers' numbers (refused as protected) and a few are numbers already reported
(refused too):
1. 前三后四 (the default number form; the broker types the masked number, as he would);
2. full number (a new rules version in force from then on; the broker types all 11 digits).

Each form is run twice: from one thread, and from `--threads` (default 4) threads of this same process, each
with its own database connection — how one server process with worker threads meets a burst of reports (a
report waits on PostgreSQL for most of its time, commit included, so one thread leaves the process idle).

Progress goes to stderr. The last line printed is one JSON object: reports_per_s, p50_ms, p99_ms, reports,
rejected, mode and threads of the slower threaded pass (the figure the target is judged by),
reports_per_s_one_thread (the slower single-thread pass), existing_customers, double_claims (people with two
exclusive live claims afterwards: must be 0) and every pass under `passes`. Target: reports_per_s ≥ 500.

Run: `.venv/bin/python bench/referral.py [--reports 5000] [--customers 100000] [--profile]`.
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._setup import log, percentile  # noqa: E402

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_referral")
BATCH = 5000
TARGET_PER_S = 500




def _admin(url: str):
    import psycopg

    parts = urlparse(url)
    return parts.path.lstrip("/"), psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True)


def database_create(url: str) -> None:
    name, connection = _admin(url)
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name, connection = _admin(url)
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_ready() -> None:
    if not DATABASE_URL.startswith("postgres"):
        sys.exit("this benchmark measures PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.pop("REDIS_URL", None)  # the service needs no cache or worker; keep the figure the database's
    os.environ["DJANGO_SETTINGS_MODULE"] = "yunlou.settings"
    os.environ["DJANGO_DEBUG"] = "0"
    database_create(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - started:.1f} s")


class Numbers:
    """Distinct random mobile numbers (1[3-9]x + 8 digits), never the same one twice in a run."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def fresh(self) -> str:
        while True:
            number = f"1{self.rng.randint(3, 9)}{self.rng.randint(0, 9)}{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.used:
                self.used.add(number)
                return number


def seed(*, customers: int, brokers: int, existing: int, numbers: Numbers, rng: random.Random) -> dict:
    from django.utils import timezone

    from yunlou.accounts.models import Organization, User
    from yunlou.brokers.models import Broker, BrokerStatus, Referral, ReferralRules, ReferralStatus, new_code
    from yunlou.brokers.phones import NumberMode, reported_number
    from yunlou.catalogue.models import Project
    from yunlou.core.crypto import blind_index
    from yunlou.core.phone import masked_keys
    from yunlou.crm.models import Customer

    now = timezone.now()
    organization = Organization.objects.create(name="报备压测")
    project = Project.objects.create(organization=organization, name="压测府", is_published=True)
    rules = ReferralRules.objects.create(project=project, version=1, number_mode=NumberMode.MASKED_34,
                                         daily_cap=0, lead_minutes=0, visit_window_value=7,
                                         created_at=now - datetime.timedelta(days=30))

    started = time.perf_counter()
    customer_phones: list[str] = []
    for offset in range(0, customers, BATCH):
        rows = []
        for n in range(offset, min(customers, offset + BATCH)):
            phone = numbers.fresh()
            customer_phones.append(phone)
            key_34, key_43 = masked_keys(phone)
            rows.append(Customer(project=project, name=f"客户{n}", phone=phone, phone_hash=blind_index(phone),
                                 phone_key_34=key_34, phone_key_43=key_43,
                                 created_at=now - datetime.timedelta(minutes=n)))
        Customer.objects.bulk_create(rows)
        log(f"customers: {offset + len(rows):,}")
    log(f"{customers:,} customers in {time.perf_counter() - started:.1f} s")

    users = []
    for n in range(brokers):
        user = User(username=f"bench-broker-{n}", phone=numbers.fresh(), display_name=f"经纪{n}")
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    broker_rows = Broker.objects.bulk_create([
        Broker(organization=organization, user=user, real_name=user.display_name, status=BrokerStatus.ACTIVE)
        for user in users])

    referral_phones: list[str] = []
    rows = []
    masks: set[str] = set()  # 2,000 random numbers share a 前三后四 mask now and then: one claim per mask
    while len(rows) < existing:
        n = len(rows)
        phone = numbers.fresh()
        number = reported_number(phone, mode=NumberMode.MASKED_34)
        if number.identity_key in masks:
            continue
        masks.add(number.identity_key)
        referral_phones.append(phone)
        reported_at = now - datetime.timedelta(days=rng.uniform(0, 10))
        deadline = reported_at + datetime.timedelta(days=7)
        lapsed = deadline <= now
        rows.append(Referral(
            organization=organization, project=project, broker=broker_rows[n % brokers], rules=rules,
            customer_name=f"报备{n}", number_mode=number.mode, phone_shown=number.shown, phone="",
            identity_key=number.identity_key, key_full=None, key_34=number.key_34, key_43=None,
            key_33=number.key_33, is_exclusive=True,
            status=ReferralStatus.EXPIRED if lapsed else ReferralStatus.REPORTED,
            reported_at=reported_at, visit_deadline=deadline, visit_code=None if lapsed else new_code(10),
            ended_at=deadline if lapsed else None))
    Referral.objects.bulk_create(rows, batch_size=BATCH)
    log(f"{brokers} brokers, {existing:,} existing referrals")
    with_database_analyzed()
    return {"project": project, "users": users, "customer_phones": customer_phones,
            "referral_phones": referral_phones}


def with_database_analyzed() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def workload(count: int, *, hit_rate: float, world: dict, numbers: Numbers, rng: random.Random) -> list[str]:
    """The numbers to report: ~hit_rate existing customers, ~1 % already reported, the rest fresh."""
    phones = []
    for _ in range(count):
        draw = rng.random()
        if draw < hit_rate:
            phones.append(rng.choice(world["customer_phones"]))
        elif draw < hit_rate + 0.01:
            phones.append(rng.choice(world["referral_phones"]))
        else:
            phones.append(numbers.fresh())
    return phones


def run_pass(*, mode: str, phones: list[str], world: dict, profile: bool, threads: int = 1) -> dict:
    """Report every number once, from `threads` threads of this one process (each with its own database
    connection, as a server's worker threads would have)."""
    import threading

    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from yunlou.brokers.models import ReferralStatus
    from yunlou.brokers.phones import NumberMode
    from yunlou.brokers.services.referrals import referral_create

    users = world["users"]
    project_id = world["project"].pk
    typed = phones if mode == NumberMode.FULL else [f"{phone[:3]}****{phone[-4:]}" for phone in phones]
    # One report first, untimed, to count its database round trips.
    with CaptureQueriesContext(connection) as captured:
        referral_create(user=users[-1], project_id=project_id, customer_name="计数", phone=typed.pop())
    samples: list[float] = []
    counts = {"rejected": 0, "done": 0}
    lock = threading.Lock()
    started = time.perf_counter()

    def work(share: list[tuple[int, str]]) -> None:
        mine, rejected = [], 0
        try:
            for index, phone in share:
                begun = time.perf_counter()
                referral = referral_create(user=users[index % len(users)], project_id=project_id,
                                           customer_name=f"新客{index}", phone=phone)
                mine.append((time.perf_counter() - begun) * 1000)
                rejected += referral.status == ReferralStatus.REJECTED
                with lock:
                    counts["done"] += 1
                    if counts["done"] % 1000 == 0:
                        elapsed = time.perf_counter() - started
                        log(f"{mode} ×{threads}: {counts['done']:,} reports, {counts['done'] / elapsed:.0f}/s")
        finally:
            if threads > 1:
                connections.close_all()
            with lock:
                samples.extend(mine)
                counts["rejected"] += rejected

    numbered = list(enumerate(typed))
    shares = [numbered[start::threads] for start in range(threads)]
    profiler = cProfile.Profile() if profile and threads == 1 else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if threads == 1:
        work(shares[0])
    else:
        workers = [threading.Thread(target=work, args=(share,)) for share in shares]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
        log(out.getvalue())
    return {"mode": str(mode), "threads": threads, "reports": len(typed), "rejected": counts["rejected"],
            "seconds": round(elapsed, 2), "reports_per_s": round(len(typed) / elapsed, 1),
            "p50_ms": percentile(samples, 0.5, digits=2), "p99_ms": percentile(samples, 0.99, digits=2),
            # this process's own CPU per report (Python and the ORM); the rest of the wall time is the database
            "python_cpu_ms": round(cpu / len(typed) * 1000, 2),
            "round_trips_per_report": len(captured.captured_queries)}


def claims_check() -> dict:
    """After the run: no person has two exclusive live claims in the project, in any pair of number forms."""
    from django.db.models import Count

    from yunlou.brokers.models import CLAIMING_STATUSES, Referral

    live = Referral.objects.filter(status__in=CLAIMING_STATUSES, is_exclusive=True)
    doubled = live.values("project_id", "identity_key").annotate(n=Count("id")).filter(n__gt=1).count()
    return {"double_claims": doubled, "live_claims": live.count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=5000, help="reports per pass")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=2000, help="existing referrals")
    parser.add_argument("--brokers", type=int, default=50)
    parser.add_argument("--hit-rate", type=float, default=0.10, help="share of reports of existing customers")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="cProfile each pass (slower), to stderr")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads of this one process for the second pass of each form (the first has one)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    django_ready()
    try:
        from django.utils import timezone

        from yunlou.brokers.models import ReferralRules
        from yunlou.brokers.phones import NumberMode

        numbers = Numbers(rng)
        world = seed(customers=args.customers, brokers=args.brokers, existing=args.existing, numbers=numbers,
                     rng=rng)
        passes = []
        for mode in (NumberMode.MASKED_34, NumberMode.FULL):
            if mode != NumberMode.MASKED_34:
                current = ReferralRules.objects.filter(project=world["project"]).order_by("-version").first()
                current.pk, current.version = None, current.version + 1
                current.number_mode, current.created_at = mode, timezone.now()
                current.save()
            for threads in (1, args.threads):
                phones = workload(args.reports + 1, hit_rate=args.hit_rate, world=world, numbers=numbers, rng=rng)
                result = run_pass(mode=mode, phones=phones, world=world, profile=args.profile, threads=threads)
                log(json.dumps(result))
                passes.append(result)
        threaded = [result for result in passes if result["threads"] == args.threads]
        one_thread = [result for result in passes if result["threads"] == 1]
        slowest = min(threaded, key=lambda result: result["reports_per_s"])
        summary = {**{key: slowest[key] for key in ("reports_per_s", "p50_ms", "p99_ms", "reports", "rejected",
                                                     "mode", "threads")},
                   "reports_per_s_one_thread": min(result["reports_per_s"] for result in one_thread),
                   "existing_customers": args.customers, "existing_referrals": args.existing,
                   "brokers": args.brokers, "target_reports_per_s": TARGET_PER_S, **claims_check(),
                   "passes": passes, "profiled": args.profile}
    finally:
        if not args.keep:
            database_drop(DATABASE_URL)
    print(json.dumps(summary, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
