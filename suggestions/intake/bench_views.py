"""Reference views for bench/intake only; routed only when INTAKE_BENCH_VIEWS is on.

(a) a constant response and (b) a minimal plain-form-validate-and-insert, so the
real pages can be compared with the same server, database and load generator.
"""

import itertools
import os

from django import forms
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

from suggestions.models import Campaign, Channel, Suggestion, Topic
from units.models import Unit

_counter = itertools.count(1)


def constant(request):
    return HttpResponse(b"ok", content_type="text/plain")


class _MinimalForm(forms.Form):
    title = forms.CharField(max_length=60)
    content = forms.CharField(min_length=20, max_length=2000)
    phone = forms.RegexField(regex=r"^1[3-9]\d{9}$")


_refs: dict = {}


def _references():
    if not _refs:
        _refs["campaign"] = Campaign.objects.get(slug="bench-minimal")
        _refs["topic"] = Topic.objects.order_by("id").first()
        _refs["unit"] = Unit.objects.order_by("id").first()
    return _refs


@csrf_exempt
def minimal_insert(request):
    form = _MinimalForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(b"invalid")
    refs = _references()
    # Unique per process without a shared counter: pid-prefixed sequence.
    sequence = (os.getpid() % 2000) * 1_000_000 + next(_counter)
    Suggestion.objects.create(
        campaign=refs["campaign"],
        sequence=sequence,
        receipt=f"B-{sequence}",
        channel=Channel.WEB,
        unit=refs["unit"],
        topic=refs["topic"],
        identity_type="public",
        title=form.cleaned_data["title"],
        content=form.cleaned_data["content"],
        phone=form.cleaned_data["phone"],
        fingerprint=str(sequence),
    )
    return HttpResponse(b"stored", status=201, content_type="text/plain")
