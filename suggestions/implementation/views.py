"""Staff pages of the implementation capability: thin views over services."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils import timezone

from suggestions.common.rules import can_view_dashboard
from suggestions.implementation.briefing import briefing_docx
from suggestions.models import Campaign
from units.roles import sees_all_units

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def briefing(request):
    """工作简报 (.docx) of the current campaign: the city's figures, for city roles."""
    if not (can_view_dashboard(request.user) and sees_all_units(request.user)):
        raise PermissionDenied
    campaign = Campaign.objects.current()
    if campaign is None:
        raise Http404
    response = HttpResponse(briefing_docx(campaign=campaign), content_type=DOCX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="briefing-{stamp}.docx"'
    response["Cache-Control"] = "no-store"
    return response
