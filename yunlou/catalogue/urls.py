from django.urls import path

from yunlou.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.staff_home, name="staff_home"),
    path("buildings/<int:building_id>/grid/", views.grid, name="grid"),
    path("units/<int:unit_id>/status/", views.unit_status, name="unit_status"),
    path("projects/<int:project_id>/price-list/", views.price_list, name="price_list"),
    path("projects/<int:project_id>/price-list.xlsx", views.price_list_export, name="price_list_export"),
]
