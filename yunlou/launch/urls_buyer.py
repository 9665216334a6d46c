from django.urls import path

from yunlou.launch import views_buyer

app_name = "launch_buyer"

urlpatterns = [
    path("<int:launch_id>/", views_buyer.launch_page, name="launch"),
    path("<int:launch_id>/pledge/", views_buyer.pledge_start, name="pledge"),
    path("orders/<int:order_id>/", views_buyer.order_page, name="order"),
    path("orders/<int:order_id>/pay/", views_buyer.order_pay, name="order_pay"),
]
