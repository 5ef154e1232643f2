from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from muqeem.accounts.access import current_officer, establishment_required
from muqeem.alerts.calendar_feed import build_calendar
from muqeem.alerts.forms import AlertSettingsForm
from muqeem.alerts.models import AlertKind
from muqeem.alerts.selectors import (
    access_digest,
    can_manage_alerts,
    feed_entries_for,
    notifications_for,
    settings_by_feed_token,
    unread_count_for,
)
from muqeem.alerts.services import (
    alert_feed_token_regenerate,
    alert_settings_for,
    alert_settings_update,
    digest_mark_read,
    notifications_mark_all_read,
)
from muqeem.alerts.texts import digest_lines, notification_text
from muqeem.core.dates import today
from muqeem.core.errors import DomainError, ErrorCode

PAGE_SIZE = 25


@establishment_required
@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    page = Paginator(notifications_for(actor=officer), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for notification in page.object_list:
        title, body = notification_text(notification)
        rows.append(
            {
                "notification": notification,
                "title": title,
                "body": body,
                "on": timezone.localtime(notification.created_at).date(),
            }
        )
    return render(
        request,
        "alerts/list.html",
        {
            "page": page,
            "rows": rows,
            "unread": unread_count_for(officer.establishment_id or 0),
        },
    )


@establishment_required
@require_POST
def mark_all_read_view(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=current_officer(request))
    if count:
        messages.success(request, _("All notifications were marked as read."))
    return HttpResponseRedirect(reverse("alerts:list"))


@establishment_required
@require_GET
def digest_view(request: HttpRequest, digest_id: int) -> HttpResponse:
    officer = current_officer(request)
    try:
        digest = access_digest(actor=officer, digest_id=digest_id)
    except DomainError:
        raise Http404 from None
    digest_mark_read(actor=officer, digest=digest)
    lines = digest_lines(digest.items, on=today())
    groups = [
        (label, [line for line in lines if line.kind == kind]) for kind, label in AlertKind.choices
    ]
    return render(
        request,
        "alerts/digest.html",
        {"digest": digest, "groups": [(label, ls) for label, ls in groups if ls]},
    )


@establishment_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    assert officer.establishment is not None  # noqa: S101 - guaranteed by current_officer
    can_manage = can_manage_alerts(officer)
    row = alert_settings_for(establishment_id=officer.establishment.pk)
    initial = {
        "thresholds": row.thresholds,
        "sms_enabled": row.sms_enabled,
        "email_enabled": row.email_enabled,
        "email": row.email,
    }
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = AlertSettingsForm(request.POST)
        if form.is_valid():
            try:
                alert_settings_update(
                    actor=officer,
                    thresholds=form.cleaned_data["thresholds"],
                    sms_enabled=form.cleaned_data["sms_enabled"],
                    email_enabled=form.cleaned_data["email_enabled"],
                    email=form.cleaned_data["email"] or "",
                )
            except DomainError as exc:
                if exc.code == ErrorCode.PERMISSION_DENIED:
                    raise PermissionDenied from None
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("The alert settings were saved."))
                return HttpResponseRedirect(reverse("alerts:settings"))
    else:
        form = AlertSettingsForm(initial=initial)
    language = translation.get_language() or settings.LANGUAGE_CODE
    feed_path = reverse("alerts:feed", kwargs={"token": row.feed_token})
    feed_url = settings.PUBLIC_BASE_URL.rstrip("/") + feed_path
    if not language.startswith("ar"):
        feed_url += "?lang=en"
    return render(
        request,
        "alerts/settings.html",
        {
            "form": form,
            "can_manage": can_manage,
            "alert_settings": row,
            "establishment": officer.establishment,
            "feed_url": feed_url,
        },
        status=400 if request.method == "POST" else 200,
    )


@establishment_required
@require_POST
def feed_regenerate_view(request: HttpRequest) -> HttpResponse:
    try:
        alert_feed_token_regenerate(actor=current_officer(request))
    except DomainError as exc:
        if exc.code == ErrorCode.PERMISSION_DENIED:
            raise PermissionDenied from None
        raise
    messages.success(
        request, _("A new calendar link was made. The old link no longer works; subscribe again.")
    )
    return HttpResponseRedirect(reverse("alerts:settings") + "#calendar")


@require_GET
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """No login (calendar apps cannot log in): the unguessable token in the link is the credential,
    and it gives read-only access to this one establishment's upcoming expiries."""
    row = settings_by_feed_token(token)
    if row is None:
        raise Http404
    language = "en" if request.GET.get("lang") == "en" else "ar"
    with translation.override(language):
        establishment = row.establishment
        name = establishment.name_ar if language == "ar" else establishment.name_en
        body = build_calendar(
            establishment_id=establishment.pk,
            entries=feed_entries_for(establishment_id=establishment.pk, on=today()),
            calendar_name=_("Expiries: {establishment}").format(establishment=name),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="muqeem-expiries.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
