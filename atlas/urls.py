from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("atlas.site_urls")),
    path("", include("network.urls")),
    path("", include("measures.urls")),
    path("api/", include("api.urls")),
]

handler404 = "atlas.views.not_found"
handler500 = "atlas.outage.server_error"  # the 503 page when the database is down
