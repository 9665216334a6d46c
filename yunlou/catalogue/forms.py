from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunlou.catalogue.models import MANUAL_UNIT_TRANSITIONS, Building, PriceListVersion, UnitStatus
from yunlou.catalogue.services.price_list import Layout
from yunlou.core.forms import CleanCharField, IdField


class GridFilterForm(forms.Form):
    """Filters of the sales control grid. The floor plan must be one of the project's; the view checks
    that against the plans the grid loads anyway, so that filtering costs no extra query."""

    floor_plan = IdField(label=_("Floor plan"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *UnitStatus.choices])

    def check_floor_plan(self, floor_plans) -> None:
        chosen = self.cleaned_data.get("floor_plan")
        if chosen is not None and chosen not in {plan.pk for plan in floor_plans}:
            self.add_error("floor_plan", _("Choose one of this project's floor plans."))


class UnitStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = CleanCharField(label=_("Reason"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. reserved by the developer")}))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = MANUAL_UNIT_TRANSITIONS.get(unit.status, frozenset())
        self.fields["status"].choices = [(s.value, s.label) for s in UnitStatus if s.value in allowed]


class PriceListImportForm(forms.Form):
    file = forms.FileField(label=_("Price list (.xlsx, .xls or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}))


class PriceListConfirmForm(forms.Form):
    """Confirming a preview: which of the floor plans the sheet names, and the project lacks, to create.

    Each offered plan is a tick box; a plan whose layout the sheet does not state also asks for it.
    """

    def __init__(self, *args, offers: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = []
        for index, offer in enumerate(offers):
            prefix = f"plan_{index}"
            self.fields[f"{prefix}_create"] = forms.BooleanField(
                label=_("Create floor plan %(name)s") % {"name": offer["name"]}, required=False)
            needs_layout = offer["rooms"] is None
            if needs_layout:
                for name, label, minimum in (("rooms", _("Bedrooms (室)"), 1), ("halls", _("Living rooms (厅)"), 0),
                                             ("bathrooms", _("Bathrooms (卫)"), 0)):
                    self.fields[f"{prefix}_{name}"] = forms.IntegerField(
                        label=label, required=False, min_value=minimum, max_value=20,
                        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
            self.offers.append({**offer, "prefix": prefix, "needs_layout": needs_layout,
                                "create_field": self[f"{prefix}_create"],
                                "layout_fields": [self[f"{prefix}_{n}"] for n in ("rooms", "halls", "bathrooms")]
                                if needs_layout else []})

    def clean(self):
        cleaned = super().clean()
        for offer in self.offers:
            prefix = offer["prefix"]
            if offer["needs_layout"] and cleaned.get(f"{prefix}_create"):
                for name in ("rooms", "halls", "bathrooms"):
                    if cleaned.get(f"{prefix}_{name}") is None:
                        self.add_error(f"{prefix}_{name}", _("Give the layout of a floor plan to create."))
        return cleaned

    def floor_plans(self) -> dict[str, Layout | None]:
        """The ticked plans by name, each with the layout given here (None: the sheet's)."""
        chosen = {}
        for offer in self.offers:
            prefix = offer["prefix"]
            if not self.cleaned_data.get(f"{prefix}_create"):
                continue
            chosen[offer["name"]] = Layout(*(self.cleaned_data[f"{prefix}_{n}"] for n in ("rooms", "halls",
                                                                                          "bathrooms"))) \
                if offer["needs_layout"] else None
        return chosen


class PresalePermitForm(forms.Form):
    number = CleanCharField(label=_("Permit number"), max_length=60,
                             widget=forms.TextInput(attrs={"placeholder": "杭售许字(2026)第000123号"}))
    issued_on = forms.DateField(label=_("Date of issue"), widget=forms.DateInput(attrs={"type": "date"}))
    authority = CleanCharField(label=_("Issued by"), max_length=60,
                                widget=forms.TextInput(attrs={"placeholder": "杭州市住房保障和房产管理局"}))
    buildings = forms.ModelMultipleChoiceField(label=_("Buildings covered"), queryset=Building.objects.none(),
                                               widget=forms.CheckboxSelectMultiple)
    price_list_version = forms.ModelChoiceField(label=_("Price list filed with it"),
                                                queryset=PriceListVersion.objects.none(), required=False,
                                                empty_label=_("None filed"))

    def __init__(self, *args, project, buildings, versions, **kwargs):
        super().__init__(*args, **kwargs)
        # Only buildings still awaiting a permit are offered; the service refuses the others anyway.
        self.fields["buildings"].queryset = buildings.filter(presale_permit__isnull=True)
        self.fields["price_list_version"].queryset = versions
        self.fields["price_list_version"].label_from_instance = lambda v: (
            f"V{v.number} · {timezone.localtime(v.created_at):%Y-%m-%d} · {v.file_name or v.note}")
        current = versions.first()
        if current is not None and not self.is_bound:
            self.initial["price_list_version"] = current.pk
