from django.urls import path

from network import views

app_name = "network"

urlpatterns = [
    path("netzwerk/", views.network_list, name="network_list"),
    path("netzwerk/<slug:slug>/", views.network_detail, name="network_detail"),
    path("anbieter/<slug:slug>/", views.provider_detail, name="provider_detail"),
    path("regionen/<str:key>/", views.region_detail, name="region_detail"),
]
