from django.urls import include, path

from yunlou.urls import urlpatterns as site_urlpatterns

# The site with the line its urls.py is to carry, so that these tests need not wait for it.
urlpatterns = [path("live/", include("yunlou.live.urls")), *site_urlpatterns]
