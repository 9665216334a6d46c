"""What the brokers' API takes and answers (a broker's mini program)."""

from datetime import datetime

from ninja import Field, Schema

from yunlou.core.schemas import FreeText, Id, Identifier, Moment


class JoinIn(Schema):
    invite_code: Identifier = Field(min_length=1, max_length=12)
    phone: Identifier = Field(max_length=20)
    code: Identifier = Field(pattern=r"^\d{6}$")
    real_name: FreeText = Field(min_length=1, max_length=30)
    agency_name: FreeText = Field("", max_length=60)
    token: bool = Field(False, description="a mini program: answer with a token to send as `Authorization: Bearer`")


class BrokerOut(Schema):
    id: int
    organization_id: int
    organization: str
    real_name: str
    status: str = Field(description="pending (awaiting approval), active or frozen")
    agency: str | None
    invite_code: str | None = Field(description="given once the broker is active")
    invite_url: str | None
    bank_account: str = Field(description="masked")
    token: str | None = Field(None, description="when asked for at joining: the session, for a client without "
                                                "cookies")


class ReportingProjectOut(Schema):
    id: int
    name: str
    number_mode: str = Field(description="full, m34 (前三后四) or m43 (前四后三)")
    number_example: str
    lead_minutes: int


class ReportIn(Schema):
    project_id: Id
    customer_name: FreeText = Field(min_length=1, max_length=30)
    phone: Identifier = Field(min_length=1, max_length=20, description="in the project's number form")
    intended_visit_at: Moment | None = None


class ReferralOut(Schema):
    id: int
    project_id: int
    project: str
    customer_name: str
    phone: str = Field(description="as the broker gave it: the full number or its mask")
    status: str
    message: str | None = Field(None, description="for a refused report: why, as the broker may know it")
    reported_at: datetime
    intended_visit_at: datetime | None
    visit_deadline: datetime | None = Field(description="while reported: the visit must come by then")
    visited_at: datetime | None
    protected_until: datetime | None


class ReferralDetailOut(ReferralOut):
    visit_code: str | None = Field(description="while reported: what the customer shows at the desk")


class TeamMemberOut(Schema):
    id: int
    real_name: str
    status: str
    joined_at: datetime
    report_count: int
    visit_count: int


class CommissionEntryOut(Schema):
    id: int
    referral_id: int
    project: str
    customer_name: str
    level: int = Field(description="1 direct, 2 second level")
    stage: str
    kind: str = Field(description="commission, or clawback (negative)")
    amount: int = Field(description="fen")
    status: str
    created_at: datetime


class CommissionsOut(Schema):
    pending: int = Field(description="fen")
    payable: int = Field(description="fen")
    paid: int = Field(description="fen")
    owed: int = Field(description="fen the broker owes back, positive")
    entries: list[CommissionEntryOut]


class LeaderOut(Schema):
    rank: int
    name: str = Field(description="masked: the family name only")
    visits: int
    deals: int
    is_me: bool


class AgencyAgentOut(Schema):
    id: int
    real_name: str
    status: str
    is_agency_manager: bool
    joined_at: datetime
    report_count: int
    visit_count: int
    deal_count: int = Field(description="reports that became a subscription or better")
    commission_pending: int = Field(description="fen")
    commission_payable: int = Field(description="fen")
    commission_paid: int = Field(description="fen")
    commission_owed: int = Field(description="fen the agent owes back, positive")


class AgencyReportOut(Schema):
    id: int
    agent_id: int
    agent: str
    project_id: int
    project: str
    customer_name: str
    phone: str = Field(description="masked (in full only for a number the manager reported in full himself)")
    status: str
    reported_at: datetime
    visit_deadline: datetime | None = Field(description="while reported: the visit must come by then")
    visited_at: datetime | None
    protected_until: datetime | None
