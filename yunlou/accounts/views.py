from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _

from yunlou.accounts.forms import StaffLoginForm


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True
    extra_context = {"title": _("Staff login")}


class StaffLogoutView(auth_views.LogoutView):
    pass
