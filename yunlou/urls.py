from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from yunlou.api import api
from yunlou.core import views as core_views

handler500 = "yunlou.core.views.server_error"

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    # The buyer's pages first: they take the crowd (a shared link), and the resolver tries patterns in order.
    path("pay/", include("yunlou.payments.urls")),
    path("live/", include("yunlou.live.urls")),
    path("launches/", include("yunlou.launch.urls_buyer")),
    path("launches/", include("yunlou.launch.urls_public")),
    path("staff/", include("yunlou.launch.urls_staff")),
    path("b/", include("yunlou.brokers.urls_broker")),
    path("staff/brokers/", include("yunlou.brokers.urls_staff")),
    path("promo/", include("yunlou.brokers.urls_materials")),
    path("", include("yunlou.launch.urls_contracts")),
    path("", include("yunlou.showroom.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("yunlou.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/audit/", core_views.audit_log, name="audit_log"),
    path("staff/", include("yunlou.catalogue.urls")),
]

def serve_media(request, path):
    # MEDIA_ROOT is read per request, not when this module loads: each test has a media directory of its own.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    # Uploaded media straight from disk, for the demo and tests; production serves it from storage.
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve_media)]
