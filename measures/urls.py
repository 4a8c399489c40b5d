from django.urls import path

from measures import views

app_name = "measures"

urlpatterns = [
    path("kurse/", views.course_list, name="course_list"),
    path("kurse/<slug:slug>/", views.course_detail, name="course_detail"),
    path("kurse/<slug:slug>/druckansicht/", views.course_print, name="course_print"),
    path("kurse/<slug:slug>/termine.ics", views.course_calendar, name="course_calendar"),
    path(
        "kurse/<slug:slug>/termine/<int:date_id>.ics",
        views.date_calendar,
        name="date_calendar",
    ),
    path("anbieter/", views.provider_list, name="provider_list"),
    path("anbieter/<slug:slug>/", views.provider_detail, name="provider_detail"),
    path("regionen/", views.region_list, name="region_list"),
    path("regionen/<str:key>/", views.region_detail, name="region_detail"),
]
