from django.urls import path

from measures import views

app_name = "measures"

urlpatterns = [
    path("kurse/", views.course_list, name="course_list"),
    path("kurse/<slug:slug>/", views.course_detail, name="course_detail"),
]
