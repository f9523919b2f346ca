"""Dashboard, reports and showcase pages: thin views over selectors."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from suggestions.common.rules import can_view_dashboard
from suggestions.models import Campaign, Report, Topic
from suggestions.tallies.dashboard import dashboard_build
from suggestions.tallies.reports import report_generate
from suggestions.tallies.showcase import showcase_page
from units.models import Unit
from units.roles import sees_all_units, visible_units


def _require_dashboard_reader(user) -> None:
    if not can_view_dashboard(user):
        raise PermissionDenied


def _current_campaign() -> Campaign:
    campaign = Campaign.objects.current()
    if campaign is None:
        raise Http404
    return campaign


def _dashboard_render(request, context: dict):
    """The desk's page, or with ?screen=1 the wall screen's (one screen, no site header,
    refreshing itself). ?own=1 puts the 本级 rows into the ranking."""
    screen = request.GET.get("screen") == "1"
    context["screen"] = screen
    context["refresh_seconds"] = settings.DASHBOARD_SCREEN_REFRESH_SECONDS
    toggled = request.GET.copy()
    if context["include_own"]:
        toggled.pop("own", None)
    else:
        toggled["own"] = "1"
    context["own_toggle_query"] = toggled.urlencode()
    plain = request.GET.copy()
    plain.pop("screen", None)
    context["desk_query"] = plain.urlencode()
    plain["screen"] = "1"
    context["screen_query"] = plain.urlencode()
    template = "tallies/dashboard_screen.html" if screen else "tallies/dashboard.html"
    return render(request, template, context)


@login_required
def dashboard(request):
    _require_dashboard_reader(request.user)
    context = dashboard_build(
        user=request.user,
        campaign=_current_campaign(),
        include_own=request.GET.get("own") == "1",
    )
    if context is None or not context["title_units"]:
        raise PermissionDenied
    return _dashboard_render(request, context)


@login_required
def dashboard_unit(request, unit_id: int):
    _require_dashboard_reader(request.user)
    context = dashboard_build(
        user=request.user,
        campaign=_current_campaign(),
        unit_id=unit_id,
        include_own=request.GET.get("own") == "1",
    )
    if context is None:
        # Not one of the user's units: do not confirm it exists.
        raise Http404
    return _dashboard_render(request, context)


def _report_unit(user, unit_id: int) -> Unit:
    """The unit whose report the user asks for: that unit's staff and city roles only."""
    _require_dashboard_reader(user)
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    if sees_all_units(user):
        return unit
    if unit.parent_id is None or not visible_units(user).filter(pk=unit_id).exists():
        raise Http404
    return unit


@login_required
@require_http_methods(["GET", "POST"])
def report_page(request, unit_id: int):
    unit = _report_unit(request.user, unit_id)
    campaign = _current_campaign()
    report = (
        Report.objects.filter(campaign=campaign, unit=unit)
        .defer("xlsx")
        .order_by("-generated_at")
        .first()
    )
    if request.method == "POST" or report is None:
        report_generate(campaign_id=campaign.pk, unit_id=unit.pk)
        if request.method == "POST":
            return redirect("tallies:report", unit_id=unit.pk)
        report = Report.objects.filter(campaign=campaign, unit=unit).latest("generated_at")
    # The stored body was rendered by a Django template with autoescaping on: every
    # value in it, ideas' titles included, is already escaped.
    body = mark_safe(report.html)  # noqa: S308
    return render(request, "tallies/report.html", {"report": report, "body": body})


@login_required
def report_xlsx(request, unit_id: int):
    unit = _report_unit(request.user, unit_id)
    campaign = _current_campaign()
    report = (
        Report.objects.filter(campaign=campaign, unit=unit)
        .only("xlsx", "generated_at")
        .order_by("-generated_at")
        .first()
    )
    if report is None:
        report = report_generate(campaign_id=campaign.pk, unit_id=unit.pk)
    stamp = timezone.localtime(report.generated_at).strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        bytes(report.xlsx),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="report-{unit.code}-{stamp}.xlsx"'
    return response


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def showcase(request):
    """/ideas/: public, mobile-first list of published excellent ideas."""
    campaign = Campaign.objects.current()
    unit_id = _int_or_none(request.GET.get("unit"))
    topic_id = _int_or_none(request.GET.get("topic"))
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    data = None
    if campaign is not None:
        data = showcase_page(
            campaign=campaign,
            unit=unit,
            topic_id=topic_id,
            page=_int_or_none(request.GET.get("page")) or 1,
        )
    context = {
        "campaign": campaign,
        "data": data,
        "units": Unit.objects.reporting().values("pk", "name") if data else [],
        "topics": Topic.objects.filter(is_active=True).values("pk", "name") if data else [],
        "unit_id": unit.pk if unit else None,
        "topic_id": topic_id,
    }
    return render(request, "tallies/showcase.html", context)
