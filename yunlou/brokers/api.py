"""The referral network's JSON API (/api/v1/brokers/…): what a broker's mini program calls. The same reads and
writes as the broker's pages: join from an invite, the broker himself, the projects open to reports, his reports
(made and read), his team, his commissions and the leaderboard; an agency's manager, his agency's agents and their
reports. A broker working for several developers picks
one with `org`; without it, his first."""

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from yunlou.accounts.buyers import SessionBearer
from yunlou.brokers.models import Broker, BrokerStatus, Referral, ReferralStatus
from yunlou.brokers.schemas import (
    AgencyAgentOut,
    AgencyReportOut,
    BrokerOut,
    CommissionsOut,
    JoinIn,
    LeaderOut,
    ReferralDetailOut,
    ReferralOut,
    ReportIn,
    ReportingProjectOut,
    TeamMemberOut,
)
from yunlou.brokers.selectors import (
    agency_agents,
    agency_referrals,
    broker_commission_list,
    broker_commission_totals,
    broker_current,
    broker_leaderboard,
    broker_project_list,
    broker_referral_get,
    broker_referral_list,
    broker_team,
)
from yunlou.brokers.services.brokers import broker_join, invite_for
from yunlou.brokers.services.referrals import broker_for, broker_reject_message, referral_create, referral_phone_display
from yunlou.brokers.views_broker import device_id
from yunlou.core.audit import client_ip
from yunlou.core.schemas import ErrorOut, Id, require_json

router = Router(tags=["brokers"])

# The mobile pages send the session cookie (and a CSRF token); a mini program sends its token as a bearer header.
BROKER_AUTH = [SessionBearer(), django_auth]
MAX_REPORTS = 200


class OrgQuery(Schema):
    org: Id | None = None


class AgencyReportsQuery(OrgQuery):
    agent_id: Id | None = None


def _broker_out(request: HttpRequest, broker: Broker, token: str | None = None) -> dict:
    invite = invite_for(user=broker.user, organization=broker.organization) \
        if broker.status == BrokerStatus.ACTIVE else None
    return {"id": broker.pk, "organization_id": broker.organization_id, "organization": broker.organization.name,
            "real_name": broker.real_name, "status": broker.status,
            "agency": broker.agency.name if broker.agency_id else None,
            "invite_code": invite.code if invite else None,
            "invite_url": request.build_absolute_uri(reverse("brokers:join", args=[invite.code])) if invite else None,
            "bank_account": broker.masked_bank_account, "token": token}


def _referral_out(referral: Referral) -> dict:
    return {"id": referral.pk, "project_id": referral.project_id, "project": referral.project.name,
            "customer_name": referral.customer_name, "phone": referral_phone_display(referral),
            "status": referral.status,
            "message": broker_reject_message(referral) if referral.status == ReferralStatus.REJECTED else None,
            "reported_at": referral.reported_at, "intended_visit_at": referral.intended_visit_at,
            "visit_deadline": referral.visit_deadline if referral.status == ReferralStatus.REPORTED else None,
            "visited_at": referral.visited_at, "protected_until": referral.protected_until,
            "visit_code": referral.visit_code if referral.status == ReferralStatus.REPORTED else None}


def _active(request: HttpRequest, org: int | None) -> Broker:
    broker = broker_current(user=request.user, organization_id=org)
    return broker_for(user=request.user, organization_id=broker.organization_id)  # refuses a pending or frozen one


@router.post("/join", response={201: BrokerOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 415: ErrorOut,
                                429: ErrorOut},
             summary="Sign up from an invite with phone and SMS code (sent by /buyers/codes); awaits approval")
def join(request: HttpRequest, body: JoinIn):
    require_json(request)
    broker = broker_join(request=request, invite_code=body.invite_code, phone=body.phone, code=body.code,
                         real_name=body.real_name, agency_name=body.agency_name)
    return Status(201, _broker_out(request, broker, request.session.session_key if body.token else None))


@router.get("/me", auth=BROKER_AUTH, response={200: BrokerOut, 403: ErrorOut},
            summary="The caller as a broker: status (pending until approved) and invite link")
def me(request: HttpRequest, query: Query[OrgQuery]):
    return _broker_out(request, broker_current(user=request.user, organization_id=query.org))


@router.get("/projects", auth=BROKER_AUTH, response={200: list[ReportingProjectOut], 403: ErrorOut},
            summary="The projects taking reports, with the number form each asks for")
def projects(request: HttpRequest, query: Query[OrgQuery]):
    return [{"id": item.project.pk, "name": item.project.name, "number_mode": item.rules.number_mode,
             "number_example": item.number_example, "lead_minutes": item.rules.lead_minutes}
            for item in broker_project_list(broker=_active(request, query.org))]


