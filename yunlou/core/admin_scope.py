"""The Django admin, scoped: an organisation admin (开发商管理员) sees and edits only their own organisation.

Two kinds of people use `/admin/`:
- the platform operator, a Django superuser with no organisation, who sees everything;
- an organisation admin: an ordinary staff user (`is_staff`, never `is_superuser`) whose active membership has
  the role `admin`. Everything they reach is limited to that organisation — every list and its filters, every
  change and delete, every foreign-key and many-to-many choice, every search and autocomplete. An object of
  another organisation answers the same 404 as a missing one.

Each `ModelAdmin` says once how its model reaches its organisation (`organization_path =
"building__project__organization"`), and inlines say it for theirs; that registry also scopes the choices of
every form field that points at the model, wherever it appears. A model nobody declared is never offered to
an organisation admin (fail closed). Admins registered by other packages (auth groups, axes' login records)
are platform data: only superusers see them (`platform_only_admins`), and a system check refuses any
registered admin that is neither.

Which models an organisation admin may view, add, change or delete is ordinary Django model permissions,
held by one group (`ORGANIZATION_ADMIN_GROUP`). The group is written after every `migrate` from what the
scoped admins declare (`organization_admin_permissions`), so a newly registered admin brings its permissions
with it and the group never drifts from the code. Having the permissions is not enough: access also needs an
active admin membership, so a demoted or departed admin who kept the group or the staff flag sees nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_permission_codename
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.signals import post_migrate
from django.http import Http404

from yunlou.accounts.models import Organization, Role
from yunlou.accounts.staff import request_staff

ORGANIZATION_ADMIN_GROUP = "开发商管理员"
ALL_ACTIONS = ("view", "add", "change", "delete")

OrganizationScope = Callable[[models.QuerySet, Organization], models.QuerySet]

# How each model reaches its organisation, filled in by the scoped admins and inlines as they are declared.
_SCOPES: dict[type[models.Model], OrganizationScope] = {}


def organization_scope_register(model: type[models.Model], scope: OrganizationScope | str) -> None:
    """Declare how `model` reaches its organisation: a lookup path (`"project__organization"`, `"pk"` for the
    organisation itself) or a function filtering a queryset to one organisation."""
    if isinstance(scope, str):
        path = scope

        def scope(queryset, organization):
            return queryset.filter(**{path: organization.pk})

    _SCOPES[model] = scope


def organization_filter(queryset: models.QuerySet, organization: Organization) -> models.QuerySet:
    """`queryset` limited to `organization`; empty for a model whose way to an organisation nobody declared."""
    scope = _SCOPES.get(queryset.model)
    return scope(queryset, organization) if scope else queryset.none()


@dataclass(frozen=True)
class AdminScope:
    """What the caller may reach in the admin: everything (`platform`), one organisation, or nothing."""

    platform: bool
    organization: Organization | None

    def filter(self, queryset: models.QuerySet) -> models.QuerySet:
        if self.platform:
            return queryset
        if self.organization is None:
            return queryset.none()
        return organization_filter(queryset, self.organization)


def admin_scope(request) -> AdminScope:
    if not hasattr(request, "_admin_scope"):
        user = request.user
        if user.is_active and user.is_superuser:
            request._admin_scope = AdminScope(platform=True, organization=None)
        else:
            staff = request_staff(request)
            organization = staff.organization if staff is not None and staff.role == Role.ADMIN else None
            request._admin_scope = AdminScope(platform=False, organization=organization)
    return request._admin_scope


def _within_scope(request, obj) -> bool:
    """Whether `obj` (of any scoped model) belongs to the caller's reach; remembered for the request, since the
    admin asks the same question several times per page."""
    scope = admin_scope(request)
    if scope.platform:
        return True
    if scope.organization is None or obj is None:
        return False
    answers = request.__dict__.setdefault("_admin_scope_objects", {})
    key = (obj._meta.label, obj.pk)
    if key not in answers:
        queryset = type(obj)._default_manager.filter(pk=obj.pk)
        answers[key] = obj.pk is not None and scope.filter(queryset).exists()
    return answers[key]


class OrganizationRelatedFieldListFilter(RelatedFieldListFilter):
    """A list filter on a relation whose choices are the caller's organisation's objects only."""

    def field_choices(self, field, request, model_admin):
        scope = admin_scope(request)
        if scope.platform:
            return super().field_choices(field, request, model_admin)
        allowed = scope.filter(field.related_model._default_manager.all()).values("pk")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"pk__in": allowed})


class ScopedForeignKeyRawIdWidget(ForeignKeyRawIdWidget):
    """The raw-id widget names the object whose id was typed in; only when it is one the caller may see."""

    def __init__(self, rel, admin_site, *, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            self.queryset.get(**{key: value})
        except (ValueError, ValidationError, self.queryset.model.DoesNotExist):
            return "", ""
        return super().label_and_url_for_value(value)


class _OrganizationScopedFields:
    """Form-field choices (ModelAdmin and inline alike): only objects of the caller's organisation."""

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        scope = admin_scope(request)
        if scope.platform:
            return queryset
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return scope.filter(queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not admin_scope(request).platform and db_field.name in self.raw_id_fields and "widget" not in kwargs:
            kwargs["queryset"] = self.get_field_queryset(kwargs.get("using"), db_field, request)
            kwargs["widget"] = ScopedForeignKeyRawIdWidget(db_field.remote_field, self.admin_site,
                                                           using=kwargs.get("using"), queryset=kwargs["queryset"])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OrganizationScopedAdmin(_OrganizationScopedFields, admin.ModelAdmin):
    """A ModelAdmin that an organisation admin uses for their own organisation's records only.

    Set `organization_path` to the lookup from the model to its organisation (or override
    `organization_queryset` when a path cannot say it), and `organization_admin_permissions` to what an
    organisation admin may do here.
    """

    organization_path: str = ""
    organization_admin_permissions: tuple[str, ...] = ALL_ACTIONS

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        organization_scope_register(model, self.organization_queryset)

    def organization_queryset(self, queryset: models.QuerySet, organization: Organization) -> models.QuerySet:
        return queryset.filter(**{self.organization_path: organization.pk})

    # --- what the caller may reach ---

    def get_queryset(self, request):
        return admin_scope(request).filter(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete view searches through here; scoping again keeps a search over relations in bounds.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return admin_scope(request).filter(queryset), may_have_duplicates

    def _may(self, request, obj) -> bool:
        scope = admin_scope(request)
        if scope.platform:
            return True
        return scope.organization is not None and (obj is None or _within_scope(request, obj))

    def has_module_permission(self, request):
        return self._may(request, None) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may(request, None) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj) and super().has_delete_permission(request, obj)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django answers a missing object with a redirect and a message; for an organisation admin an object
        # of another organisation must look exactly like a missing one, and a 404 says so plainly.
        if not admin_scope(request).platform:
            raise Http404
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def get_list_filter(self, request):
        list_filter = super().get_list_filter(request)
        if admin_scope(request).platform:
            return list_filter
        return [self._scoped_list_filter(entry) for entry in list_filter]

    def _scoped_list_filter(self, entry):
        if not isinstance(entry, str):
            return entry  # a filter class of its own: it reads `model_admin.get_queryset`, which is scoped
        try:
            field = get_fields_from_path(self.model, entry)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        return (entry, OrganizationRelatedFieldListFilter) if field.is_relation else entry

    # --- the organisation of a new record is the caller's, never chosen ---

    @property
    def _organization_field(self) -> str | None:
        """The model's own foreign key to its organisation, when the path is that one field."""
        if not self.organization_path or "__" in self.organization_path or self.organization_path == "pk":
            return None
        return self.organization_path

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = admin_scope(request)
        if not scope.platform and db_field.name == self._organization_field:
            kwargs["queryset"] = db_field.remote_field.model._default_manager.filter(
                pk=scope.organization.pk if scope.organization else None)
            kwargs["disabled"] = True  # shown for reference; the posted value is ignored
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        scope = admin_scope(request)
        field = self._organization_field
        if scope.platform or not field or scope.organization is None:
            return form
        organization = scope.organization

        def __init__(self, *args, **kwargs):
            form.__init__(self, *args, **kwargs)
            # The disabled field's value, whatever the query string or the posted data say.
            self.initial[field] = organization.pk
            setattr(self.instance, field, organization)

        return type(form.__name__, (form,), {"__init__": __init__})

    def save_model(self, request, obj, form, change):
        scope = admin_scope(request)
        if not scope.platform and self._organization_field:
            setattr(obj, f"{self._organization_field}_id", scope.organization.pk)
        super().save_model(request, obj, form, change)


class ReadOnlyScopedAdmin(OrganizationScopedAdmin):
    """Records that change only through the services (money, unit states, history): shown to read, never
    added, changed or deleted in the admin — by the platform operator no more than by an organisation admin."""

    organization_admin_permissions = ("view",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrganizationScopedInline(_OrganizationScopedFields):
    """Mixin for an inline of a scoped admin: `class BuildingInline(OrganizationScopedInline, TabularInline)`.

    Declares, like the admins, how its model reaches its organisation and what an organisation admin may do
    with it; the permission checks receive the parent object, which must be within the caller's reach.
    """

    organization_path: str = ""
    organization_admin_permissions: tuple[str, ...] = ALL_ACTIONS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "model", None) is not None and cls.organization_path:
            organization_scope_register(cls.model, cls.organization_path)

    def _may(self, request, obj) -> bool:
        scope = admin_scope(request)
        if scope.platform:
            return True
        return scope.organization is not None and (obj is None or _within_scope(request, obj))

    def get_queryset(self, request):
        return admin_scope(request).filter(super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj):
        return self._may(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj) and super().has_delete_permission(request, obj)


class PlatformOnlyAdmin(admin.ModelAdmin):
    """Platform data (groups and permissions, login records): the operator's, never an organisation admin's."""

    @staticmethod
    def _platform(request) -> bool:
        return admin_scope(request).platform

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self._platform(request) else queryset.none()

    def has_module_permission(self, request):
        return self._platform(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._platform(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._platform(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._platform(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._platform(request) and super().has_delete_permission(request, obj)


def platform_only_admins(site: admin.AdminSite = admin.site) -> None:
    """Make every admin registered so far that is not organisation-scoped a platform-only one (the admins of
    django.contrib.auth and django-axes, registered before ours)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, OrganizationScopedAdmin | PlatformOnlyAdmin):
            continue
        original = type(model_admin)
        site.unregister(model)
        site.register(model, type(f"PlatformOnly{original.__name__}", (PlatformOnlyAdmin, original), {}))


@checks.register(checks.Tags.admin)
def every_admin_is_scoped_check(app_configs=None, **kwargs) -> list[checks.Error]:
    return [
        checks.Error(
            f"{type(model_admin).__name__} for {model._meta.label} is neither organisation-scoped nor "
            "platform-only: an organisation admin given its permissions would see every organisation's rows.",
            hint="Subclass yunlou.core.admin_scope.OrganizationScopedAdmin (or PlatformOnlyAdmin).",
            obj=type(model_admin), id="yunlou.E010",
        )
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, OrganizationScopedAdmin | PlatformOnlyAdmin)
    ]


# --- the organisation admins' group ---

def organization_admin_permissions(site: admin.AdminSite = admin.site) -> dict[type[models.Model], set[str]]:
    """What the scoped admins (and their inlines) let an organisation admin do, per model."""
    wanted: dict[type[models.Model], set[str]] = {}
    for model, model_admin in site._registry.items():
        if not isinstance(model_admin, OrganizationScopedAdmin):
            continue
        wanted.setdefault(model, set()).update(model_admin.organization_admin_permissions)
        for inline in model_admin.inlines:
            if issubclass(inline, OrganizationScopedInline):
                wanted.setdefault(inline.model, set()).update(inline.organization_admin_permissions)
    return wanted


def organization_admin_group_sync(*, app_labels: set[str] | None = None, using: str = "default") -> Group:
    """Give the organisation admins' group exactly the permissions the scoped admins declare (for the models
    of `app_labels`, or all), creating the group and the permission rows when missing."""
    group, _created = Group.objects.using(using).get_or_create(name=ORGANIZATION_ADMIN_GROUP)
    wanted = organization_admin_permissions()
    for app_config in global_apps.get_app_configs():
        if app_config.models_module is None or (app_labels is not None and app_config.label not in app_labels):
            continue
        create_permissions(app_config, verbosity=0, using=using)  # idempotent; ours may run before auth's
        codenames = {
            (model._meta.model_name, get_permission_codename(action, model._meta))
            for model, actions in wanted.items() if model._meta.app_label == app_config.label
            for action in actions
        }
        of_app = Permission.objects.using(using).filter(content_type__app_label=app_config.label)
        keep = [p for p in of_app.select_related("content_type") if (p.content_type.model, p.codename) in codenames]
        group.permissions.remove(*of_app.exclude(pk__in=[p.pk for p in keep]))
        group.permissions.add(*keep)
    return group


def _group_sync_after_migrate(sender, using="default", **kwargs) -> None:
    organization_admin_group_sync(app_labels={sender.label}, using=using)


# Admin modules are imported while Django starts (admin autodiscovery), before any migrate runs.
post_migrate.connect(_group_sync_after_migrate, dispatch_uid="yunlou.organization_admin_group_sync")
