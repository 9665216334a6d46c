import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Share codes avoid look-alike characters: people read them off posters and type them.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_share_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class ShareCode(models.Model):
    """A person's personal code for one project: any showroom URL carrying `?s=<code>` is their link.

    Consultants use it for 锁客 (binding); brokers will use the same mechanism for referrals.
    """

    code = models.CharField(_("code"), max_length=12, unique=True, default=new_share_code)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_codes",
                              verbose_name=_("owner"))
    project = models.ForeignKey("catalogue.Project", on_delete=models.CASCADE, related_name="share_codes",
                                verbose_name=_("project"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("share code")
        verbose_name_plural = _("share codes")
        constraints = [models.UniqueConstraint(fields=["owner", "project"], name="one_share_code_per_owner_project")]

    def __str__(self) -> str:
        return self.code