@router.get("/reports", auth=BROKER_AUTH, response={200: list[ReferralOut], 403: ErrorOut},
            summary="报备: the caller's own reports, newest first (the latest 200)")
def reports(request: HttpRequest, query: Query[OrgQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    return [_referral_out(referral) for referral in broker_referral_list(broker=broker)[:MAX_REPORTS]]


@router.post("/reports", auth=BROKER_AUTH,
             response={201: ReferralDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                       429: ErrorOut},
             summary="报备 a customer: 201 with status `reported` and its visit code, or `rejected` with `message`")
def report(request: HttpRequest, body: ReportIn):
    referral = referral_create(user=request.user, project_id=body.project_id, customer_name=body.customer_name,
                               phone=body.phone, intended_visit_at=body.intended_visit_at,
                               device_id=device_id(request), ip=client_ip(request))
    return Status(201, _referral_out(referral))


@router.get("/reports/{referral_id}", auth=BROKER_AUTH, response={200: ReferralDetailOut, 403: ErrorOut,
                                                                   404: ErrorOut},
            summary="One of the caller's reports, with its visit code while it awaits the visit")
def report_detail(request: HttpRequest, referral_id: Id, query: Query[OrgQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    return _referral_out(broker_referral_get(broker=broker, referral_id=referral_id))


@router.get("/team", auth=BROKER_AUTH, response={200: list[TeamMemberOut], 403: ErrorOut},
            summary="The brokers who joined with the caller's invite (his downline)")
def team(request: HttpRequest, query: Query[OrgQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    return [{"id": member.pk, "real_name": member.real_name, "status": member.status,
             "joined_at": member.joined_at, "report_count": member.report_count, "visit_count": member.visit_count}
            for member in broker_team(broker=broker)[:MAX_REPORTS]]


@router.get("/commissions", auth=BROKER_AUTH, response={200: CommissionsOut, 403: ErrorOut},
            summary="The caller's commissions: totals by state (fen) and the latest 200 entries")
def commissions(request: HttpRequest, query: Query[OrgQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    totals = broker_commission_totals(broker=broker)
    entries = [{"id": entry.pk, "referral_id": entry.referral_id, "project": entry.referral.project.name,
                "customer_name": entry.subject, "level": entry.level, "stage": entry.stage,
                "kind": entry.kind, "amount": entry.amount, "status": entry.status, "created_at": entry.created_at}
               for entry in broker_commission_list(broker=broker)[:MAX_REPORTS]]
    return {"pending": totals.pending, "payable": totals.payable, "paid": totals.paid, "owed": totals.owed,
            "entries": entries}


@router.get("/leaderboard", auth=BROKER_AUTH, response={200: list[LeaderOut], 403: ErrorOut},
            summary="This month's top brokers of the organisation by visits and deals (names masked)")
def leaderboard(request: HttpRequest, query: Query[OrgQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    return [row.__dict__ for row in broker_leaderboard(broker=broker)]


@router.get("/agency/agents", auth=BROKER_AUTH, response={200: list[AgencyAgentOut], 403: ErrorOut, 404: ErrorOut},
            summary="An agency's manager: his agency's agents with reports, visits, deals and commissions (fen)")
def agency_agent_list(request: HttpRequest, query: Query[OrgQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    return [{"id": agent.broker.pk, "real_name": agent.broker.real_name, "status": agent.broker.status,
             "is_agency_manager": agent.broker.is_agency_manager, "joined_at": agent.broker.joined_at,
             "report_count": agent.report_count, "visit_count": agent.visit_count, "deal_count": agent.deal_count,
             "commission_pending": agent.commissions.pending, "commission_payable": agent.commissions.payable,
             "commission_paid": agent.commissions.paid, "commission_owed": agent.commissions.owed}
            for agent in agency_agents(broker=broker)]


@router.get("/agency/reports", auth=BROKER_AUTH, response={200: list[AgencyReportOut], 403: ErrorOut, 404: ErrorOut},
            summary="An agency's manager: his agents' reports (or one agent's), newest first, numbers masked")
def agency_report_list(request: HttpRequest, query: Query[AgencyReportsQuery]):
    broker = broker_current(user=request.user, organization_id=query.org)
    return [{"id": row.referral.pk, "agent_id": row.referral.broker_id, "agent": row.agent_name,
             "project_id": row.referral.project_id, "project": row.referral.project.name,
             "customer_name": row.referral.customer_name, "phone": row.phone, "status": row.referral.status,
             "reported_at": row.referral.reported_at,
             "visit_deadline": row.referral.visit_deadline if row.referral.status == ReferralStatus.REPORTED else None,
             "visited_at": row.referral.visited_at, "protected_until": row.referral.protected_until}
            for row in agency_referrals(broker=broker, agent_id=query.agent_id, limit=MAX_REPORTS)]
