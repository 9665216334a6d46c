"""The channel manager's, the front desk's and finance's pages for the referral network (/staff/brokers/…)."""

from django.urls import path

app_name = "brokers_staff"

urlpatterns: list = []
