"""Thin HTTP edges: the merchant's notification endpoint, and the sandbox gateway's API and pay page."""

import json
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yunlou.core.money import format_yuan
from yunlou.payments import sandbox
from yunlou.payments import wechatpay_protocol as protocol
from yunlou.payments.config import sandbox_enabled, wechatpay_config
from yunlou.payments.models import SandboxTradeState, SandboxTransaction
from yunlou.payments.services import NotificationRejected, payment_notification_handle


@csrf_exempt
@require_POST
def wechat_notify(request: HttpRequest) -> HttpResponse:
    """WeChat Pay (or the sandbox) tells us of a payment or a refund. 204 = received; anything else = try again."""
    try:
        payment_notification_handle(headers=request.headers, body=request.body)
    except NotificationRejected as rejection:
        return JsonResponse({"code": "FAIL", "message": rejection.message}, status=rejection.status)
    return HttpResponse(status=204)


# --- the sandbox gateway ---

def _sandbox_api(view):
    """Authenticate the merchant's signed request; answer JSON signed with the platform key, errors included."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sandbox_enabled():
            raise Http404
        config = wechatpay_config()
        full_path = request.get_full_path()
        # WeChat Pay sees (and the merchant signs) the path from /v3/ on; the sandbox is mounted under a prefix.
        path = full_path[full_path.find("/v3/"):]
        try:
            body = request.body.decode()
            auth = sandbox.sandbox_request_authenticate(
                authorization=request.headers.get("Authorization", ""), method=request.method, path=path,
                body=body, config=config)
            data = json.loads(body) if body else {}
            if not isinstance(data, dict):
                raise sandbox.SandboxError(400, "PARAM_ERROR", "body must be a JSON object")
            status, payload = view(request, auth.mchid, data, config, *args, **kwargs)
        except (UnicodeDecodeError, ValueError):
            status, payload = 400, {"code": "PARAM_ERROR", "message": "body is not JSON"}
        except sandbox.SandboxError as error:
            status, payload = error.status, {"code": error.code, "message": error.message}
        text = json.dumps(payload) if payload is not None else ""
        response = HttpResponse(text, status=status, content_type="application/json")
        for name, value in protocol.platform_headers(body=text, private_key_pem=config.platform_private_key,
                                                     serial=config.platform_public_key_id).items():
            response[name] = value
        return response

    return wrapped


@require_POST
@_sandbox_api
def sandbox_h5_open(request, mchid, data, config):
    trade = sandbox.sandbox_transaction_open(mchid=mchid, data=data, config=config)
    pay_page = request.build_absolute_uri(f"{request.path.split('/v3/')[0]}/checkout/{trade.prepay_id}/")
    return 200, {"h5_url": pay_page}


@require_GET
@_sandbox_api
def sandbox_trade_query(request, mchid, data, config, out_trade_no):
    if request.GET.get("mchid") != mchid:
        raise sandbox.SandboxError(400, "PARAM_ERROR", "mchid is required")
    return 200, sandbox.sandbox_transaction_json(sandbox.sandbox_transaction_find(mchid=mchid,
                                                                                 out_trade_no=out_trade_no))


@require_POST
@_sandbox_api
def sandbox_trade_close(request, mchid, data, config, out_trade_no):
    sandbox.sandbox_transaction_close(mchid=mchid, out_trade_no=out_trade_no)
    return 204, None


@require_POST
@_sandbox_api
def sandbox_refund_open(request, mchid, data, config):
    return 200, sandbox.sandbox_refund_json(sandbox.sandbox_refund_open(mchid=mchid, data=data))


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest, prepay_id: str) -> HttpResponse:
    """The buyer's pay page (what WeChat shows after h5_url): amount, what for, 确认支付 or 取消."""
    if not sandbox_enabled():
        raise Http404
    trade = SandboxTransaction.objects.filter(prepay_id=prepay_id).first()
    if trade is None:
        raise Http404
    outcome, problem = "", ""
    if request.method == "POST":
        if request.POST.get("action") == "pay":
            try:
                trade = sandbox.sandbox_transaction_pay(prepay_id=prepay_id)
            except sandbox.SandboxError as error:
                problem = _("This payment has closed; go back and start again.") if error.code == "ORDER_CLOSED" \
                    else error.message
        else:
            outcome = "cancelled"
    if trade.trade_state in {SandboxTradeState.SUCCESS, SandboxTradeState.REFUND}:
        outcome = "paid"
    elif trade.trade_state == SandboxTradeState.CLOSED:
        outcome = "closed"
    back = request.GET.get("redirect_url", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return render(request, "payments/sandbox_checkout.html", {
        "trade": trade, "amount": format_yuan(trade.total_fen), "outcome": outcome, "problem": problem,
        "back": back,
    }, status=400 if problem else 200)
