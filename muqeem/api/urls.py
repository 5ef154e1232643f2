"""`/api/v1/`: the REST API for establishments' HR systems, and its OpenAPI document."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from muqeem.api.apis.account import BalanceApi, NoSuchOperationApi, RequestDetailApi
from muqeem.api.apis.cards import CardReplacementCreateApi, CardReplacementEligibilityApi
from muqeem.api.apis.deliveries import DeliveryDetailApi, DeliveryListApi
from muqeem.api.apis.final_exit_documents import FinalExitDocumentApi
from muqeem.api.apis.final_exits import (
    FinalExitCancelApi,
    FinalExitCancelEligibilityApi,
    FinalExitDetailApi,
    FinalExitEligibilityApi,
    FinalExitIssueApi,
)
from muqeem.api.apis.fines import FinePayApi, ResidentFinesApi
from muqeem.api.apis.iqama_issuances import IqamaIssuanceCreateApi, IqamaIssuanceEligibilityApi
from muqeem.api.apis.ledger import LedgerApi
from muqeem.api.apis.passport_updates import PassportUpdateCreateApi, PassportUpdateEligibilityApi
from muqeem.api.apis.profession_changes import (
    ProfessionChangeCreateApi,
    ProfessionChangeEligibilityApi,
    ProfessionListApi,
)
from muqeem.api.apis.renewals import IqamaRenewalCreateApi, IqamaRenewalEligibilityApi
from muqeem.api.apis.residents import ResidentDetailApi, ResidentHistoryApi, ResidentListApi
from muqeem.api.apis.transfers import (
    TransferApproveApi,
    TransferCreateApi,
    TransferDetailApi,
    TransferEligibilityApi,
    TransferInboxApi,
    TransferRejectApi,
    TransferWithdrawApi,
)
from muqeem.api.apis.visa_cancellations import VisaCancelEligibilityApi
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
    path("residents/<str:iqama_number>/fines/", ResidentFinesApi.as_view(), name="resident-fines"),
    path("fines/<str:fine_id>/pay/", FinePayApi.as_view(), name="fine-pay"),
    path(
        "iqama-renewals/eligibility/",
        IqamaRenewalEligibilityApi.as_view(),
        name="renewal-eligibility",
    ),
    path("iqama-renewals/", IqamaRenewalCreateApi.as_view(), name="renewals"),
    path(
        "iqama-issuances/eligibility/",
        IqamaIssuanceEligibilityApi.as_view(),
        name="issuance-eligibility",
    ),
    path("iqama-issuances/", IqamaIssuanceCreateApi.as_view(), name="issuances"),
    path("professions/", ProfessionListApi.as_view(), name="professions"),
    path(
        "profession-changes/eligibility/",
        ProfessionChangeEligibilityApi.as_view(),
        name="profession-change-eligibility",
    ),
    path("profession-changes/", ProfessionChangeCreateApi.as_view(), name="profession-changes"),
    path(
        "passport-updates/eligibility/",
        PassportUpdateEligibilityApi.as_view(),
        name="passport-update-eligibility",
    ),
    path("passport-updates/", PassportUpdateCreateApi.as_view(), name="passport-updates"),
    path("visas/eligibility/", VisaEligibilityApi.as_view(), name="visa-eligibility"),
    path("visas/", VisaIssueApi.as_view(), name="visas"),
    path("visas/<str:number>/", VisaDetailApi.as_view(), name="visa"),
    path(
        "visas/<str:number>/cancel/eligibility/",
        VisaCancelEligibilityApi.as_view(),
        name="visa-cancel-eligibility",
    ),
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
        "final-exits/<str:number>/document/",
        FinalExitDocumentApi.as_view(),
        name="final-exit-document",
    ),
    path(
        "final-exits/<str:number>/cancel/", FinalExitCancelApi.as_view(), name="final-exit-cancel"
    ),
    path("transfers/eligibility/", TransferEligibilityApi.as_view(), name="transfer-eligibility"),
    path("transfers/", TransferCreateApi.as_view(), name="transfers"),
    path("transfers/inbox/", TransferInboxApi.as_view(), name="transfers-inbox"),
    path("transfers/<str:number>/", TransferDetailApi.as_view(), name="transfer"),
    path("transfers/<str:number>/approve/", TransferApproveApi.as_view(), name="transfer-approve"),
    path("transfers/<str:number>/reject/", TransferRejectApi.as_view(), name="transfer-reject"),
    path(
        "transfers/<str:number>/withdraw/", TransferWithdrawApi.as_view(), name="transfer-withdraw"
    ),
    path(
        "cards/replacements/eligibility/",
        CardReplacementEligibilityApi.as_view(),
        name="card-replacement-eligibility",
    ),
    path("cards/replacements/", CardReplacementCreateApi.as_view(), name="card-replacements"),
    path("deliveries/", DeliveryListApi.as_view(), name="deliveries"),
    path("deliveries/<str:tracking>/", DeliveryDetailApi.as_view(), name="delivery"),
    path("balance/", BalanceApi.as_view(), name="balance"),
    path("ledger/", LedgerApi.as_view(), name="ledger"),
    path("requests/<str:number>/", RequestDetailApi.as_view(), name="request"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", LocalRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Last: any other path under /api/v1/ is a 404 in the envelope, not the portal's HTML page.
    re_path(r"^.*$", NoSuchOperationApi.as_view(), name="not-found"),
]
