from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yunlou.core.errors import ValidationFailed
from yunlou.core.forms import CleanCharField, IdField
from yunlou.core.phone import normalize_phone
from yunlou.crm.services.consultations import NAME_MAX, QUESTION_MAX, VISIT_HORIZON_DAYS
from yunlou.showroom.mortgage import LoanKind, RepaymentMethod

VISIT_SLOTS = [time(hour, minute) for hour in range(9, 18) for minute in (0, 30)] + [time(18, 0)]


class PhoneField(forms.CharField):
    """An identifier: normalize_phone refuses anything but digits, separators and the +86 prefix."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalize_phone(value)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc


class ShowroomSearchForm(forms.Form):
    q = CleanCharField(label=_("Search"), required=False, max_length=30,
                        widget=forms.TextInput(attrs={"placeholder": _("Project or district"), "type": "search"}))
    price = forms.ChoiceField(label=_("Total price"), required=False, choices=[
        ("", _("Any price")), ("lt300", _("Under 3 million")), ("300to500", _("3–5 million")),
        ("gt500", _("Over 5 million"))])
    rooms = forms.ChoiceField(label=_("Bedrooms"), required=False, choices=[
        ("", _("Any layout")), ("2", _("2 bedrooms")), ("3", _("3 bedrooms")), ("4", _("4 or more"))])
    area = forms.ChoiceField(label=_("Area"), required=False, choices=[
        ("", _("Any area")), ("lt90", _("Under 90 m²")), ("90to120", _("90–120 m²")), ("gt120", _("Over 120 m²"))])


class PhoneCodeForm(forms.Form):
    phone = PhoneField(label=_("Mobile number"), max_length=20)


class ConsultationForm(forms.Form):
    name = CleanCharField(label=_("How to address you"), max_length=NAME_MAX,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. Ms Li"), "autocomplete": "name"}))
    phone = PhoneField(label=_("Mobile number"), max_length=20, widget=forms.TextInput(
        attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "placeholder": "138 0000 0000",
               # What normalize_phone accepts (spaces, dashes, brackets, a +86/0086 prefix), so that the page can
               # tell as soon as the number is typed right; the server still decides.
               "pattern": r"\s*(\+86|0086)?[\s\-\(\)]*1[3-9]([\s\-\(\)]*[0-9]){9}[\s\-\(\)]*"}))
    code = forms.RegexField(label=_("SMS code"), regex=r"^\d{6}$", max_length=6,
                            error_messages={"invalid": _("The code has 6 digits.")},
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                          "pattern": "[0-9]{6}"}))
    visit_date = forms.DateField(label=_("Visit date"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    visit_time = forms.TypedChoiceField(label=_("Time"), required=False, empty_value=None,
                                        coerce=lambda v: time.fromisoformat(v),
                                        choices=[("", "—")] + [(t.strftime("%H:%M"),) * 2 for t in VISIT_SLOTS])
    question = CleanCharField(label=_("Your question"), required=False, max_length=QUESTION_MAX,
                               widget=forms.Textarea(attrs={"rows": 3, "placeholder": _(
                                   "e.g. Which floors of plan B are still available?")}))
    unit = IdField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The booking window up front (the service's rule: within the next 90 days): the date picker offers only
        # those days, and the hint says so. Today counts while a slot is left today.
        now = timezone.localtime()
        first = now.date() if now.time() < VISIT_SLOTS[-1] else now.date() + timedelta(days=1)
        last = now.date() + timedelta(days=VISIT_HORIZON_DAYS)
        self.fields["visit_date"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())
        # Help texts are made here, not on the fields, so that they follow the visitor's language.
        self.fields["name"].help_text = gettext("Up to %(count)s characters.") % {"count": NAME_MAX}
        self.fields["question"].help_text = gettext("Optional, up to %(count)s characters.") % {
            "count": QUESTION_MAX}
        self.fields["visit_date"].help_text = gettext(
            "Within the next %(days)s days, until %(last)s; visits %(opens)s–%(closes)s."
        ) % {"days": VISIT_HORIZON_DAYS, "last": last.isoformat(), "opens": VISIT_SLOTS[0].strftime("%H:%M"),
             "closes": VISIT_SLOTS[-1].strftime("%H:%M")}

    def clean(self):
        data = super().clean()
        day, slot = data.get("visit_date"), data.get("visit_time")
        data["preferred_visit_at"] = None
        if day and not slot:
            self.add_error("visit_time", _("Choose a time for the visit."))
        elif slot and not day:
            self.add_error("visit_date", _("Choose a day for the visit."))
        elif day and slot:
            moment = timezone.make_aware(datetime.combine(day, slot))
            if not (timezone.now() < moment <= timezone.now() + timedelta(days=VISIT_HORIZON_DAYS)):
                self.add_error("visit_date", _("Choose a visit time within the next 90 days."))
            data["preferred_visit_at"] = moment
        return data


class MortgageForm(forms.Form):
    price_yuan = forms.DecimalField(label=_("Total price (yuan)"), min_value=1, max_digits=12, decimal_places=2)
    down_payment_percent = forms.DecimalField(label=_("Down payment (%)"), min_value=0, max_value=100,
                                              max_digits=5, decimal_places=2, widget=forms.NumberInput(
                                                  attrs={"aria-describedby": "down-payment-minimum"}))
    kind = forms.ChoiceField(label=_("Loan"), choices=[
        (LoanKind.COMMERCIAL.value, _("Commercial loan")), (LoanKind.PROVIDENT_FUND.value, _("Provident fund loan")),
        (LoanKind.COMBINED.value, _("Combined loan"))], widget=forms.RadioSelect)
    provident_fund_yuan = forms.DecimalField(label=_("Provident fund part (yuan)"), required=False, min_value=0,
                                             max_digits=12, decimal_places=2)
    years = forms.TypedChoiceField(label=_("Term"), coerce=int,
                                   choices=[(y, _("%(years)s years") % {"years": y}) for y in (30, 25, 20, 15, 10, 5)])
    method = forms.ChoiceField(label=_("Repayment"), choices=[
        (RepaymentMethod.EQUAL_INSTALMENT.value, _("Equal instalments")),
        (RepaymentMethod.EQUAL_PRINCIPAL.value, _("Equal principal"))], widget=forms.RadioSelect)
    commercial_rate = forms.DecimalField(label=_("Commercial rate (%)"), min_value=0, max_value=24, max_digits=5,
                                         decimal_places=3)
    provident_fund_rate = forms.DecimalField(label=_("Provident fund rate (%)"), min_value=0, max_value=24,
                                             max_digits=5, decimal_places=3)

    def down_payment_warning(self, *, minimum_percent: int) -> str:
        """A warning, not an error, below the project's minimum down payment (the city's 首付比例下限): the
        buyer may still want to see the figures, but must know that no bank will lend on them."""
        percent = self.cleaned_data.get("down_payment_percent") if self.is_valid() else None
        if percent is None or percent >= minimum_percent:
            return ""
        return gettext(
            "A down payment of %(percent)s%% is below this project's minimum of %(minimum)s%%: banks will not lend "
            "on these terms, so the figures are for reference only."
        ) % {"percent": f"{percent.normalize():f}", "minimum": minimum_percent}
