"""The contract step's pages, at full paths: include at the site root (`path("", include(...))`)."""

from django.urls import path, re_path

from yunlou.launch import views_contracts as views

app_name = "contracts"

urlpatterns = [
    path("contracts/verify/", views.contract_verify, name="verify"),
    re_path(r"^launch/contracts/(?P<number>HT[0-9]{8,24})\.pdf$", views.contract_download, name="download"),
    path("launch/orders/<int:order_id>/contract/sign/", views.contract_sign, name="sign"),
    path("launch/orders/<int:order_id>/cancel/", views.hold_cancel, name="hold_cancel"),
    path("staff/launch/orders/<int:order_id>/refund/", views.order_refund_page, name="order_refund"),
]
