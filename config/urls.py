from django.contrib import admin
from django.urls import include, path

from muqeem.core.server_error import server_error

urlpatterns = [
    path("", include("muqeem.web.urls")),
    path("accounts/", include("muqeem.accounts.urls")),
    path("users/", include("muqeem.accounts.users_urls")),
    path("settings/api-keys/", include("muqeem.api.portal_urls")),
    path("settings/webhooks/", include("muqeem.webhooks.portal_urls")),
    path("eservices/iqama-renewal/", include("muqeem.eservices.iqama_renewal.urls")),
    path("eservices/exit-reentry/", include("muqeem.eservices.exit_reentry.urls")),
    path("eservices/final-exit/", include("muqeem.eservices.final_exit.urls")),
    path("eservices/iqama-issuance/", include("muqeem.eservices.iqama_issuance.urls")),
    path("eservices/profession-change/", include("muqeem.eservices.profession_change.urls")),
    path("eservices/passport-update/", include("muqeem.eservices.passport_update.urls")),
    path("eservices/transfer/", include("muqeem.eservices.service_transfer.urls")),
    path("eservices/wasel/", include("muqeem.delivery.urls")),
    path("residents/", include("muqeem.residents.urls")),
    path("reports/", include("muqeem.reports.urls")),
    path("alerts/", include("muqeem.alerts.urls")),
    path("bulk/", include("muqeem.bulk.urls")),
    path("verify/", include("muqeem.documents.urls")),
    path("authority/border/", include("muqeem.border.urls")),
    path("api/border/v1/", include("muqeem.border.api_urls")),
    path("api/v1/", include("muqeem.api.urls")),
    path("api/postal/v1/", include("muqeem.delivery.api_urls")),
    path("authority/wasel/", include("muqeem.delivery.staff_urls")),
    path("payments/", include("muqeem.payments.urls")),
    path("exceptions/", include("muqeem.exception_requests.urls")),
    path("authority/", include("muqeem.authority.urls")),
    path("authority/agency/", include("muqeem.agency.urls")),
    path("authority/payments/", include("muqeem.payments.staff_urls")),
    path("authority/exceptions/", include("muqeem.exception_requests.staff_urls")),
    path("authority/oversight/", include("muqeem.oversight.urls")),
    path("api/agency/v1/", include("muqeem.agency.api_urls")),
    path("api/bank/v1/", include("muqeem.payments.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# The 500 page prints the request id for the user to quote (ASVS 7.4.1).
handler500 = server_error
