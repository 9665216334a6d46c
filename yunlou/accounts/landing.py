"""Where each role starts its day: the page a user lands on after logging in, and the "way back" of the error
pages. One mapping, so that a later issue that gives a role its own page (reception, brokers, payments)
changes one line here.

A user with no active staff membership (a buyer, a broker, a disabled employee) never lands in the back
office: they go to the showroom.
"""

from django.urls import reverse

from yunlou.accounts.models import Role
from yunlou.accounts.staff import Staff

SHOWROOM_HOME = "showroom:projects"

LANDING_PAGES: dict[str, str] = {
    Role.ADMIN: "catalogue:overview",
    Role.MANAGER: "catalogue:overview",
    Role.CONSULTANT: "showroom:workbench",
    # No pages of their own yet; until then the overview is what serves them best: the receptionist answers
    # walk-ins with what is still available, the channel manager follows sell-through, and finance reads the
    # sold amounts (shown to finance only among the three). Reception, brokers and payments replace these.
    Role.RECEPTIONIST: "catalogue:overview",
    Role.CHANNEL: "catalogue:overview",
    Role.FINANCE: "catalogue:overview",
}


def landing_url(staff: Staff | None) -> str:
    """The path a user lands on: their role's work page, or the showroom home for anyone who is not staff."""
    if staff is None:
        return reverse(SHOWROOM_HOME)
    return reverse(LANDING_PAGES.get(staff.role, SHOWROOM_HOME))
