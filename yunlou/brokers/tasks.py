from celery import shared_task


@shared_task(name="brokers.referrals_expire")
def referrals_expire() -> int:
    """Visit windows and protection periods that ran out (reads expire them lazily too)."""
    from yunlou.brokers.services.referrals import referrals_expire as expire

    return expire()
