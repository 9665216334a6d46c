"""The buyer's side of a launch in the JSON API, for the mobile pages and a mini program: log in with an SMS code,
the launch and its grid, favourites, select, the order, the subscription form and the deposit."""

from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from yunlou.accounts.buyers import LOGIN_PURPOSE, SessionBearer, buyer_login
from yunlou.accounts.phone_codes import RESEND_AFTER_SECONDS, phone_code_request
from yunlou.catalogue.models import Project
from yunlou.core.audit import client_ip
from yunlou.core.errors import Forbidden, NotFound
from yunlou.core.schemas import ErrorOut, FreeText, Id, Identifier, require_json
from yunlou.launch.models import LaunchEntry, Order, Pledge
from yunlou.launch.services.buyers import (
    buyer_pledge,
    buyer_select,
    entry_batch,
    favourites_set,
    launch_grid,
    launch_public_get,
)
from yunlou.launch.services.contracts import order_contract_sign
from yunlou.launch.services.orders import (
    order_deposit_payment_start,
    order_for_buyer,
    order_subscription_form_sign,
)
from yunlou.launch.services.pledges import pledge_online_start

router = Router(tags=["launch"])

# The mobile pages send the session cookie (and a CSRF token); a mini program sends its token as a bearer header.
BUYER_AUTH = [SessionBearer(), django_auth]


class PhoneIn(Schema):
    phone: Identifier = Field(max_length=20)


class LoginIn(Schema):
    phone: Identifier = Field(max_length=20)
    code: Identifier = Field(pattern=r"^\d{6}$")
    token: bool = Field(False, description="a mini program: answer with a token to send as `Authorization: Bearer`")


class CodeOut(Schema):
    sent: bool
    resend_after_seconds: int


class BuyerOut(Schema):
    phone: str = Field(description="masked")
    token: str | None = Field(None, description="when asked for: the session, for a client without cookies")


@router.post("/buyers/codes", response={202: CodeOut, 400: ErrorOut, 415: ErrorOut, 429: ErrorOut},
             summary="Send a login code to a buyer's phone")
def buyer_code(request: HttpRequest, body: PhoneIn):
    require_json(request)
    phone_code_request(phone=body.phone, purpose=LOGIN_PURPOSE, ip=client_ip(request))
    return Status(202, {"sent": True, "resend_after_seconds": RESEND_AFTER_SECONDS})


@router.post("/buyers/session", response={201: BuyerOut, 400: ErrorOut, 403: ErrorOut, 415: ErrorOut},
             summary="Log a buyer in with phone and code; any other session of theirs ends")
def buyer_session(request: HttpRequest, body: LoginIn):
    require_json(request)
    user = buyer_login(request=request, phone=body.phone, code=body.code)
    return Status(201, {"phone": user.masked_phone, "token": request.session.session_key if body.token else None})


class MyStatusOut(Schema):
    logged_in: bool
    pledge_number: str | None = None
    pledge_status: str | None = None
    eligible: bool = False
    place: int | None = Field(None, description="lottery place, once drawn")
    batch_number: int | None = Field(None, description="分批选房: the caller's batch, once drawn")
    batch_starts_at: datetime | None = None
    batch_ends_at: datetime | None = None


class LaunchOut(Schema):
    id: int
    name: str
    project_id: int
    project: str
    starts_at: datetime
    ends_at: datetime
    server_time: datetime = Field(description="to sync the countdown")
    per_buyer_limit: int
    hold_minutes: int
    deposit: int = Field(description="fen")
    rehearsal_starts_at: datetime | None
    rehearsal_ends_at: datetime | None
    list_digest: str
    seed_commitment: str
    me: MyStatusOut


