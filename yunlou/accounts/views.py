from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from yunlou.accounts.forms import StaffLoginForm
from yunlou.accounts.landing import landing_url
from yunlou.accounts.staff import request_staff, staff_for


class StaffLoginView(auth_views.LoginView):
    """Staff log in here and land on their role's work page (`landing_url`), or on the safe `next` they came
    with. Someone who is not staff (no active membership) goes to the showroom whatever `next` says: the back
    office would only answer them with 403s. A logged-in user who opens the page again goes the same way."""

    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True
    extra_context = {"title": _("Staff login")}

    def get_success_url(self):
        # Not request_staff: that is cached per request, and this request began anonymous.
        staff = staff_for(self.request.user)
        if staff is None:
            return landing_url(None)
        return self.get_redirect_url() or landing_url(staff)


class StaffLogoutView(auth_views.LogoutView):
    pass


@require_GET
def landing(request):
    """The "way back" the error pages link to, which cannot know who is asking: staff to their work page,
    everyone else to the showroom."""
    return redirect(landing_url(request_staff(request)))


def csrf_failure(request, reason: str = ""):
    """A form sent with a stale or missing security token, typically a page left open past its session:
    explained in the visitor's language, with the way back, instead of Django's English technical page."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
