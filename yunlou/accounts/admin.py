from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from yunlou.accounts.models import Membership, Organization, User
from yunlou.core.images import UploadedImageField
from yunlou.core.phone import normalize_phone


class UserAdminForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "phone", "title", "avatar"]
        field_classes = {"avatar": UploadedImageField}  # refuses huge, hostile or damaged images by name

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return normalize_phone(phone) if phone else ""


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminForm
    list_display = ["username", "display_name", "masked_phone", "is_staff", "is_active"]
    search_fields = ["username", "display_name"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Profile"), {"fields": ["display_name", "phone", "title", "avatar"]}),
    ]

    @admin.display(description=_("phone"))
    def masked_phone(self, user):
        return user.masked_phone


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


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["user"]
    filter_horizontal = ["projects"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "organization", "role", "is_active"]
    list_filter = ["organization", "role", "is_active"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["projects"]
