from django.urls import path

from atlas import views

app_name = "atlas"

urlpatterns = [
    path("", views.home, name="home"),
    path("impressum/", views.legal_page, {"purpose": "imprint"}, name="imprint"),
    path("datenschutz/", views.legal_page, {"purpose": "privacy"}, name="privacy"),
    path("barrierefreiheit/", views.accessibility, name="accessibility"),
    path("leichte-sprache/", views.legal_page, {"purpose": "easy_language"}, name="easy_language"),
    path("datenquellen/", views.legal_page, {"purpose": "data_sources"}, name="data_sources"),
    path("info/", views.info_index, name="info_index"),
    path("info/<slug:slug>/", views.info_page, name="info_page"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap_section"),
]
