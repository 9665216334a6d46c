"""Form fields every form of the project builds on, so that what a form hands a service is safe to store.

`CleanCharField` is the text field: it removes control and bidirectional characters (`yunlou.core.text`) the
way CharField removes surrounding spaces. Requests arrive cleaned already (ControlCharacterMiddleware); the
field keeps a form safe when its data comes from elsewhere — an import, a test, a future endpoint. `IdField`
is the integer field for primary keys: past 2⁶³−1 it is a form error, not a database error. `MomentField` is
the date-time field for what a sales office schedules: between 2000 and 2100, so that the services' arithmetic on
it (batch windows, hold ends) never leaves Python's calendar (a 500 for "9999-12-31T23:59").
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from yunlou.core.parsing import MAX_ID
from yunlou.core.text import strip_controls


class CleanCharField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str) and value:
            value = strip_controls(value)
            if self.strip:
                value = value.strip()
        return value


class IdField(forms.IntegerField):
    default_error_messages = {"max_value": _("No such item.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class MomentField(forms.DateTimeField):
    EARLIEST = datetime.datetime(2000, 1, 1)
    LATEST = datetime.datetime(2100, 1, 1)
    default_error_messages = {"out_of_range": _("Enter a time between 2000 and 2100.")}

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not self.EARLIEST <= moment.replace(tzinfo=None) < self.LATEST:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return moment


def form_error_add(form: forms.Form, error) -> None:
    """A service's refusal (a DomainError: `field`, `message`) shown on the form: on its field when the form has
    one by that name, above the form otherwise."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
