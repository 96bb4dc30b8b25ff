from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from assignments.api import urls as assignment_api_urls
from config import health
from config.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include(assignment_api_urls)),
    path("api/", include("availability.urls")),
    path("health/", health.health, name="health"),
    path("metrics", metrics_view, name="prometheus-django-metrics"),
    path("api/webhooks/", include("webhooks.api.urls")),
]

handler404 = "assignments.api.errors.json_404"
handler500 = "assignments.api.errors.json_500"
