from django.urls import path

from yunlou.catalogue import views
from yunlou.catalogue.overview import overview

app_name = "catalogue"

urlpatterns = [
    path("", views.staff_home, name="staff_home"),
    path("overview/", overview, name="overview"),
    path("buildings/<int:building_id>/grid/", views.grid, name="grid"),
    path("units/<int:unit_id>/status/", views.unit_status, name="unit_status"),
    path("projects/<int:project_id>/price-list/", views.price_list, name="price_list"),
    path("projects/<int:project_id>/price-list.xlsx", views.price_list_export, name="price_list_export"),
    path("projects/<int:project_id>/price-list/drafts/<int:draft_id>/", views.price_list_draft,
         name="price_list_draft"),
    path("projects/<int:project_id>/price-list/drafts/<int:draft_id>/confirm/", views.price_list_confirm,
         name="price_list_confirm"),
    path("projects/<int:project_id>/price-list/drafts/<int:draft_id>/discard/", views.price_list_discard,
         name="price_list_discard"),
    path("projects/<int:project_id>/price-list/versions/", views.price_list_versions, name="price_list_versions"),
    path("projects/<int:project_id>/price-list/versions/<int:number>/", views.price_list_version,
         name="price_list_version"),
    path("projects/<int:project_id>/permits/", views.presale_permits, name="presale_permits"),
]