def _me(request: HttpRequest, launch) -> tuple[MyStatusOut, Pledge | None]:
    pledge = buyer_pledge(user=request.user, project_id=launch.project_id)
    if pledge is None:
        return MyStatusOut(logged_in=request.user.is_authenticated), None
    entry = LaunchEntry.objects.filter(launch=launch, pledge=pledge).first()
    batch = entry_batch(launch, entry)
    return MyStatusOut(logged_in=True, pledge_number=pledge.number, pledge_status=pledge.status,
                       eligible=entry is not None, place=entry.place if entry else None,
                       batch_number=batch.number if batch else None,
                       batch_starts_at=batch.starts_at if batch else None,
                       batch_ends_at=batch.ends_at if batch else None), pledge


@router.get("/launches/{launch_id}", response={200: LaunchOut, 404: ErrorOut}, summary="A launch, with the "
            "server's time and the caller's pledge")
def launch_detail(request: HttpRequest, launch_id: Id):
    launch = launch_public_get(launch_id=launch_id)
    me, _pledge = _me(request, launch)
    return {**{field: getattr(launch, field) for field in (
        "id", "name", "project_id", "starts_at", "ends_at", "per_buyer_limit", "hold_minutes", "deposit",
        "rehearsal_starts_at", "rehearsal_ends_at", "list_digest", "seed_commitment")},
        "project": launch.project.name, "server_time": timezone.now(), "me": me}


class GridUnitOut(Schema):
    unit_id: int
    code: str
    building: str
    floor: int
    area: str
    price: int = Field(description="the filed price, fen")
    status: str
    token: str | None = Field(description="what `select` takes; given only while the caller may select")
    favourite_rank: int | None


@router.get("/launches/{launch_id}/units", response={200: list[GridUnitOut], 404: ErrorOut},
            summary="The launch's units as the caller sees them")
def launch_units(request: HttpRequest, launch_id: Id):
    launch = launch_public_get(launch_id=launch_id)
    pledge = buyer_pledge(user=request.user, project_id=launch.project_id)
    return [unit.__dict__ for unit in launch_grid(launch=launch, pledge=pledge)]


class FavouritesIn(Schema):
    unit_ids: list[Id] = Field(max_length=20)


def _pledge_or_refuse(request: HttpRequest, launch) -> Pledge:
    pledge = buyer_pledge(user=request.user, project_id=launch.project_id)
    if pledge is None:
        raise Forbidden(_("Pledge for this project first."), code="not_pledged")
    return pledge


