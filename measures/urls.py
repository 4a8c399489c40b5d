from django.urls import path

from measures import export_job_views, open_data, views

app_name = "measures"

urlpatterns = [
    path("kurse/", views.course_list, name="course_list"),
    path("kurse/export.csv", open_data.course_export, {"kind": "csv"}, name="export_csv"),
    path("kurse/export.xlsx", open_data.course_export, {"kind": "xlsx"}, name="export_xlsx"),
    path("kurse/export.ics", open_data.course_export, {"kind": "ics"}, name="export_ics"),
    path("kurse/export.json", open_data.course_export, {"kind": "json"}, name="export_json"),
    # Larger exports, prepared in the background: the job's status page and its file.
    path("kurse/export/<slug:token>/", export_job_views.export_job, name="export_job"),
    path(
        "kurse/export/<slug:token>/herunterladen/",
        export_job_views.export_job_file,
        name="export_job_file",
    ),
    path("kurse/neu.rss", open_data.CourseFeed(), name="feed_rss"),
    path("kurse/neu.atom", open_data.CourseAtomFeed(), name="feed_atom"),
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
    path("anbieter/<slug:slug>/neu.rss", open_data.ProviderFeed(), name="provider_feed_rss"),
    path("anbieter/<slug:slug>/neu.atom", open_data.ProviderAtomFeed(), name="provider_feed_atom"),
    path("regionen/", views.region_list, name="region_list"),
    path("regionen/<str:key>/", views.region_detail, name="region_detail"),
]
