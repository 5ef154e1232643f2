"""`/api/v1/`: the REST API for establishments' HR systems, and its OpenAPI document."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from muqeem.api.apis.account import BalanceApi, NoSuchOperationApi, RequestDetailApi
from muqeem.api.apis.final_exits import (
    FinalExitCancelApi,
    FinalExitCancelEligibilityApi,
    FinalExitDetailApi,
    FinalExitEligibilityApi,
    FinalExitIssueApi,
)
from muqeem.api.apis.renewals import IqamaRenewalCreateApi, IqamaRenewalEligibilityApi
from muqeem.api.apis.residents import ResidentDetailApi, ResidentHistoryApi, ResidentListApi
from muqeem.api.apis.visas import (
    VisaCancelApi,
    VisaDetailApi,
    VisaDocumentApi,
    VisaEligibilityApi,
    VisaExtendApi,
    VisaExtendEligibilityApi,
    VisaIssueApi,
)


class LocalRedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


app_name = "api"
urlpatterns = [
    path("residents/", ResidentListApi.as_view(), name="residents"),
    path("residents/<str:iqama_number>/", ResidentDetailApi.as_view(), name="resident"),
    path(
        "residents/<str:iqama_number>/history/",
        ResidentHistoryApi.as_view(),
        name="resident-history",
    ),
    path(
        "iqama-renewals/eligibility/",
        IqamaRenewalEligibilityApi.as_view(),
        name="renewal-eligibility",
    ),
    path("iqama-renewals/", IqamaRenewalCreateApi.as_view(), name="renewals"),
    path("visas/eligibility/", VisaEligibilityApi.as_view(), name="visa-eligibility"),
    path("visas/", VisaIssueApi.as_view(), name="visas"),
    path("visas/<str:number>/", VisaDetailApi.as_view(), name="visa"),
    path("visas/<str:number>/cancel/", VisaCancelApi.as_view(), name="visa-cancel"),
    path("visas/<str:number>/document/", VisaDocumentApi.as_view(), name="visa-document"),
    path(
        "visas/<str:number>/extend/eligibility/",
        VisaExtendEligibilityApi.as_view(),
        name="visa-extend-eligibility",
    ),
    path("visas/<str:number>/extend/", VisaExtendApi.as_view(), name="visa-extend"),
    path(
        "final-exits/eligibility/",
        FinalExitEligibilityApi.as_view(),
        name="final-exit-eligibility",
    ),
    path("final-exits/", FinalExitIssueApi.as_view(), name="final-exits"),
    path("final-exits/<str:number>/", FinalExitDetailApi.as_view(), name="final-exit"),
    path(
        "final-exits/<str:number>/cancel/eligibility/",
        FinalExitCancelEligibilityApi.as_view(),
        name="final-exit-cancel-eligibility",
    ),
    path(
        "final-exits/<str:number>/cancel/", FinalExitCancelApi.as_view(), name="final-exit-cancel"
    ),
    path("balance/", BalanceApi.as_view(), name="balance"),
    path("requests/<str:number>/", RequestDetailApi.as_view(), name="request"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", LocalRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Last: any other path under /api/v1/ is a 404 in the envelope, not the portal's HTML page.
    re_path(r"^.*$", NoSuchOperationApi.as_view(), name="not-found"),
]