@router.put("/launches/{launch_id}/favourites", auth=BUYER_AUTH,
            response={200: list[int], 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
            summary="收藏: the caller's favourite units, most wanted first")
def favourites_put(request: HttpRequest, launch_id: Id, body: FavouritesIn):
    launch = launch_public_get(launch_id=launch_id)
    favourites = favourites_set(pledge=_pledge_or_refuse(request, launch), launch_id=launch.pk,
                                unit_ids=body.unit_ids)
    return [favourite.launch_unit.unit_id for favourite in favourites]


class SelectIn(Schema):
    token: Identifier = Field(min_length=8, max_length=32)


class OrderOut(Schema):
    id: int
    launch_id: int
    unit_id: int
    unit: str
    status: str
    is_rehearsal: bool
    price: int = Field(description="fen")
    held_until: datetime
    subscription_form_signed: bool
    deposit_paid: bool

    @staticmethod
    def of(order: Order) -> dict:
        return {"id": order.pk, "launch_id": order.launch_id, "unit_id": order.unit_id, "unit": order.unit.code,
                "status": order.status, "is_rehearsal": order.is_rehearsal, "price": order.price,
                "held_until": order.held_until,
                "subscription_form_signed": order.subscription_form_signed_at is not None,
                "deposit_paid": order.deposit_paid_at is not None}


@router.post("/launches/{launch_id}/selections", auth=BUYER_AUTH,
             response={201: OrderOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
             summary="选房: hold a unit; 409 `taken` carries the next favourite still available in `details.next`")
def select(request: HttpRequest, launch_id: Id, body: SelectIn):
    order = buyer_select(user=request.user, launch_id=launch_id, token=body.token, ip=client_ip(request))
    return Status(201, OrderOut.of(order))


def _own_order(request: HttpRequest, order_id: int) -> tuple[Pledge, Order]:
    """The caller's order; another buyer's answers exactly like a missing one."""
    # An imported pledge is the buyer's by its phone until their account is joined to it.
    mine = Q(pledge__buyer=request.user) | Q(pledge__buyer__isnull=True, pledge__phone_hash=request.user.phone_hash)
    order = Order.objects.select_related("pledge").filter(mine, pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    return order.pledge, order_for_buyer(pledge=order.pledge, order_id=order_id)


@router.get("/orders/{order_id}", auth=BUYER_AUTH, response={200: OrderOut, 404: ErrorOut},
            summary="The caller's order (an overdue hold shows as expired)")
def order_detail(request: HttpRequest, order_id: Id):
    _pledge, order = _own_order(request, order_id)
    return OrderOut.of(order)


class SignatureIn(Schema):
    signature: Identifier = Field(max_length=700_000, description="signature_pad's PNG as a data URL")


@router.post("/orders/{order_id}/subscription-form", auth=BUYER_AUTH,
             response={200: OrderOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="认购书: sign the subscription form within the hold")
def subscription_form(request: HttpRequest, order_id: Id, body: SignatureIn):
    pledge, _order = _own_order(request, order_id)
    order = order_subscription_form_sign(pledge=pledge, order_id=order_id, signature=body.signature)
    return OrderOut.of(order)


class PaymentOut(Schema):
    pay_url: str
    amount: int = Field(description="fen")


@router.post("/orders/{order_id}/deposit", auth=BUYER_AUTH,
             response={201: PaymentOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
             summary="定金: open the deposit's payment; the buyer pays at `pay_url`")
def deposit(request: HttpRequest, order_id: Id):
    pledge, _order = _own_order(request, order_id)
    payment = order_deposit_payment_start(pledge=pledge, order_id=order_id)
    return Status(201, {"pay_url": payment.pay_url, "amount": payment.amount_fen})


class PledgeIn(Schema):
    name: FreeText = Field(min_length=1, max_length=30)
    id_number: Identifier = Field(max_length=20, description="mainland resident ID number, 18 characters")


class PledgeOut(Schema):
    number: str
    status: str
    amount: int = Field(description="fen")
    id_number: str = Field(description="masked")
    pay_url: str | None = None


@router.post("/projects/{project_id}/pledges", auth=BUYER_AUTH,
             response={201: PledgeOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
             summary="认筹: pledge with real-name details and pay online at `pay_url`")
def pledge_start(request: HttpRequest, project_id: Id, body: PledgeIn):
    if not Project.objects.filter(pk=project_id, is_published=True).exists():
        raise NotFound(_("No such project."), field="project_id")
    pledge, payment = pledge_online_start(user=request.user, project_id=project_id, name=body.name,
                                          id_number=body.id_number)
    return Status(201, {"number": pledge.number, "status": pledge.status, "amount": pledge.amount,
                        "id_number": pledge.masked_id_number, "pay_url": payment.pay_url})


@router.get("/projects/{project_id}/pledges/mine", auth=BUYER_AUTH, response={200: PledgeOut, 404: ErrorOut},
            summary="The caller's pledge for the project")
def pledge_mine(request: HttpRequest, project_id: Id):
    pledge = buyer_pledge(user=request.user, project_id=project_id)
    if pledge is None:
        raise NotFound(_("No such pledge."), field="project_id")
    return {"number": pledge.number, "status": pledge.status, "amount": pledge.amount,
            "id_number": pledge.masked_id_number}


class ContractOut(Schema):
    number: str
    sha256: str
    download_url: str


@router.post("/orders/{order_id}/contract", auth=BUYER_AUTH,
             response={201: ContractOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="签约: sign the purchase contract of a subscribed order")
def contract_sign(request: HttpRequest, order_id: Id, body: SignatureIn):
    pledge, _order = _own_order(request, order_id)
    contract = order_contract_sign(pledge=pledge, order_id=order_id, signature=body.signature)
    return Status(201, {"number": contract.number, "sha256": contract.sha256,
                        "download_url": reverse("contracts:download", args=[contract.number])})
