from celery import shared_task

from yunlou.crm.services import bindings_expire


@shared_task(name="crm.bindings_expire")
def bindings_expire_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): close bindings whose 30 days have run out, so lists and reports show
    them as ended. Services close lapsed bindings themselves before they write, so nothing depends on it."""
    return bindings_expire()
