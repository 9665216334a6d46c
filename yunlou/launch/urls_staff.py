"""Staff pages of the online launch, mounted under /staff/ (yunlou/urls.py)."""

from django.urls import path

from yunlou.launch import views_staff as views

app_name = "launch_staff"

urlpatterns = [
    path("projects/<int:project_id>/launches/", views.launch_list, name="launch_list"),
    path("projects/<int:project_id>/launches/new/", views.launch_new, name="launch_new"),
    path("launches/<int:launch_id>/", views.launch_detail, name="launch_detail"),
    path("launches/<int:launch_id>/pledges/import/", views.pledge_upload, name="pledge_import"),
    path("launches/<int:launch_id>/freeze/", views.list_freeze, name="list_freeze"),
    path("launches/<int:launch_id>/draw/", views.draw, name="draw"),
    path("launches/<int:launch_id>/batches/", views.batches_set, name="batches_set"),
    path("launches/<int:launch_id>/payments/", views.payments, name="payments"),
    path("launches/<int:launch_id>/payments/sync/", views.payment_sync, name="payment_sync"),
    path("launches/<int:launch_id>/order-import/", views.order_upload, name="order_import"),
    path("launches/<int:launch_id>/rehearsal/clear/", views.rehearsal_clear, name="rehearsal_clear"),
    path("launches/<int:launch_id>/orders/", views.orders, name="orders"),
    path("launches/<int:launch_id>/orders.xlsx", views.orders_export, name="orders_export"),
    path("launches/<int:launch_id>/board/", views.board, name="board"),
    path("launches/<int:launch_id>/screen/", views.screen, name="screen"),
]
