from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("", views.docs, name="docs"),
    path("schema/", views.Schema.as_view(), name="schema"),
    path("courses/", views.CourseList.as_view(), name="course_list"),
    path("courses/<str:pk>/", views.CourseDetail.as_view(), name="course_detail"),
    path("providers/", views.ProviderList.as_view(), name="provider_list"),
    path("providers/<str:pk>/", views.ProviderDetail.as_view(), name="provider_detail"),
    path("vocabularies/", views.Vocabularies.as_view(), name="vocabularies"),
]
