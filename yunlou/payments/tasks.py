import logging

import requests
from celery import shared_task

from yunlou.payments.gateways import GatewayUnavailable

logger = logging.getLogger(__name__)

# WeChat Pay's own notification schedule: 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h.
NOTIFY_RETRY_SECONDS = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)


@shared_task(name="payments.sandbox_notification_send")
def sandbox_notification_send(kind: str, object_id: int, attempt: int = 0) -> int:
    """The sandbox gateway delivers a notification; anything but 2xx is tried again later, signed afresh.

    Each attempt schedules the next itself (rather than Celery's retry(), which with eager tasks raises instead of
    trying again), so the schedule is the same with a worker and without one; inline, the waits are skipped."""
    from yunlou.payments.sandbox import sandbox_notification_build

    url, headers, body = sandbox_notification_build(kind=kind, object_id=object_id)
    try:
        response = requests.post(url, data=body.encode(), headers={**headers, "Content-Type": "application/json"},
                                 timeout=(5, 15))
        status, problem = response.status_code, f"answered {response.status_code}: {response.text[:200]}"
    except requests.RequestException as exc:
        status, problem = 0, str(exc)
    if 200 <= status < 300:
        return status
    if attempt >= len(NOTIFY_RETRY_SECONDS):
        logger.error("payment notification %s %s given up after %s attempts: %s", kind, object_id, attempt + 1,
                     problem)
        return status
    logger.warning("payment notification %s %s to %s not accepted (attempt %s): %s", kind, object_id, url,
                   attempt + 1, problem)
    sandbox_notification_send.apply_async((kind, object_id, attempt + 1), countdown=NOTIFY_RETRY_SECONDS[attempt])
    return status


@shared_task(name="payments.sandbox_refund_complete")
def sandbox_refund_complete(refund_id: int) -> None:
    from yunlou.payments.sandbox import sandbox_refund_succeed

    sandbox_refund_succeed(refund_id=refund_id)
    sandbox_notification_send.delay("refund", refund_id)


@shared_task(name="payments.refund_refused", autoretry_for=(GatewayUnavailable,), retry_backoff=30,
             retry_backoff_max=3600, max_retries=10)
def payment_refund_refused(payment_id: int) -> None:
    """A handler refused money that had arrived online: send it back (outside the lock that recorded it)."""
    from yunlou.payments.services import payment_refund_refused as refund

    refund(payment_id=payment_id)


@shared_task(name="payments.reconcile")
def payments_reconcile() -> dict:
    """对账 on the beat: payments and refunds whose notification has not come are asked about (services)."""
    from yunlou.payments.services import payments_reconcile as reconcile

    return reconcile()
