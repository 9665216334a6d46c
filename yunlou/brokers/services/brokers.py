"""Brokers: sign-up from an invite (phone + SMS code), approval and freezing by the channel manager,
agencies (中介公司) with their agents beneath, the payout bank account (encrypted)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.buyers import buyer_login
from yunlou.accounts.models import Membership, Organization, User
from yunlou.accounts.permissions import MANAGE_BROKERS
from yunlou.accounts.staff import Staff
from yunlou.brokers.models import Agency, Broker, BrokerStatus, InviteCode
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yunlou.core.text import strip_controls

BROKER_TRANSITIONS = {
    BrokerStatus.PENDING: {BrokerStatus.ACTIVE, BrokerStatus.FROZEN},
    BrokerStatus.ACTIVE: {BrokerStatus.FROZEN},
    BrokerStatus.FROZEN: {BrokerStatus.ACTIVE},
}


def _text(raw: str, *, field: str, most: int, required: bool = True) -> str:
    value = " ".join(strip_controls(raw or "").split())
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > most:
        raise ValidationFailed(_("At most %(count)d characters.") % {"count": most}, field=field)
    return value


def invite_for(*, user: User, organization: Organization) -> InviteCode:
    """The user's own invite code for the organisation (made on first use)."""
    invite = InviteCode.objects.filter(owner=user, organization=organization).first()
    if invite is not None:
        return invite
    try:
        with transaction.atomic():
            return InviteCode.objects.create(owner=user, organization=organization)
    except IntegrityError:
        return InviteCode.objects.get(owner=user, organization=organization)


def invite_get(code: str) -> InviteCode:
    invite = InviteCode.objects.select_related("organization", "owner").filter(
        code=(code or "").strip().upper()[:12]).first()
    if invite is None:
        raise NotFound(_("This invite link is not valid."), field="invite")
    return invite


def _inviter_may_invite(invite: InviteCode) -> bool:
    owner = invite.owner
    if not owner.is_active:
        return False
    if Membership.objects.filter(user=owner, organization=invite.organization, is_active=True).exists():
        return True
    return Broker.objects.filter(user=owner, organization=invite.organization, status=BrokerStatus.ACTIVE).exists()


def broker_join(*, request, invite_code: str, phone: str, code: str, real_name: str, agency_name: str = "",
                now: datetime.datetime | None = None) -> Broker:
    """Sign up from an invite: the SMS code proves the phone (and logs the person in, as buyers are); the new
    broker waits for the channel manager's approval. Joining again from another invite changes nothing."""
    now = now or timezone.now()
    invite = invite_get(invite_code)
    if not _inviter_may_invite(invite):
        raise Forbidden(_("This invite link is no longer valid."), field="invite", code="invite_inactive")
    name = _text(real_name, field="real_name", most=30)
    agency_name = _text(agency_name, field="agency_name", most=60, required=False)
    user = buyer_login(request=request, phone=phone, code=code)
    with transaction.atomic():
        existing = Broker.objects.filter(organization=invite.organization, user=user).first()
        if existing is not None:
            return existing
        inviter_broker = Broker.objects.filter(organization=invite.organization, user=invite.owner).first()
        agency = inviter_broker.agency if inviter_broker is not None else None
        is_manager = False
        if agency_name and agency is None:
            # A new agency only: an agency's agents join from an invite of one of its own brokers, never by
            # typing its name (anyone could otherwise put himself under another agency's manager).
            if Agency.objects.filter(organization=invite.organization, name=agency_name).exists():
                raise Conflict(_("This agency is registered already: ask its manager for an invite."),
                               field="agency_name", code="agency_exists")
            try:
                with transaction.atomic():
                    agency = Agency.objects.create(organization=invite.organization, name=agency_name)
            except IntegrityError:
                raise Conflict(_("This agency is registered already: ask its manager for an invite."),
                               field="agency_name", code="agency_exists") from None
            is_manager = True
        try:
            with transaction.atomic():
                broker = Broker.objects.create(organization=invite.organization, user=user, real_name=name,
                                               upline=invite.owner if invite.owner_id != user.pk else None,
                                               agency=agency, is_agency_manager=is_manager, joined_at=now)
        except IntegrityError:
            return Broker.objects.get(organization=invite.organization, user=user)
        if not user.display_name:
            User.objects.filter(pk=user.pk).update(display_name=name)
        invite_for(user=user, organization=invite.organization)
        audit_record(action="broker.join", target=broker, actor=user, organization=invite.organization,
                     changes={"upline": invite.owner_id, "agency": agency.name if agency else ""})
    return broker


def broker_get_for_staff(*, staff: Staff, broker_id: int, lock: bool = False) -> Broker:
    if not staff.can(MANAGE_BROKERS):
        raise NotFound(_("No such broker."), field="broker")
    queryset = Broker.objects.select_for_update() if lock else Broker.objects.all()
    broker = queryset.filter(pk=broker_id, organization=staff.organization).first()
    if broker is None:
        raise NotFound(_("No such broker."), field="broker")
    return broker


def broker_status_set(*, staff: Staff, broker_id: int, status: str, request=None) -> Broker:
    """Approve (→ active), freeze, or unfreeze a broker."""
    with transaction.atomic():
        broker = broker_get_for_staff(staff=staff, broker_id=broker_id, lock=True)
        if status not in BROKER_TRANSITIONS.get(broker.status, set()):
            raise Conflict(_("A broker who is %(now)s cannot become %(next)s.") % {
                "now": broker.get_status_display(), "next": BrokerStatus(status).label if status in
                BrokerStatus.values else status}, field="status")
        previous = broker.status
        Broker.objects.filter(pk=broker.pk).update(status=status, status_changed_at=timezone.now())
        broker.status = status
        audit_record(action="broker.status", target=broker, actor=staff.user, organization=staff.organization,
                     changes={"status": [previous, status]}, request=request)
    return broker


def broker_bank_set(*, broker: Broker, bank_name: str, bank_account: str) -> Broker:
    bank_name = _text(bank_name, field="bank_name", most=40)
    account = "".join((bank_account or "").split())
    if not (account.isascii() and account.isdigit() and 12 <= len(account) <= 19):
        raise ValidationFailed(_("Enter the bank card number: 12 to 19 digits."), field="bank_account")
    with transaction.atomic():
        Broker.objects.filter(pk=broker.pk).update(bank_name=bank_name)
        broker.bank_name, broker.bank_account = bank_name, account
        broker.save(update_fields=["bank_account"])
        audit_record(action="broker.bank", target=broker, actor=broker.user, organization=broker.organization)
    return broker
