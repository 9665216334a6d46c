"""The public lottery page of a launch, mounted under /launches/ (yunlou/urls.py): anyone, no login."""

from django.urls import path

from yunlou.launch import views_public as views

app_name = "launch_public"

urlpatterns = [
    path("<int:launch_id>/lottery/", views.lottery_page, name="lottery"),
    path("<int:launch_id>/lottery/list.txt", views.lottery_list_text, name="lottery_list"),
    path("<int:launch_id>/lottery/order.txt", views.lottery_order_text, name="lottery_order"),
]
