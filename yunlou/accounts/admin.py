from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from yunlou.accounts.models import Membership, Organization, Role, User
from yunlou.core.admin_scope import OrganizationScopedAdmin, OrganizationScopedInline, admin_scope
from yunlou.core.errors import ValidationFailed
from yunlou.core.images import UploadedImageField
from yunlou.core.phone import normalize_phone


def _clean_phone(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except ValidationFailed as error:
        raise forms.ValidationError(error.message) from error


class UserAdminForm(UserChangeForm):
    """The platform operator's user form: the password shown as its hash's summary, never as editable text."""

    class Meta(UserChangeForm.Meta):
        model = User
        fields = ["display_name", "phone", "title", "avatar"]
        # The avatar refuses huge, hostile or damaged images by name.
        field_classes = {**UserChangeForm.Meta.field_classes, "avatar": UploadedImageField}

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return _clean_phone(phone) if phone else ""


class OrganizationUserForm(UserAdminForm):
    """An organisation admin's form for a colleague: the mobile number is never sent to the page, only its
    masked form; left blank it stays as it is, a new number replaces it."""

    phone = forms.CharField(label=_("phone"), required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["phone"] = ""
        field = self.fields["phone"]
        if self.instance.phone:
            field.widget.attrs["placeholder"] = self.instance.masked_phone
            field.help_text = _("Leave blank to keep %(phone)s; type a new number to replace it.") % {
                "phone": self.instance.masked_phone}

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return _clean_phone(phone) if phone else self.instance.phone


class OrganizationUserCreationForm(AdminUserCreationForm):
    """An organisation admin adds a colleague to their own organisation, in the role chosen here."""

    role = forms.ChoiceField(label=_("role"), choices=Role.choices, initial=Role.CONSULTANT)


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, DjangoUserAdmin):
    form = UserAdminForm
    organization_admin_permissions = ("view", "add", "change")
    list_display = ["username", "display_name", "masked_phone", "is_staff", "is_active"]
    search_fields = ["username", "display_name"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Profile"), {"fields": ["display_name", "phone", "title", "avatar"]}),
    ]
    # What an organisation admin edits of a colleague: no staff or superuser flag, no groups or permissions.
    organization_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Profile"), {"fields": ["display_name", "phone", "title", "avatar"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    organization_add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["username", "display_name", "role", "usable_password", "password1", "password2"]}),
    ]

    def organization_queryset(self, queryset, organization):
        # A user belongs to the organisation of their active membership or, with none active, of their latest
        # one: one organisation each, so no two developers manage the same account. Superusers belong to none.
        home = (Membership.objects.filter(user=OuterRef("pk")).order_by("-is_active", "-pk")
                .values("organization")[:1])
        return queryset.alias(home_organization=Subquery(home)).filter(
            home_organization=organization.pk, is_superuser=False)

    @admin.display(description=_("phone"))
    def masked_phone(self, user):
        return user.masked_phone

    def _organization_admin(self, request) -> bool:
        return not admin_scope(request).platform

    def get_fieldsets(self, request, obj=None):
        if self._organization_admin(request):
            return self.organization_fieldsets if obj else self.organization_add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if self._organization_admin(request):
            return ["last_login", "date_joined"]
        return super().get_readonly_fields(request, obj)

    def get_list_filter(self, request):
        if self._organization_admin(request):
            return ["is_active"]
        return super().get_list_filter(request)

    def get_form(self, request, obj=None, **kwargs):
        if self._organization_admin(request):
            kwargs["form"] = OrganizationUserForm if obj else OrganizationUserCreationForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        scope = admin_scope(request)
        if not change and not scope.platform:
            Membership.objects.create(user=obj, organization=scope.organization, role=form.cleaned_data["role"])


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "organization", "role", "projects", "is_active"]

    def clean(self):
        data = super().clean()
        organization, projects = data.get("organization"), data.get("projects")
        if organization and projects and any(p.organization_id != organization.pk for p in projects):
            self.add_error("projects", _("Projects must belong to the membership's organisation."))
        return data


class MembershipInline(OrganizationScopedInline, admin.TabularInline):
    model = Membership
    organization_path = "organization"
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["user"]
    filter_horizontal = ["projects"]


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = "pk"
    # An organisation admin keeps their company's names up to date; organisations are created by the platform.
    organization_admin_permissions = ("view", "change")
    list_display = ["name", "short_name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    organization_path = "organization"
    form = MembershipForm
    list_display = ["user", "organization", "role", "is_active"]
    list_filter = ["organization", "role", "is_active"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["projects"]
