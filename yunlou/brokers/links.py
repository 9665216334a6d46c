"""Addresses that leave the building (invite QR codes, visit codes sent to customers): written with the public
base URL, never with whatever host the sender's own request used."""

from urllib.parse import urlencode

from django.urls import reverse

from yunlou.core.urls import public_url


def invite_link(code: str) -> str:
    return public_url(reverse("brokers:join", kwargs={"invite_code": code}))


def visit_code_link(code: str) -> str:
    """The front desk's confirmation page for a visit code: what the QR the customer shows encodes."""
    return public_url(reverse("brokers_staff:desk_code", kwargs={"visit_code": code}))


def check_in_link(project_id: int, token: str) -> str:
    """The customer's own check-in page, with the office QR's timed token."""
    return public_url(reverse("brokers:check_in", kwargs={"project_id": project_id})) + "?" + urlencode({"t": token})
