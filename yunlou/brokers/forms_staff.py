"""Forms of the referral network's staff pages: they parse and name the field at fault; the rules live in the
services. Money is entered in yuan and shares in percent (0.5 → 50 ‱), the way a channel manager says them."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from yunlou.brokers.models import (
    BrokerStatus,
    DirectMode,
    PayableOn,
    ReferralRules,
    ReferralStatus,
    UplineMode,
    VisitWindow,
)
from yunlou.brokers.phones import NumberMode
from yunlou.core.forms import CleanCharField, IdField
from yunlou.core.money import fen_to_yuan, yuan_to_fen

NUMERIC = forms.NumberInput(attrs={"inputmode": "numeric"})
DECIMAL = forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"})
VISIT_CODE = re.compile(r"^[A-Za-z0-9]{4,12}$")


class BrokerFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(BrokerStatus.choices))


class BrokerStatusForm(forms.Form):
    status = forms.ChoiceField(choices=BrokerStatus.choices)


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(ReferralStatus.choices))


def _whole(label, most=1_000_000, **kwargs):
    return forms.IntegerField(label=label, min_value=0, max_value=most, widget=NUMERIC, **kwargs)


def _yuan(label):
    return forms.DecimalField(label=label, min_value=0, max_digits=14, decimal_places=2, widget=DECIMAL)


def _percent(label):
    return forms.DecimalField(label=label, min_value=0, max_value=100, max_digits=5, decimal_places=2,
                              widget=DECIMAL)


class RulesForm(forms.Form):
    """Every rule of a project, as the channel manager says it; `rule_values()` gives what `rules_set` takes."""

    is_open = forms.BooleanField(label=_("Taking reports"), required=False)
    number_mode = forms.ChoiceField(label=_("Number form"), choices=NumberMode.choices)
    repeat_allowed = forms.BooleanField(label=_("A broker may report a customer again after his report lapsed"),
                                        required=False)
    lead_minutes = _whole(_("Minimum minutes between report and visit"))
    visit_window = forms.ChoiceField(label=_("Visit window"), choices=VisitWindow.choices)
    visit_window_value = _whole(_("Visit window length (days or hours)"))
    visit_until = forms.TimeField(label=_("Visit by (time of day)"), required=False,
                                  widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    protection_days = _whole(_("Protection after the visit (days)"))
    deal_days = _whole(_("Report to deal (days, 0 = no limit)"))
    visit_is_king = forms.BooleanField(label=_("到访为王: whoever brings the customer in person owns him"),
                                       required=False)
    daily_cap = _whole(_("Reports per broker per day (0 = no cap)"))
    direct_mode = forms.ChoiceField(label=_("Direct commission"), choices=DirectMode.choices)
    direct_fixed = _yuan(_("Direct fixed amount (yuan)"))
    direct_percent = _percent(_("Direct share of the price (%)"))
    upline_mode = forms.ChoiceField(label=_("Second-level commission"), choices=UplineMode.choices)
    upline_fixed = _yuan(_("Second-level fixed amount (yuan)"))
    upline_percent = _percent(_("Second-level share of the direct commission (%)"))
    visit_bonus = _yuan(_("带看 bonus per confirmed visit (yuan)"))
    subscribe_share_percent = _whole(_("Share of the deal commission paid at subscription (%)"), most=100)
    payable_on = forms.ChoiceField(label=_("Deal commission payable"), choices=PayableOn.choices)
    payable_collected_percent = _whole(_("Collected share that makes it payable (%)"), most=100)

    # The service names a rule; the form may call it otherwise (yuan, percent).
    SERVICE_FIELDS = {"direct_basis_points": "direct_percent", "upline_basis_points": "upline_percent"}
    YUAN_FIELDS = ("direct_fixed", "upline_fixed", "visit_bonus")
    PERCENT_FIELDS = {"direct_percent": "direct_basis_points", "upline_percent": "upline_basis_points"}

    @classmethod
    def initial_from(cls, rules: ReferralRules | None) -> dict:
        if rules is None:
            rules = ReferralRules()  # the model's defaults
        initial = {name: getattr(rules, name) for name in cls.base_fields
                   if name not in cls.YUAN_FIELDS and name not in cls.PERCENT_FIELDS}
        for name in cls.YUAN_FIELDS:
            initial[name] = fen_to_yuan(getattr(rules, name))
        for name, model_name in cls.PERCENT_FIELDS.items():
            initial[name] = Decimal(getattr(rules, model_name)) / 100
        return initial

    def _clean_yuan(self, name):
        try:
            return yuan_to_fen(self.cleaned_data[name])
        except ValueError:
            raise forms.ValidationError(_("Enter an amount in yuan, to the fen.")) from None

    def clean_direct_fixed(self):
        return self._clean_yuan("direct_fixed")

    def clean_upline_fixed(self):
        return self._clean_yuan("upline_fixed")

    def clean_visit_bonus(self):
        return self._clean_yuan("visit_bonus")

    def rule_values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in self.fields
                  if name not in self.PERCENT_FIELDS}
        for name, model_name in self.PERCENT_FIELDS.items():
            values[model_name] = int(data[name] * 100)  # two decimal places at most: a whole number of ‱
        return values

    def field_for(self, service_field: str | None) -> str | None:
        return self.SERVICE_FIELDS.get(service_field, service_field)


class SettlementForm(forms.Form):
    entries = forms.TypedMultipleChoiceField(label=_("Payable entries"), coerce=int,
                                             error_messages={"required": _("Choose the payable entries to settle.")})

    def __init__(self, *args, entry_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(pk, pk) for pk in entry_ids]


class VisitCodeForm(forms.Form):
    code = CleanCharField(label=_("Visit code"), max_length=200,
                          widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                        "autofocus": True}))

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if "/code/" in code:  # a scanner gun types the QR's whole address
            code = code.rstrip("/").rpartition("/")[2]
        code = code.upper()
        if not VISIT_CODE.match(code):
            raise forms.ValidationError(_("A visit code is letters and digits, as on the customer's screen."))
        return code


class PhoneFindForm(forms.Form):
    phone = CleanCharField(label=_("Customer's phone"), max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))


class VisitConfirmForm(forms.Form):
    referral = IdField()
    phone = CleanCharField(label=_("Customer's phone"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))


class WalkInForm(forms.Form):
    customer_name = CleanCharField(label=_("Customer's name"), max_length=30)
    phone = CleanCharField(label=_("Customer's phone"), max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
