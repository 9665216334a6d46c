from django import forms
from django.utils.translation import gettext_lazy as _

from yunlou.catalogue.models import MANUAL_UNIT_TRANSITIONS, UnitStatus


class GridFilterForm(forms.Form):
    """Filters of the sales control grid. The floor plan must be one of the project's; the view checks
    that against the plans the grid loads anyway, so that filtering costs no extra query."""

    floor_plan = forms.IntegerField(label=_("Floor plan"), required=False, min_value=1)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *UnitStatus.choices])

    def check_floor_plan(self, floor_plans) -> None:
        chosen = self.cleaned_data.get("floor_plan")
        if chosen is not None and chosen not in {plan.pk for plan in floor_plans}:
            self.add_error("floor_plan", _("Choose one of this project's floor plans."))


class UnitStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Reason"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. reserved by the developer")}))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = MANUAL_UNIT_TRANSITIONS.get(unit.status, frozenset())
        self.fields["status"].choices = [(s.value, s.label) for s in UnitStatus if s.value in allowed]


class PriceListImportForm(forms.Form):
    file = forms.FileField(label=_("Price list (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
