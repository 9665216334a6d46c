"""The two reads behind a broker's report (报备), in SQL: brokers report in bursts (a launch's eve, a new project),
and through the ORM building the protection check's queries cost more than PostgreSQL took to answer them
(bench/referral.py under cProfile: about 8 ms of Python for 15 statements per report).

- `report_context`: the project, the caller's broker row in its organisation and the rules version in force —
  one statement.
- `report_check`: under the number's lock, everything the judgement needs — the broker's own claim on the person,
  another claim that blocks him, lapsed claims still to be expired, the broker's own earlier report (for
  `repeat_allowed`), whether the person is a lead, customer or pledged buyer (认筹) of the project (and has
  visited), and the broker's reports today — one statement, one pass over the person's claims.
"May be this person" here is `brokers.phones.same_person_q` written in SQL (the ORM's other readers use that):
every candidate shares the number's 3+3 key, read through the (project, key_33) index, then the table in
`phones` decides by the most specific form both sides show. On PostgreSQL both statements are prepared once per
connection.

The report and its audit row are built without `Model(**kwargs)` and written as one statement (`report_insert`):
with that, a report costs about 1 ms of Python and 0.9 ms of PostgreSQL's CPU (bench/referral.py: 780–1,000
reports/s from four threads of one process on two cores; it was 2.3 ms and 1.4 ms).
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils.dateparse import parse_time

from yunlou.brokers.models import CLAIMING_STATUSES, Broker, Referral, ReferralRules, ReferralStatus
from yunlou.brokers.phones import NumberMode, ReportedNumber
from yunlou.catalogue.models import Project
from yunlou.core.models import AuditLog
from yunlou.core.sql import insert_columns, instance_read, moment, moment_param, prepared_cursor, table
from yunlou.crm.models import Customer
from yunlou.launch.models import Pledge, PledgeStatus

_RULE_FIELDS = [field for field in ReferralRules._meta.concrete_fields]
_RULE_ATTNAMES = [field.attname for field in _RULE_FIELDS]


def _rule_value(field: models.Field, value):
    """A raw column as the ORM would give it (SQLite hands back text for times and 0/1 for booleans)."""
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return moment(value)
    if isinstance(field, models.TimeField) and not isinstance(value, datetime.time):
        return parse_time(value)
    if isinstance(field, models.BooleanField):
        return bool(value)
    return value


@dataclass(frozen=True)
class ReportContext:
    project: Project | None
    broker: Broker | None
    rules: ReferralRules | None


@lru_cache(maxsize=16)
def _context_sql(vendor: str, locks: int) -> str:
    columns = ", ".join(f"r.{connection.ops.quote_name(field.column)}" for field in _RULE_FIELDS)
    # On PostgreSQL, for the rest of this transaction, the prepared statements that follow run on their generic
    # plan: the protection check has some forty parameters, and planning it afresh for each report (PostgreSQL's
    # choice for it) cost 1.4 ms where running it costs 0.1–0.3 ms (EXPLAIN ANALYZE on bench/referral.py's data).
    generic = "set_config('plan_cache_mode', 'force_generic_plan', true), " if vendor == "postgresql" else ""
    locking = "pg_advisory_xact_lock(%s, %s), " * locks
    return f"""
        SELECT {generic}{locking}p.id, p.organization_id, b.id, b.status, b.upline_id, {columns}
          FROM {table(Project)} p
          LEFT JOIN {table(Broker)} b ON b.organization_id = p.organization_id AND b.user_id = %s
          LEFT JOIN {table(ReferralRules)} r
                 ON r.id = (SELECT x.id FROM {table(ReferralRules)} x
                             WHERE x.project_id = p.id AND x.created_at <= %s ORDER BY x.version DESC LIMIT 1)
         WHERE p.id = %s"""


def report_context(*, user_id: int, project_id: int, now: datetime.datetime,
                   locks: tuple[tuple[int, int], ...] = ()) -> ReportContext:
    """The project, the caller's broker row and the rules in force; on PostgreSQL, taking the transaction's
    advisory `locks` in the same statement, in the order given (what this reads needs no lock; what the caller
    reads next does). The project and broker come back with only the columns read here (the rest deferred, as
    `.only()` would leave them)."""
    db = connections[DEFAULT_DB_ALIAS]
    on_postgresql = db.vendor == "postgresql"
    sql = _context_sql(db.vendor, len(locks) if on_postgresql else 0)
    lock_params = [key for lock in locks for key in lock] if on_postgresql else []
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*lock_params, user_id, moment_param(now), project_id])
        row = cursor.fetchone()
    if row is None:
        return ReportContext(project=None, broker=None, rules=None)
    row = row[len(lock_params) // 2 + on_postgresql:]
    project_id, organization_id, broker_id, broker_status, upline_id, *rule_values = row
    project = instance_read(Project, id=project_id, organization_id=organization_id)
    broker = None if broker_id is None else instance_read(
        Broker, id=broker_id, organization_id=organization_id, user_id=user_id, status=broker_status,
        upline_id=upline_id)
    rules = None
    if rule_values[0] is not None:
        if not on_postgresql:  # psycopg hands back what the ORM would; SQLite's raw rows need converting
            rule_values = [_rule_value(field, value) for field, value in zip(_RULE_FIELDS, rule_values, strict=True)]
        rules = ReferralRules.from_db(db.alias, _RULE_ATTNAMES, rule_values)
    return ReportContext(project=project, broker=broker, rules=rules)


@dataclass(frozen=True)
class ReportCheck:
    own_claim: bool  # the broker's own live claim on the person (one he typed)
    blocking_claim: bool  # a live claim that excludes him: another broker's, or one left by his link
    lapsed_claims: bool  # claims whose time is up but are not yet marked expired
    own_before: bool  # the broker reported (typed) the person before (his report expired or lapsed)
    customer: int | None  # None: no lead, customer or pledged buyer of the project; 0: one who never visited;
    # 1: visited
    today: int  # the broker's reports of the project since the day began


# `phones.same_person_q` for alias r, after `r.project_id = … AND r.key_33 = …`; and `phones.customer_q` for
# alias c (customers and pledges alike carry phone_hash, phone_key_34, phone_key_43).
_SAME_PERSON_SQL = {
    NumberMode.FULL: "(r.key_full = %(full)s OR (r.key_full IS NULL AND (r.key_34 = %(k34)s OR r.key_43 = %(k43)s)))",
    NumberMode.MASKED_34: "(r.key_34 = %(k34)s OR r.key_34 IS NULL)",
    NumberMode.MASKED_43: "(r.key_43 = %(k43)s OR r.key_43 IS NULL)",
}
_CUSTOMER_SQL = {NumberMode.FULL: "c.phone_hash = %(full)s", NumberMode.MASKED_34: "c.phone_key_34 = %(k34)s",
                 NumberMode.MASKED_43: "c.phone_key_43 = %(k43)s"}


@lru_cache(maxsize=16)
def _check_sql(vendor: str, mode: str) -> str:
    """One pass over the claims that may be this person (the (project, key_33) index), the customer and pledge
    look-ups and the day's count. Named parameters: each value is sent once however often it is used."""
    same, customer = _SAME_PERSON_SQL[mode], _CUSTOMER_SQL[mode]
    claiming = ", ".join(f"'{status}'" for status in CLAIMING_STATUSES)  # the model's constants, not input
    reported, visited, expired = ReferralStatus.REPORTED, ReferralStatus.VISITED, ReferralStatus.EXPIRED
    # `lapsed_q`: a deadline that is set and has passed (IS TRUE: an unset one never lapses, never NULL).
    lapsed = (f"((r.status = '{reported}' AND r.visit_deadline <= %(now)s) OR (r.status = '{visited}' AND "
              f"(r.protected_until <= %(now)s OR r.deal_deadline <= %(now)s))) IS TRUE")
    any_of = "MAX" if vendor == "sqlite" else "bool_or"  # SQLite has no bool_or; its booleans are 0 and 1
    return f"""
        SELECT COALESCE(claims.own, FALSE), COALESCE(claims.blocking, FALSE), COALESCE(claims.lapsed, FALSE),
               COALESCE(claims.own_before, FALSE),
          (SELECT MAX(CASE WHEN c.first_visited_at IS NULL THEN 0 ELSE 1 END) FROM {table(Customer)} c
            WHERE c.project_id = %(project)s AND {customer}),
          EXISTS (SELECT 1 FROM {table(Pledge)} c WHERE c.project_id = %(project)s AND {customer}
                     AND c.status <> '{PledgeStatus.REFUNDED}'),
          (SELECT COUNT(*) FROM {table(Referral)} r WHERE %(count_today)s AND r.broker_id = %(broker)s
              AND r.project_id = %(project)s AND r.reported_at >= %(day_start)s AND NOT r.via_link)
          FROM (SELECT {any_of}(r.claiming AND NOT r.lapsed AND r.mine) AS own,
                       {any_of}(r.claiming AND NOT r.lapsed AND NOT r.mine
                                AND (r.status <> '{reported}' OR r.is_exclusive)) AS blocking,
                       {any_of}(r.claiming AND r.lapsed) AS lapsed,
                       {any_of}(r.mine AND (r.status = '{expired}' OR (r.claiming AND r.lapsed))) AS own_before
                  FROM (SELECT r.status, r.is_exclusive, r.status IN ({claiming}) AS claiming, {lapsed} AS lapsed,
                               -- his own claim is one he typed; one the customer left by his link protects
                               -- the person from him like anyone's (he may not learn the number by it)
                               r.broker_id = %(broker)s AND NOT r.via_link AS mine
                          FROM {table(Referral)} r
                         WHERE r.project_id = %(project)s AND r.key_33 = %(key_33)s AND {same}) r) claims"""


