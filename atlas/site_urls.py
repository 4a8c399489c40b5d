from django.urls import path
from django.views.generic import TemplateView

from atlas import views

app_name = "atlas"

urlpatterns = [
    path("", views.home, name="home"),
    path("impressum/", TemplateView.as_view(template_name="atlas/imprint.html"), name="imprint"),
    path("datenschutz/", TemplateView.as_view(template_name="atlas/privacy.html"), name="privacy"),
    path(
        "barrierefreiheit/",
        TemplateView.as_view(template_name="atlas/accessibility.html"),
        name="accessibility",
    ),
    path(
        "leichte-sprache/",
        TemplateView.as_view(template_name="atlas/easy_language.html"),
        name="easy_language",
    ),
    path(
        "datenquellen/",
        TemplateView.as_view(template_name="atlas/data_sources.html"),
        name="data_sources",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
]
