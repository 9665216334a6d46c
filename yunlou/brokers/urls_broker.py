"""The broker's mobile pages (/b/…) and the customer's own check-in."""

from django.urls import path

app_name = "brokers"

urlpatterns: list = []