def report_check(*, project_id: int, broker_id: int, number: ReportedNumber, now: datetime.datetime,
                 day_start: datetime.datetime, count_today: bool = True) -> ReportCheck:
    """`count_today`: whether the day's reports are counted (only a daily cap needs them; without one the count
    was most of the statement's time in bench/referral.py)."""
    db = connections[DEFAULT_DB_ALIAS]
    params = {"project": project_id, "key_33": number.key_33, "broker": broker_id, "now": moment_param(now),
              "day_start": moment_param(day_start), "count_today": count_today, "full": number.key_full,
              "k34": number.key_34, "k43": number.key_43}  # a form's statement uses the keys it compares
    with prepared_cursor() as cursor:
        cursor.execute(_check_sql(db.vendor, number.mode), params)
        own, blocking, lapsed_found, own_before, customer_found, pledged, today = cursor.fetchone()
    if customer_found is None and pledged:
        customer_found = 0  # a pledged buyer is the project's customer, visited or not
    return ReportCheck(own_claim=bool(own), blocking_claim=bool(blocking), lapsed_claims=bool(lapsed_found),
                       own_before=bool(own_before), customer=customer_found, today=today)


@lru_cache(maxsize=8)
def _insert_sql(vendor: str, columns: tuple[str, ...], audit_columns: tuple[str, ...], target: int) -> str:
    values = ["%s"] * len(audit_columns)
    values[target] = "r.id::text"
    return f"""
        WITH r AS (INSERT INTO {table(Referral)} ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})
                   RETURNING id)
        INSERT INTO {table(AuditLog)} ({", ".join(audit_columns)}) SELECT {", ".join(values)} FROM r
        RETURNING id, target_id"""


def report_insert(referral: Referral, entry: AuditLog) -> None:
    """The report and its audit row in one statement (PostgreSQL); the audit row takes the report's new id."""
    columns, params = insert_columns(referral)
    audit_columns, audit_params = insert_columns(entry)
    db = connections[DEFAULT_DB_ALIAS]
    target = audit_columns.index(db.ops.quote_name("target_id"))
    del audit_params[target]
    sql = _insert_sql(db.vendor, columns, audit_columns, target)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, *audit_params])
        entry_id, referral_id = cursor.fetchone()
    referral.pk, entry.pk, entry.target_id = int(referral_id), entry_id, referral_id
    referral._state.adding = entry._state.adding = False
