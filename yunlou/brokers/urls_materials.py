"""Promotion materials and personal posters (/promo/…)."""

from django.urls import path

from yunlou.brokers import views_materials as views

app_name = "promo"

urlpatterns: list = [
    path("<int:project_id>/", views.materials, name="materials"),
    path("<int:project_id>/poster.png", views.poster, name="poster"),
]
