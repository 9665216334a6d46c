"""Promotion materials and personal posters (/promo/…)."""

from django.urls import path

app_name = "promo"

urlpatterns: list = []
