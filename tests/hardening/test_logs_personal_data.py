"""No name or phone number reaches the application logs.

Every record emitted while ideas are submitted, listed, erased and anonymised is
captured at DEBUG level from the root logger and grepped for the submitters'
names and phone numbers.
"""

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jincheng_portal.logging import RedactPersonalData, mask_phones
from suggestions.models import Campaign
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db

PEOPLE = [("欧阳晓梅", "13987654321"), ("司马长风", "15011112222"), ("李四", "18600001111")]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        line = record.getMessage()
        if record.exc_info:
            line += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {line}")


@pytest.fixture
def captured_logs():
    root = logging.getLogger()
    handler, old_level = _Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_submitting_listing_erasing_and_anonymising_log_no_personal_data(
    client, units, campaign, personas, captured_logs
):
    closed = Campaign.objects.create(
        name="2019",
        slug="jc2019",
        receipt_prefix="JC2019",
        opens_at=timezone.now() - timedelta(days=800),
        closes_at=timezone.now() - timedelta(days=700),
    )
    fresh = [
        SuggestionFactory(campaign=campaign, unit=units["城区"], name=name, phone=phone)
        for name, phone in PEOPLE
    ]
    for name, phone in PEOPLE:
        SuggestionFactory(campaign=closed, unit=units["泽州县"], name=name, phone=phone)
    # Staff at work: failed and successful logins, pages, a deletion request.
    client.post("/admin/login/", {"username": "admin", "password": "wrong-password"})
    client.post("/admin/login/", {"username": "admin", "password": "correct-horse-battery"})
    client.get("/")
    client.get("/privacy/")
    client.get(reverse("admin:suggestions_personaldataaccess_changelist"))
    client.post(
        reverse("admin:suggestions_personaldataaccess_erase"),
        {"receipt": fresh[0].receipt, "reason": "本人来电申请"},
    )
    call_command("anonymise_expired", stdout=io.StringIO())

    assert captured_logs, "nothing was logged at all: the capture is broken"
    assert any("anonymised contact data of 3 ideas" in line for line in captured_logs)
    assert any(fresh[0].receipt in line for line in captured_logs)  # erasure logged by receipt
    log_text = "\n".join(captured_logs)
    for name, phone in PEOPLE:
        assert phone not in log_text
        assert name not in log_text


def test_a_careless_log_line_with_a_phone_number_is_masked_in_the_log_file():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPersonalData())
    careless = logging.getLogger("some.library")
    careless.addHandler(handler)
    try:
        careless.warning("lookup failed for %s", "13987654321")
        try:
            raise ValueError("duplicate key (phone)=(15011112222)")
        except ValueError:
            careless.exception("insert failed")
    finally:
        careless.removeHandler(handler)

    output = stream.getvalue()
    assert "lookup failed for 139****4321" in output
    assert "(phone)=(150****2222)" in output
    assert "13987654321" not in output and "15011112222" not in output


def test_the_console_handler_of_the_settings_uses_the_filter(settings):
    assert "personal_data" in settings.LOGGING["handlers"]["console"]["filters"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call 13987654321 now", "call 139****4321 now"),
        ("phone=15011112222,", "phone=150****2222,"),
        ("receipt JC2021-000123 id 1234567890123", "receipt JC2021-000123 id 1234567890123"),
        ("12345678901", "12345678901"),  # not a mobile number (starts 12)
    ],
)
def test_mask_phones(text, masked):
    assert mask_phones(text) == masked
