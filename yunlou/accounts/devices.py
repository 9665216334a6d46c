"""Which browsers a person logs in from (`LoginDevice`): every login, staff or broker or buyer, keeps the
browser's first-party visitor id from then on and records it against the person."""

from django.utils import timezone

from yunlou.accounts.models import LoginDevice


def login_device_record(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: the browser keeps its visitor id (set as a cookie if it had none) and the id is recorded
    against the person — one row per person and browser, its last login renewed."""
    visitor_id = getattr(request, "visitor_id", None)
    if visitor_id is None:  # not through the middleware (a test's force_login, a management command)
        return
    request.wants_visitor_cookie = True
    now = timezone.now()
    LoginDevice.objects.bulk_create(
        [LoginDevice(user=user, visitor_id=visitor_id, first_seen_at=now, last_seen_at=now)],
        update_conflicts=True, unique_fields=["user", "visitor_id"], update_fields=["last_seen_at"])
