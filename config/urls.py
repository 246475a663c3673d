"""URL map.

Residents' pages are Japanese at / and English under /en/ (i18n_patterns with no prefix
for the default language), so a CDN can cache each language by URL alone. Staff pages
live under /staff/ and /admin/, both behind a password and a second factor.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from config import views
from ops.metrics import metrics

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("staff/exports/", include("exports.urls")),
    path("staff/audit/", include("audit.urls")),
    path("staff/waitlist/", include("waitlist.staff_urls")),
    path("staff/lottery/", include("lottery.staff_urls")),
    path("staff/reception/", include("reception.urls")),
    path("staff/vouchers/", include("vouchers.urls")),
    path("staff/", include("staff.urls")),
]
urlpatterns += i18n_patterns(
    path("", include("reservations.urls")),
    path("waitlist/", include("waitlist.urls")),
    path("lottery/", include("lottery.urls")),
    path("", include("vouchers.resident_urls")),
    prefix_default_language=False,
)
