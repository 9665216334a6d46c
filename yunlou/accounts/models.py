from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunlou.core.crypto import blind_index
from yunlou.core.fields import EncryptedTextField
from yunlou.core.phone import mask_phone


class User(AbstractUser):
    """Staff, buyers and brokers alike. Staff are users with an active Membership."""

    display_name = models.CharField(_("name"), max_length=50, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    avatar = models.ImageField(_("photo"), upload_to="avatars/", blank=True)
    wechat_qr = models.ImageField(_("WeChat QR code"), upload_to="avatars/wechat/", blank=True)
    # A buyer's one active session (against selection scripts): a new phone login ends the one before.
    active_session_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs):
        # The blind index follows the phone so that lookups by number can never go stale.
        self.phone_hash = blind_index(self.phone) if self.phone else None
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Organization(models.Model):
    """A developer company (开发商); every business record belongs to exactly one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Organization admin")
    MANAGER = "manager", _("Sales manager")
    CONSULTANT = "consultant", _("Sales consultant")
    RECEPTIONIST = "receptionist", _("Receptionist")
    CHANNEL = "channel", _("Channel manager")
    FINANCE = "finance", _("Finance")


class Membership(models.Model):
    """A user's staff role in one organisation, and the projects the role covers.

    An admin covers every project of the organisation; every other role covers the projects
    listed here.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organization")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    projects = models.ManyToManyField(
        "catalogue.Project", blank=True, related_name="memberships", verbose_name=_("projects")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            # One working identity per person: a staff user acts for one organisation at a time.
            models.UniqueConstraint(fields=["user"], condition=Q(is_active=True),
                                    name="one_active_membership_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class LoginDevice(models.Model):
    """A browser a person logged in from: its first-party visitor id (showroom.middleware), kept for the channel
    manager's fraud flags — a broker's reports made from a browser a staff member logs in from."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_devices", verbose_name=_("user"))
    visitor_id = models.UUIDField(_("device"))
    first_seen_at = models.DateTimeField(_("first login"))
    last_seen_at = models.DateTimeField(_("last login"))

    class Meta:
        verbose_name = _("login device")
        verbose_name_plural = _("login devices")
        constraints = [models.UniqueConstraint(fields=["user", "visitor_id"], name="one_row_per_user_device")]
        indexes = [models.Index(fields=["visitor_id"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.visitor_id}"
