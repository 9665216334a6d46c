"""Forms of the launch pages: they parse and name the field at fault; the rules live in the services."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from yunlou.core.forms import CleanCharField, IdField, MomentField
from yunlou.core.money import yuan_to_fen
from yunlou.launch import lottery
from yunlou.launch.models import EntryOrder, OrderStatus
from yunlou.payments.models import PaymentChannel

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
MAX_VERIFY_NUMBERS = 20_000
MAX_VERIFY_CHARS = 600_000  # 20,000 pledge numbers of up to 20 characters and their line feeds, with room


class LaunchForm(forms.Form):
    name = CleanCharField(label=_("Name"), max_length=60,
                          widget=forms.TextInput(attrs={"placeholder": _("e.g. First launch of building 3")}))
    starts_at = MomentField(label=_("Selection starts"), widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    ends_at = MomentField(label=_("Selection ends"), widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    per_buyer_limit = forms.IntegerField(label=_("Units per buyer"), min_value=1, max_value=20, initial=1,
                                         widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    hold_minutes = forms.IntegerField(label=_("Hold minutes"), min_value=1, max_value=120, initial=5,
                                      widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    deposit = forms.DecimalField(label=_("Deposit (yuan)"), min_value=1, max_digits=12, decimal_places=2,
                                 initial=50_000,
                                 widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    entry_order = forms.ChoiceField(label=_("Order of entry"), choices=EntryOrder.choices,
                                    initial=EntryOrder.ALL_AT_ONCE)
    rehearsal_starts_at = MomentField(label=_("Rehearsal starts (optional)"), required=False,
                                              widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    rehearsal_ends_at = MomentField(label=_("Rehearsal ends (optional)"), required=False,
                                            widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    unit_ids = forms.TypedMultipleChoiceField(label=_("Units offered"), coerce=int, required=True,
                                              error_messages={"required": _("Choose units of this project to offer.")})
    reserved_unit_ids = forms.TypedMultipleChoiceField(label=_("Reserved by the developer (预留)"), coerce=int,
                                                       required=False)

    def __init__(self, *args, unit_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_choices = unit_choices
        offerable = [(u.id, u.code) for group in unit_choices for u in group.units if u.can_offer]
        every = [(u.id, u.code) for group in unit_choices for u in group.units]
        self.fields["unit_ids"].choices = offerable
        self.fields["reserved_unit_ids"].choices = every

    def clean_deposit(self) -> int:
        try:
            return yuan_to_fen(self.cleaned_data["deposit"])
        except ValueError:
            raise forms.ValidationError(_("Enter the deposit in yuan, to the fen.")) from None

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The launch must end after it starts."))
        rehearsal_starts, rehearsal_ends = cleaned.get("rehearsal_starts_at"), cleaned.get("rehearsal_ends_at")
        if (rehearsal_starts is None) != (rehearsal_ends is None) or (
                rehearsal_starts and starts and not rehearsal_starts < rehearsal_ends <= starts):
            self.add_error("rehearsal_starts_at",
                           _("The rehearsal needs a start and an end, both before the launch starts."))
        return cleaned

    def chosen(self) -> dict[str, set[int]]:
        """The ticks per unit id, to tick them again when the form comes back with an error."""
        data = self.data if self.is_bound else {}
        getlist = getattr(data, "getlist", lambda _key: [])
        return {key: {int(v) for v in getlist(key) if str(v).isdigit()} for key in ("unit_ids", "reserved_unit_ids")}


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))


class PledgeImportForm(SpreadsheetUploadForm):
    pass


class OrderImportForm(forms.Form):
    file = forms.FileField(label=_("Lottery result (.xlsx with columns 顺序号 and 认筹编号)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))


class DrawForm(forms.Form):
    public_value = CleanCharField(
        label=_("Public value"), max_length=lottery.MAX_PUBLIC_VALUE_LENGTH, strip=False,
        help_text=_("Entered in public at the draw, e.g. the numbers the notary rolls: used exactly as typed."),
        widget=forms.TextInput(attrs={"placeholder": "公证处 2026-05-01 第6组 305", "autocomplete": "off"}))


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")),
                                                                          *OrderStatus.choices])
    building = IdField(label=_("Building"), required=False)
    rehearsal = forms.ChoiceField(label=_("Orders"), required=False, choices=[
        ("", _("Real and rehearsal")), ("real", _("Real only")), ("rehearsal", _("Rehearsal only"))])
    q = CleanCharField(label=_("Pledge number"), required=False, max_length=20,
                       widget=forms.TextInput(attrs={"type": "search", "placeholder": "RC00012"}))


def _lines(text: str) -> list[str]:
    """One pledge number a line, as the downloaded list or the order is written; blank lines and Windows line
    ends ignored, like scripts/verify_lottery.py."""
    return [line.strip() for line in re.split(r"\r?\n", text or "") if line.strip()]


class VerifyForm(forms.Form):
    """What a member of the public pastes to check a draw; prefilled from the published values."""

    pledge_numbers = CleanCharField(label=_("Eligible list (one pledge number a line)"),
                                     max_length=MAX_VERIFY_CHARS, strip=False,
                                     widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))
    list_digest = CleanCharField(label=_("List SHA-256 (published before the draw)"), max_length=100)
    seed_commitment = CleanCharField(label=_("Seed SHA-256 (published before the draw)"), max_length=100)
    seed = CleanCharField(label=_("Seed (revealed at the draw)"), max_length=100)
    public_value = CleanCharField(label=_("Public value"), max_length=lottery.MAX_PUBLIC_VALUE_LENGTH, strip=False)
    order = CleanCharField(label=_("Order (place 1 first, one pledge number a line)"), max_length=MAX_VERIFY_CHARS,
                            strip=False, widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))

    def _numbers(self, name: str) -> list[str]:
        numbers = _lines(self.cleaned_data.get(name, ""))
        if len(numbers) > MAX_VERIFY_NUMBERS:
            raise forms.ValidationError(_("At most %(count)s pledge numbers.") % {"count": MAX_VERIFY_NUMBERS})
        return numbers

    def clean_pledge_numbers(self) -> list[str]:
        return self._numbers("pledge_numbers")

    def clean_order(self) -> list[str]:
        return self._numbers("order")

    def published(self) -> lottery.Published:
        data = self.cleaned_data
        return lottery.Published(pledge_numbers=data["pledge_numbers"], seed=data["seed"],
                                 public_value=data["public_value"], list_digest=data["list_digest"],
                                 seed_commitment=data["seed_commitment"], order=data["order"])


class BatchesForm(forms.Form):
    """分批选房: batches of the lottery order, each with its own window."""

    size = forms.IntegerField(label=_("Buyers per batch"), min_value=1, max_value=100_000, initial=50,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    minutes = forms.IntegerField(label=_("Minutes per batch"), min_value=1, max_value=24 * 60, initial=20,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    gap_minutes = forms.IntegerField(label=_("Pause between batches (minutes)"), min_value=0, max_value=24 * 60,
                                     initial=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    first_starts_at = MomentField(label=_("First batch starts (default: the launch's start)"),
                                          required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)


class CounterPaymentForm(forms.Form):
    """收款登记: a deposit paid at the counter (card terminal) or by bank transfer, for a held order."""

    order = forms.TypedChoiceField(label=_("Order"), coerce=int)
    channel = forms.ChoiceField(label=_("Paid by"), choices=[
        (channel, channel.label) for channel in (PaymentChannel.COUNTER_POS, PaymentChannel.COUNTER_TRANSFER)])
    voucher = CleanCharField(label=_("Slip or transfer reference"), max_length=64)
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
                                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    note = CleanCharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [(order.pk, f"{order.unit.code} · {order.pledge.number}") for order in orders]

    def clean_amount(self) -> int:
        try:
            return yuan_to_fen(self.cleaned_data["amount"])
        except ValueError:
            raise forms.ValidationError(_("Enter the amount in yuan, to the fen.")) from None


class PaymentSyncForm(forms.Form):
    payment = IdField()
