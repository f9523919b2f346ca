"""Public intake pages: submit an idea, see its receipt, look up its stage."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from suggestions.intake.forms import LookupForm, SubmissionForm, submission_form_html
from suggestions.intake.ratelimit import lookup_limited, submission_limited
from suggestions.intake.selectors import suggestion_public_status, suggestion_receipt_facts
from suggestions.intake.services import CampaignClosed, campaign_current, suggestion_submit
from suggestions.models import Campaign, Channel
from suggestions.privacy.notice import privacy_statements

RECEIPT_SALT = "suggestions.receipt"


def home(request):
    campaign = Campaign.objects.current()
    return render(request, "suggestions/home.html", {"campaign": campaign})


def _rate_limited(request):
    return render(request, "suggestions/intake/rate_limited.html", status=429)


def _render_submit(request, *, campaign, form, status=200, non_field_error=""):
    context = {
        "campaign": campaign,
        "campaign_open": campaign is not None and campaign.is_open(),
        "form": form,
        "form_html": submission_form_html(form) if form is not None else "",
        "notice": privacy_statements(
            closes_at=timezone.localdate(campaign.closes_at) if campaign is not None else None
        ),
        "non_field_error": non_field_error,
    }
    return render(request, "suggestions/intake/submit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def submit(request):
    campaign = campaign_current()
    if campaign is None or not campaign.is_open():
        # A closed campaign accepts nothing, whatever is posted.
        return _render_submit(
            request, campaign=campaign, form=None, status=403 if request.method == "POST" else 200
        )
    phone_required = settings.INTAKE_PHONE_REQUIRED
    if request.method != "POST":
        return _render_submit(
            request, campaign=campaign, form=SubmissionForm(phone_required=phone_required)
        )

    form = SubmissionForm(request.POST, phone_required=phone_required)
    if not form.is_valid():
        return _render_submit(request, campaign=campaign, form=form, status=400)
    if form.is_bot:
        return _render_submit(
            request,
            campaign=campaign,
            form=form,
            status=400,
            non_field_error=_("提交未成功，请刷新页面后重试。"),
        )
    if submission_limited(request, phone=form.cleaned_data["phone"]):
        return _rate_limited(request)
    data = form.cleaned_data
    try:
        result = suggestion_submit(
            campaign=campaign,
            title=data["title"],
            content=data["content"],
            topic=data["topic"],
            unit=data["unit"],
            identity_type=data["identity_type"],
            name=data["name"],
            phone=data["phone"],
            publish_consent=data["publish_consent"],
            channel=Channel.WEB,
        )
    except CampaignClosed:
        return _render_submit(request, campaign=campaign, form=None, status=403)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_submit(request, campaign=campaign, form=form, status=400)
    # Post/Redirect/Get: a refresh or the back button cannot post again. The
    # receipt travels signed in the URL (it is not personal data).
    token = signing.dumps(result.suggestion.receipt, salt=RECEIPT_SALT)
    return redirect(reverse("suggestions:receipt", args=[token]))


def receipt(request, token: str):
    try:
        number = signing.loads(token, salt=RECEIPT_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        raise Http404 from None
    facts = suggestion_receipt_facts(receipt=number)
    if facts is None:  # erased since (the token outlives nothing it points to)
        raise Http404
    return render(request, "suggestions/intake/receipt.html", {"receipt": number, "idea": facts})


@require_http_methods(["GET", "POST"])
def lookup(request):
    """Receipt + last four digits of the phone -> stage, public note, and (for excellent
    ideas) the adoption decision, the public implementation timeline and the approved
    official reply; nothing else."""
    context = {"result": None, "not_found": False}
    if request.method != "POST":
        form = LookupForm(initial={"receipt": request.GET.get("receipt", "")[:24]})
        return render(request, "suggestions/intake/lookup.html", {**context, "form": form})
    if lookup_limited(request):
        return _rate_limited(request)
    form = LookupForm(request.POST)
    status = 200
    if form.is_valid():
        context["result"] = suggestion_public_status(
            receipt=form.cleaned_data["receipt"], phone_last4=form.cleaned_data["phone_last4"]
        )
        if context["result"] is None:
            context["not_found"] = True
            status = 404
    else:
        status = 400
    return render(
        request, "suggestions/intake/lookup.html", {**context, "form": form}, status=status
    )
