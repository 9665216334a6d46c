from django.db import transaction
from django.utils import timezone

from yunlou.core.models import Notification


def notification_send(*, recipient, organization, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    """Store an in-app notification; created in the caller's transaction so it exists only if the event does."""
    return Notification.objects.create(recipient=recipient, organization=organization, kind=kind, title=title[:120],
                                       body=body, url=url[:300])


def notification_list(*, recipient, organization):
    return Notification.objects.filter(recipient=recipient, organization=organization)


@transaction.atomic
def notifications_mark_read(*, recipient, organization, ids: list[int] | None = None) -> int:
    unread = notification_list(recipient=recipient, organization=organization).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
