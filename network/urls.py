from django.urls import path

from network import views

app_name = "network"

urlpatterns = [
    path("netzwerk/", views.network_list, name="network_list"),
    path("netzwerk/<slug:slug>/", views.network_detail, name="network_detail"),
    path(
        "netzwerk/<slug:network>/arbeitsgruppen/<slug:slug>/",
        views.working_group_detail,
        name="working_group_detail",
    ),
    path("netzwerk/<slug:network>/vorhaben/", views.project_list, name="project_list"),
    path(
        "netzwerk/<slug:network>/vorhaben/<slug:slug>/",
        views.project_detail,
        name="project_detail",
    ),
    path("netzwerk/<slug:network>/veranstaltungen/", views.event_list, name="event_list"),
    path(
        "netzwerk/<slug:network>/veranstaltungen.ics",
        views.network_calendar,
        name="network_calendar",
    ),
    path(
        "netzwerk/<slug:network>/veranstaltungen/<slug:slug>/",
        views.event_detail,
        name="event_detail",
    ),
    path(
        "netzwerk/<slug:network>/veranstaltungen/<slug:slug>/kalender.ics",
        views.event_calendar,
        name="event_calendar",
    ),
    path("partner/", views.partner_list, name="partner_list"),
]
