"""The broker's mobile pages (/b/…) and the customer's own check-in."""

from django.urls import path

from yunlou.brokers import views_broker

app_name = "brokers"

urlpatterns: list = [
    path("", views_broker.home, name="home"),
    path("join/<str:invite_code>/", views_broker.join, name="join"),
    path("invite.png", views_broker.invite_qr, name="invite_qr"),
    path("reports/", views_broker.referrals, name="referrals"),
    path("reports/<int:referral_id>/", views_broker.referral, name="referral"),
    path("reports/<int:referral_id>/qr.png", views_broker.referral_qr, name="referral_qr"),
    path("team/", views_broker.team, name="team"),
    path("commissions/", views_broker.commissions, name="commissions"),
    path("agency/", views_broker.agency, name="agency"),
    path("agency/reports/", views_broker.agency_reports, name="agency_reports"),
    path("leaderboard/", views_broker.leaderboard, name="leaderboard"),
    path("bank/", views_broker.bank, name="bank"),
    path("checkin/<int:project_id>/", views_broker.check_in, name="check_in"),
]
