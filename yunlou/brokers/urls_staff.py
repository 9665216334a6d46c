"""The channel manager's, the front desk's and finance's pages for the referral network (/staff/brokers/…)."""

from django.urls import path

from yunlou.brokers import views_staff as views

app_name = "brokers_staff"

urlpatterns: list = [
    path("", views.broker_list, name="brokers"),
    path("invite.png", views.invite_qr, name="invite_qr"),
    path("<int:broker_id>/status/", views.broker_status, name="broker_status"),
    path("projects/<int:project_id>/rules/", views.rules, name="rules"),
    path("projects/<int:project_id>/referrals/", views.referrals, name="referrals"),
    path("commissions/", views.commissions, name="commissions"),
    path("commissions/ageing/", views.ageing, name="ageing"),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:batch_id>/", views.batch, name="batch"),
    path("batches/<int:batch_id>/pay/", views.batch_pay, name="batch_pay"),
    path("batches/<int:batch_id>.xlsx", views.batch_export, name="batch_export"),
    path("loans/<int:order_id>/disbursed/", views.loan_disbursed, name="loan_disbursed"),
    path("fraud/", views.fraud, name="fraud"),
    path("desk/", views.desk_home, name="desk_home"),
    path("desk/<int:project_id>/", views.desk, name="desk"),
    path("desk/<int:project_id>/confirm/", views.desk_confirm, name="desk_confirm"),
    path("desk/<int:project_id>/walk-in/", views.desk_walk_in, name="desk_walk_in"),
    path("desk/<int:project_id>/check-in/", views.desk_check_in, name="desk_check_in"),
    path("desk/<int:project_id>/check-in.png", views.desk_check_in_qr, name="desk_check_in_qr"),
    path("desk/code/<str:visit_code>/", views.desk_code, name="desk_code"),
    path("pool/", views.pool, name="pool"),
    path("pool/<int:customer_id>/claim/", views.pool_take, name="pool_claim"),
]
