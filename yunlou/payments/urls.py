from django.urls import path

from yunlou.payments import views

app_name = "payments"

urlpatterns = [
    path("notify/wechat/", views.wechat_notify, name="wechat_notify"),
    # The sandbox gateway, at WeChat Pay API v3's paths under sandbox/ (PAYMENT_WECHAT_BASE_URL points here).
    path("sandbox/v3/pay/transactions/h5", views.sandbox_h5_open, name="sandbox_h5_open"),
    path("sandbox/v3/pay/transactions/out-trade-no/<str:out_trade_no>", views.sandbox_trade_query,
         name="sandbox_trade_query"),
    path("sandbox/v3/pay/transactions/out-trade-no/<str:out_trade_no>/close", views.sandbox_trade_close,
         name="sandbox_trade_close"),
    path("sandbox/v3/refund/domestic/refunds", views.sandbox_refund_open, name="sandbox_refund_open"),
    path("sandbox/checkout/<str:prepay_id>/", views.sandbox_checkout, name="sandbox_checkout"),
]
