from celery import shared_task

from yunlou.launch.services import order_holds_expire


@shared_task(name="launch.order_holds_expire")
def order_holds_expire_task() -> int:
    """Every 15 s (CELERY_BEAT_SCHEDULE): put units whose hold ran out back on sale. Every read of an order
    expires it lazily as well, so a stopped beat delays the grid, never the rule."""
    return order_holds_expire()
