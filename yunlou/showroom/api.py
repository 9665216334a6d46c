"""What a mini program needs beyond the catalogue: the consultant card, SMS codes, consultations, mortgages."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from yunlou.accounts.phone_codes import RESEND_AFTER_SECONDS, phone_code_request
from yunlou.catalogue.schemas import media_url
from yunlou.catalogue.services.price_list import MAX_PRICE_FEN
from yunlou.core.audit import client_ip
from yunlou.core.errors import ValidationFailed
from yunlou.core.schemas import ErrorOut, FreeText, Id, Identifier, require_json
from yunlou.crm.services.consultations import NAME_MAX, QUESTION_MAX, ConsultationInput
from yunlou.showroom import selectors
from yunlou.showroom.middleware import visitor_token
from yunlou.showroom.mortgage import LoanKind, MortgageInputError, RepaymentMethod, mortgage_plan
from yunlou.showroom.services import consultation_file
from yunlou.showroom.visit import visit_for

router = Router(tags=["showroom"])


class ConsultantOut(Schema):
    id: int
    name: str
    title: str
    photo: str | None
    phone: str
    wechat_qr: str | None


class ConsultantCardOut(Schema):
    visitor_id: str = Field(description="send it back as the X-Visitor-Id header on later calls")
    is_bound: bool
    consultant: ConsultantOut | None


@router.get("/projects/{project_id}/consultant", response={200: ConsultantCardOut, 404: ErrorOut},
            summary="The consultant card for this visitor; `s` is a share code to bind through")
def consultant_card(request: HttpRequest, project_id: Id, s: Identifier = Query("", max_length=12)):
    project = selectors.showroom_project(project_id=project_id)
    visit = visit_for(request, project)
    consultant = visit.consultant
    return {
        "visitor_id": visitor_token(request.visitor_id),
        "is_bound": visit.is_bound,
        "consultant": None if consultant is None else {
            "id": consultant.pk, "name": consultant.display_name or consultant.username, "title": consultant.title,
            "photo": media_url(request, consultant.avatar), "phone": consultant.phone,
            "wechat_qr": media_url(request, consultant.wechat_qr),
        },
    }


class CodeIn(Schema):
    phone: Identifier = Field(max_length=20)


class CodeOut(Schema):
    sent: bool
    resend_after_seconds: int


@router.post("/sms/codes", response={202: CodeOut, 400: ErrorOut, 415: ErrorOut, 429: ErrorOut},
             summary="Send an SMS code that proves the caller holds the phone (for consultations)")
def sms_code(request: HttpRequest, body: CodeIn):
    require_json(request)
    phone_code_request(phone=body.phone, purpose="consultation", ip=client_ip(request))
    return Status(202, {"sent": True, "resend_after_seconds": RESEND_AFTER_SECONDS})


class ConsultationIn(Schema):
    name: FreeText = Field(min_length=1, max_length=NAME_MAX)
    phone: Identifier = Field(max_length=20)
    code: Identifier = Field(pattern=r"^\d{6}$")
    question: FreeText = Field("", max_length=QUESTION_MAX)
    preferred_visit_at: datetime | None = None
    unit_id: Id | None = None
    share_code: Identifier = Field("", max_length=12, description=(
        "the share code the mini program was opened with: a broker's reports the visitor for him (全民经纪)"))


class ConsultationOut(Schema):
    id: int
    consultant: str | None
    preferred_visit_at: datetime | None
    visit_code: str | None = Field(description="when a broker's link reported the visitor: the code to show at "
                                               "the sales office's desk")


@router.post("/projects/{project_id}/consultations",
             response={201: ConsultationOut, 400: ErrorOut, 404: ErrorOut, 415: ErrorOut, 429: ErrorOut},
             summary="购房咨询: a question with a verified phone, filed with the visitor's consultant")
def consultation_create(request: HttpRequest, project_id: Id, body: ConsultationIn):
    require_json(request)
    project = selectors.showroom_project(project_id=project_id)
    if body.preferred_visit_at is not None and body.preferred_visit_at.tzinfo is None:
        raise ValidationFailed(_("Give the visit time with its time zone, e.g. 2026-12-05T10:00:00+08:00."),
                               field="preferred_visit_at")
    fields = body.dict()
    share_code = fields.pop("share_code")
    consultation, referral = consultation_file(
        project=project, data=ConsultationInput(**fields), visitor_id=request.visitor_id, ip=client_ip(request),
        offered_consultant=visit_for(request, project).consultant, link=share_code)
    consultant = consultation.consultant
    return Status(201, {"id": consultation.pk, "consultant": str(consultant) if consultant else None,
                        "preferred_visit_at": consultation.preferred_visit_at,
                        "visit_code": referral.visit_code if referral is not None else None})


class MortgageQuery(Schema):
    price: int = Field(gt=0, le=MAX_PRICE_FEN, description="total price, fen")
    # Decimals with the precision the calculator page takes: a rate of 1e-308 % is no rate, and its arithmetic
    # divides by zero.
    down_payment_percent: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    years: int = Field(30, ge=1, le=30)
    kind: LoanKind = LoanKind.COMMERCIAL
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENT
    commercial_rate: Decimal = Field(ge=0, le=24, max_digits=5, decimal_places=3, description="annual %")
    provident_fund_rate: Decimal = Field(ge=0, le=24, max_digits=5, decimal_places=3, description="annual %")
    provident_fund_amount: int | None = Field(None, gt=0, le=MAX_PRICE_FEN, description="fen, combined loans only")


class LoanPartOut(Schema):
    kind: str
    principal: int
    annual_rate: Decimal
    first_payment: int
    last_payment: int
    total_interest: int
    total_repayment: int


class MortgageOut(Schema):
    price: int
    down_payment: int
    loan_amount: int
    months: int
    first_payment: int
    last_payment: int
    total_interest: int
    total_repayment: int
    parts: list[LoanPartOut]


@router.get("/mortgage", response={200: MortgageOut, 400: ErrorOut}, summary="房贷计算器 (all money in fen)")
def mortgage(request: HttpRequest, query: Query[MortgageQuery]):
    try:
        plan = mortgage_plan(**query.dict())
    except MortgageInputError as exc:
        raise ValidationFailed(exc.message, field=exc.field) from exc
    return plan


