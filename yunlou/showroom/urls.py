from django.urls import path

from yunlou.showroom import views, workbench

app_name = "showroom"

urlpatterns = [
    path("", views.project_list, name="projects"),
    path("p/<int:project_id>/", views.project_detail, name="project"),
    path("p/<int:project_id>/plans/<int:plan_id>/", views.floor_plan_detail, name="floor_plan"),
    path("p/<int:project_id>/units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("p/<int:project_id>/site/", views.site_plan, name="site_plan"),
    path("p/<int:project_id>/buildings/<int:building_id>/", views.building_detail, name="building"),
    path("p/<int:project_id>/buildings/<int:building_id>/prices/", views.building_prices, name="building_prices"),
    path("p/<int:project_id>/news/", views.news, name="news"),
    path("p/<int:project_id>/seen.gif", views.beacon, name="visit_beacon"),
    path("p/<int:project_id>/vr/", views.vr_tour, name="vr"),
    path("p/<int:project_id>/calculator/", views.calculator, name="calculator"),
    path("p/<int:project_id>/code/", views.phone_code, name="phone_code"),
    path("p/<int:project_id>/consult/", views.consultation, name="consult"),
    path("m/", workbench.home, name="workbench"),
    path("m/qr/<int:project_id>.png", workbench.share_qr, name="workbench_qr"),
    path("m/customers/", workbench.customers, name="workbench_customers"),
    path("m/customers/<int:customer_id>/", workbench.customer_detail, name="workbench_customer"),
    path("m/customers/<int:customer_id>/phone/", workbench.customer_phone, name="workbench_customer_phone"),
    path("m/consultations/", workbench.consultations, name="workbench_consultations"),
    path("m/notifications/", workbench.notifications, name="workbench_notifications"),
]
