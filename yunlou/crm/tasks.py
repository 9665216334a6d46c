from celery import shared_task

from yunlou.crm.services import bindings_expire


@shared_task(name="crm.bindings_expire")
def bindings_expire_task() -> int:
    """Nightly: close bindings whose 30 days have run out, so reports show them as ended."""
    return bindings_expire()
