"""The desk's templates and pages stay CSP-clean: no inline scripts, handlers or styles."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = sorted(
    (Path(__file__).resolve().parents[2] / "templates/admin/suggestions").rglob("*.html")
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
FORBIDDEN = [
    INLINE_SCRIPT,
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"\sstyle\s*="),
    re.compile(r"javascript:", re.I),
]


def test_there_are_desk_templates():
    assert len(TEMPLATES) >= 5


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_desk_template_has_no_inline_code(template):
    text = template.read_text(encoding="utf-8")
    for pattern in FORBIDDEN:
        assert not pattern.search(text), (template.name, pattern.pattern)


def test_rendered_detail_page_loads_the_desk_script_from_a_file(client, personas, idea_factory):
    idea = idea_factory(unit="城区")
    client.force_login(personas["screener_chengqu"])
    html = client.get(reverse("admin:suggestions_suggestion_change", args=[idea.pk])).content
    html = html.decode()
    assert "js/screening.js" in html
    assert not INLINE_SCRIPT.search(html)
