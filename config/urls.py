from django.contrib import admin
from django.urls import include, path

from assignments.api import urls as assignment_api_urls
from config import health, internal

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", internal.SchemaView.as_view(), name="schema"),
    path("api/docs/", internal.SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", internal.RedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/", include(assignment_api_urls)),
    path("api/", include("availability.urls")),
    path("health/", health.health, name="health"),
    path("metrics", internal.metrics, name="prometheus-django-metrics"),
    path("api/webhooks/", include("webhooks.api.urls")),
]

handler404 = "assignments.api.errors.json_404"
handler500 = "assignments.api.errors.json_500"
