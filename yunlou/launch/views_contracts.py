"""Pages of the contract step: the buyer signs (and may cancel a hold), the signed PDF is downloaded by its buyer or
the staff who cover the project, anyone checks a copy on the public verify page, and staff refund an order (退房).

Buyer identity: until buyer login lands, `request.user` is taken to be the buyer's own User, and their pledge in a
project is found by `buyer_pledge_for`.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yunlou.accounts.models import Role
from yunlou.accounts.permissions import VIEW_PROJECT_CUSTOMERS
from yunlou.accounts.staff import Staff, request_staff, staff_required
from yunlou.core import ratelimit
from yunlou.core.audit import audit_record, client_ip
from yunlou.core.errors import DomainError, NotFound, ValidationFailed
from yunlou.core.money import format_yuan
from yunlou.launch.models import Contract, Order, Pledge, PledgeStatus
from yunlou.launch.services.contracts import contract_check, order_contract_sign
from yunlou.launch.services.refunds import REFUND_ROLES, order_cancel, order_refund

VERIFY_MAX_BYTES = 10 * 1024 * 1024
# A multipart body carries the file plus its boundaries and headers; anything much larger is refused unread.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
VERIFY_PER_IP_PER_HOUR = 30
PDF_MAGIC = b"%PDF-"


def buyer_pledge_for(request: HttpRequest, project_id: int) -> Pledge | None:
    """The logged-in buyer's pledge in the project (the one not refunded, else the latest), or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    pledges = Pledge.objects.filter(buyer=user, project_id=project_id).order_by("-created_at", "-pk")
    return pledges.exclude(status=PledgeStatus.REFUNDED).first() or pledges.first()


def _buyer_pledge_for_order(request: HttpRequest, order_id: int) -> Pledge:
    """The caller's pledge in the project of `order_id`; NotFound alike for a missing order and a stranger."""
    project_id = Order.objects.filter(pk=order_id).values_list("launch__project_id", flat=True).first()
    pledge = buyer_pledge_for(request, project_id) if project_id is not None else None
    if pledge is None:
        raise NotFound(_("No such order."), field="order_id")
    return pledge


# --- the buyer ---

@require_POST
def contract_sign(request: HttpRequest, order_id: int) -> HttpResponse:
    """The buyer's signature pad posts its PNG data URL as `signature`."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    pledge = _buyer_pledge_for_order(request, order_id)
    try:
        contract = order_contract_sign(pledge=pledge, order_id=order_id, signature=request.POST.get("signature", ""))
    except NotFound:
        raise
    except DomainError as error:
        return render(request, "launch/contracts/signed.html", {"problem": error.message}, status=error.status)
    # Back to the order, which now shows the signed contract and its download: a reload cannot sign again.
    return redirect("launch_buyer:order", contract.order_id)


@require_POST
def hold_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    pledge = _buyer_pledge_for_order(request, order_id)
    try:
        order = order_cancel(pledge=pledge, order_id=order_id)
    except NotFound:
        raise
    except DomainError as error:
        return render(request, "launch/contracts/cancelled.html", {"problem": error.message}, status=error.status)
    return render(request, "launch/contracts/cancelled.html", {"order": order})


# --- the signed PDF ---

def _staff_may_read(staff: Staff, contract: Contract) -> bool:
    """Managers, admins and finance of a covered project; a consultant only for their own customer's order."""
    order = contract.order
    if not staff.covers(order.launch.project):
        return False
    if staff.can(VIEW_PROJECT_CUSTOMERS) or staff.role == Role.FINANCE:
        return True
    return order.customer is not None and order.customer.owner_id == staff.user.pk


@require_GET
def contract_download(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    contract = (Contract.objects.select_related("order__launch__project", "order__pledge", "order__customer")
                .filter(number=number).first())
    if contract is None:
        raise NotFound(_("No such contract."))
    staff = request_staff(request)
    if staff is not None and _staff_may_read(staff, contract):
        # A staff member's copy carries the buyer's name: recorded like every other reveal.
        audit_record(action="contract.download", target=contract, actor=request.user,
                     project=contract.order.launch.project, request=request)
    elif contract.order.pledge.buyer_id != request.user.pk:
        raise NotFound(_("No such contract."))  # another buyer's contract answers like a missing one
    response = FileResponse(contract.pdf.open("rb"), content_type="application/pdf",
                            filename=f"{contract.number}.pdf")
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- the public verify page ---

def _uploaded_pdf(request: HttpRequest) -> bytes:
    """The uploaded file's bytes, refused unread past 10 MB, and refused when it is not a PDF at all."""
    too_large = ValidationFailed(_("The file is larger than %(size)s MB.") % {"size": VERIFY_MAX_BYTES // 2**20},
                                 field="file", code="file_too_large")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > VERIFY_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise too_large
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("Choose the contract's PDF file."), field="file", code="file_required")
    if upload.size > VERIFY_MAX_BYTES:
        raise too_large
    content = upload.read(VERIFY_MAX_BYTES + 1)
    if len(content) > VERIFY_MAX_BYTES:
        raise too_large
    # The header may follow a little junk (PDF readers allow 1 KB of it).
    if PDF_MAGIC not in content[:1024]:
        raise ValidationFailed(_("The file is not a PDF."), field="file", code="not_pdf")
    return content


# Anonymous, and it changes nothing but a per-IP counter: there is no session to forge a request for, and the
# CSRF check would parse the whole upload before the size check could refuse it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def contract_verify(request: HttpRequest) -> HttpResponse:
    context: dict = {"max_mb": VERIFY_MAX_BYTES // 2**20}
    status = 200
    if request.method == "POST":
        try:
            ratelimit.hit(f"contract_verify:ip:{client_ip(request)}", limit=VERIFY_PER_IP_PER_HOUR,
                          window_seconds=3_600, field="file",
                          message=_("Too many checks from your network; please try again later."))
            check = contract_check(pdf=_uploaded_pdf(request))
        except DomainError as error:
            context["problem"], status = error.message, error.status
        else:
            context["check"] = check
            if check.contract is not None:
                context.update(contract=check.contract, order=check.contract.order)
    return render(request, "launch/contracts/verify.html", context, status=status)


# --- staff: 退房 ---

@staff_required()
@require_http_methods(["GET", "POST"])
def order_refund_page(request: HttpRequest, order_id: int) -> HttpResponse:
    staff: Staff = request.staff
    order = (Order.objects.select_related("launch__project", "unit", "pledge").filter(pk=order_id).first())
    if order is None or not staff.covers(order.launch.project) or staff.role not in REFUND_ROLES:
        raise NotFound(_("No such order."))
    context: dict = {"order": order, "price": format_yuan(order.price), "reason": ""}
    status = 200
    if request.method == "POST":
        context["reason"] = request.POST.get("reason", "")
        try:
            context["result"] = order_refund(staff=staff, order_id=order.pk, reason=context["reason"],
                                             request=request)
            context["order"] = context["result"].order
        except DomainError as error:
            context["problem"], context["field"], status = error.message, error.field, error.status
    return render(request, "launch/contracts/refund.html", context, status=status)
