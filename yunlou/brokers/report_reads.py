"""The two reads behind a broker's report (报备), in SQL: brokers report in bursts (a launch's eve, a new project),
and through the ORM building the protection check's queries cost more than PostgreSQL took to answer them
(bench/referral.py under cProfile: about 8 ms of Python for 15 statements per report).

- `report_context`: the project, the caller's broker row in its organisation and the rules version in force —
  one statement.
- `report_check`: under the number's lock, everything the judgement needs — the broker's own claim on the person,
  another claim that blocks him, lapsed claims still to be expired, the broker's own earlier report (for
  `repeat_allowed`), whether the person is a lead, customer or pledged buyer (认筹) of the project (and has
  visited), and the broker's reports today — one statement.
"May be this person" here is `brokers.phones.same_person_q` written in SQL (the ORM's other readers use that):
every candidate shares the number's 3+3 key, read through the (project, key_33) index, then the table in
`phones` decides by the most specific form both sides show. On PostgreSQL both statements are prepared once per
connection.
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, models
from django.utils.dateparse import parse_time

from yunlou.brokers.models import CLAIMING_STATUSES, Broker, Referral, ReferralRules, ReferralStatus
from yunlou.brokers.phones import NumberMode, ReportedNumber
from yunlou.catalogue.models import Project
from yunlou.core.models import AuditLog
from yunlou.core.sql import insert_columns, moment, moment_param, prepared_cursor, table
from yunlou.crm.models import Customer
from yunlou.launch.models import Pledge, PledgeStatus

_RULE_FIELDS = [field for field in ReferralRules._meta.concrete_fields]


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
    reads next does)."""
    locking = connection.vendor == "postgresql"
    sql = _context_sql(connection.vendor, len(locks) if locking else 0)
    lock_params = [key for lock in locks for key in lock] if locking else []
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*lock_params, user_id, moment_param(now), project_id])
        row = cursor.fetchone()
    if row is None:
        return ReportContext(project=None, broker=None, rules=None)
    row = row[len(lock_params) // 2 + (connection.vendor == "postgresql"):]
    project_id, organization_id, broker_id, broker_status, upline_id, *rule_values = row
    project = Project(id=project_id, organization_id=organization_id)
    broker = None if broker_id is None else Broker(id=broker_id, organization_id=organization_id, user_id=user_id,
                                                   status=broker_status, upline_id=upline_id)
    rules = None
    if rule_values[0] is not None:
        rules = ReferralRules.from_db(connection.alias, [field.attname for field in _RULE_FIELDS],
                                      [_rule_value(field, value) for field, value in
                                       zip(_RULE_FIELDS, rule_values, strict=True)])
    for instance in (project, broker):
        if instance is not None:
            instance._state.adding = False
    return ReportContext(project=project, broker=broker, rules=rules)


@dataclass(frozen=True)
class ReportCheck:
    own_claim: bool  # the broker's own live claim on the person
    blocking_claim: bool  # another broker's live claim that excludes him
    lapsed_claims: bool  # claims whose time is up but are not yet marked expired
    own_before: bool  # the broker reported the person before (his report expired or lapsed)
    customer: int | None  # None: no lead, customer or pledged buyer of the project; 0: one who never visited;
    # 1: visited
    today: int  # the broker's reports of the project since the day began


# `phones.same_person_q` for alias r, after `r.project_id = %s AND r.key_33 = %s`; and `phones.customer_q` for
# alias c (customers and pledges alike carry phone_hash, phone_key_34, phone_key_43).
_SAME_PERSON_SQL = {
    NumberMode.FULL: "(r.key_full = %s OR (r.key_full IS NULL AND (r.key_34 = %s OR r.key_43 = %s)))",
    NumberMode.MASKED_34: "(r.key_34 = %s OR r.key_34 IS NULL)",
    NumberMode.MASKED_43: "(r.key_43 = %s OR r.key_43 IS NULL)",
}
_CUSTOMER_SQL = {NumberMode.FULL: "c.phone_hash = %s", NumberMode.MASKED_34: "c.phone_key_34 = %s",
                 NumberMode.MASKED_43: "c.phone_key_43 = %s"}


def _same_person_params(number: ReportedNumber) -> list:
    if number.mode == NumberMode.FULL:
        return [number.key_full, number.key_34, number.key_43]
    return [number.key_34 if number.mode == NumberMode.MASKED_34 else number.key_43]


def _customer_params(number: ReportedNumber) -> list:
    return [{NumberMode.FULL: number.key_full, NumberMode.MASKED_34: number.key_34,
             NumberMode.MASKED_43: number.key_43}[number.mode]]


@lru_cache(maxsize=16)
def _check_sql(vendor: str, mode: str) -> str:
    same, customer = _SAME_PERSON_SQL[mode], _CUSTOMER_SQL[mode]
    claiming = ", ".join(f"'{status}'" for status in CLAIMING_STATUSES)  # the model's constants, not input
    reported, visited, expired = ReferralStatus.REPORTED, ReferralStatus.VISITED, ReferralStatus.EXPIRED
    lapsed = (f"((r.status = '{reported}' AND r.visit_deadline <= %s) OR (r.status = '{visited}' AND "
              f"(r.protected_until <= %s OR r.deal_deadline <= %s)))")
    person = f"FROM {table(Referral)} r WHERE r.project_id = %s AND r.key_33 = %s AND {same}"
    return f"""
        SELECT
          EXISTS (SELECT 1 {person} AND r.status IN ({claiming}) AND NOT {lapsed} AND r.broker_id = %s),
          EXISTS (SELECT 1 {person} AND r.status IN ({claiming}) AND NOT {lapsed} AND r.broker_id <> %s
                     AND (r.status <> '{reported}' OR r.is_exclusive)),
          EXISTS (SELECT 1 {person} AND r.status IN ({claiming}) AND {lapsed}),
          EXISTS (SELECT 1 {person} AND r.broker_id = %s AND (r.status = '{expired}'
                     OR (r.status IN ({claiming}) AND {lapsed}))),
          (SELECT MAX(CASE WHEN c.first_visited_at IS NULL THEN 0 ELSE 1 END) FROM {table(Customer)} c
            WHERE c.project_id = %s AND {customer}),
          EXISTS (SELECT 1 FROM {table(Pledge)} c WHERE c.project_id = %s AND {customer}
                     AND c.status <> '{PledgeStatus.REFUNDED}'),
          (SELECT COUNT(*) FROM {table(Referral)} r WHERE %s AND r.broker_id = %s AND r.project_id = %s
              AND r.reported_at >= %s)"""


def report_check(*, project_id: int, broker_id: int, number: ReportedNumber, now: datetime.datetime,
                 day_start: datetime.datetime, count_today: bool = True) -> ReportCheck:
    """`count_today`: whether the day's reports are counted (only a daily cap needs them; without one the count
    was most of the statement's time in bench/referral.py)."""
    same_params = _same_person_params(number)
    customer_params = _customer_params(number)
    person_params = [project_id, number.key_33, *same_params]
    at = moment_param(now)
    sql = _check_sql(connection.vendor, number.mode)
    params = [*person_params, at, at, at, broker_id,
              *person_params, at, at, at, broker_id,
              *person_params, at, at, at,
              *person_params, broker_id, at, at, at,
              project_id, *customer_params,
              project_id, *customer_params,
              count_today, broker_id, project_id, moment_param(day_start)]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
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
    target = audit_columns.index(connection.ops.quote_name("target_id"))
    del audit_params[target]
    sql = _insert_sql(connection.vendor, columns, audit_columns, target)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, *audit_params])
        entry_id, referral_id = cursor.fetchone()
    referral.pk, entry.pk, entry.target_id = int(referral_id), entry_id, referral_id
    referral._state.adding = entry._state.adding = False
