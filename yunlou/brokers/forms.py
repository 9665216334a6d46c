"""Forms of the broker's pages and the customer's check-in: they parse and name the field at fault; the rules (the
number's form, lead time, window, caps) live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yunlou.core.forms import CleanCharField, IdField, MomentField

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class PhoneCodeForm(forms.Form):
    """Phone and SMS code: the code is asked for only when logging in (the first button sends it)."""

    phone = CleanCharField(label=_("Mobile number"), max_length=20)
    code = CleanCharField(label=_("SMS code"), max_length=6, required=False)


class JoinForm(PhoneCodeForm):
    real_name = CleanCharField(label=_("Real name"), max_length=30, required=False)
    agency_name = CleanCharField(label=_("Agency (optional)"), max_length=60, required=False)


class ReportForm(forms.Form):
    project = IdField(label=_("Project"))
    customer_name = CleanCharField(label=_("Customer's name"), max_length=30)
    phone = CleanCharField(label=_("Customer's phone"), max_length=20)
    intended_visit_at = MomentField(label=_("Intended visit (optional)"), required=False, widget=DATETIME_INPUT,
                                    input_formats=DATETIME_FORMATS)


class BankForm(forms.Form):
    bank_name = CleanCharField(label=_("Bank"), max_length=40)
    bank_account = CleanCharField(label=_("Card number"), max_length=30)
