"""Forms of the public intake pages; validation is shared with the API (intake.validation)."""

import time

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from suggestions.intake.services import topics_selectable, units_selectable
from suggestions.intake.validation import (
    CONTENT_MAX,
    CONTENT_MIN,
    NAME_MAX,
    TITLE_MAX,
    content_clean,
    name_clean,
    phone_normalise,
    text_clean,
    title_clean,
)
from suggestions.models import IdentityType, Topic
from units.models import Unit, UnitKind
from units.search import unit_search_terms

# Rendered fragments are kept per process as long as the choices they list
# (INTAKE_CHOICES_CACHE_SECONDS): units and topics change rarely (in admin) and a
# minute's delay before a rename shows is acceptable.
_fragments: dict[tuple, tuple[float, str]] = {}


def _cached(key: tuple, build) -> str:
    now = time.monotonic()
    hit = _fragments.get(key)
    if hit and hit[0] > now:
        return hit[1]
    html = build()
    _fragments[key] = (now + settings.INTAKE_CHOICES_CACHE_SECONDS, html)
    return html


def fragments_clear() -> None:
    _fragments.clear()


def _unit_options_html() -> str:
    """<optgroup>s: each county with its towns, then the zone(s), then city departments."""
    units = list(
        Unit.objects.active()
        .exclude(kind=UnitKind.CITY)
        .only("id", "code", "name", "kind", "parent_id")
    )
    towns_by_county: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.kind == UnitKind.TOWN:
            towns_by_county.setdefault(unit.parent_id, []).append(unit)

    def option(unit: Unit, label: str) -> str:
        # data-terms: abbreviations, short names and places the search box also matches.
        terms = " ".join(unit_search_terms(code=unit.code, name=unit.name, kind=unit.kind))
        terms_attr = f' data-terms="{escape(terms)}"' if terms else ""
        return f'<option value="{unit.pk}"{terms_attr}>{escape(label)}</option>'

    placeholder = escape(_("请选择单位"))  # (not inside the f-string: xgettext skips those)
    parts = [f'<option value="">{placeholder}</option>']
    county_label = escape(_("县(市、区)"))
    for county in (u for u in units if u.kind == UnitKind.COUNTY):
        parts.append(f'<optgroup label="{county_label} · {escape(county.name)}">')
        parts.append(option(county, county.name))
        for town in towns_by_county.get(county.pk, []):
            parts.append(option(town, f"{county.name} · {town.name}"))
        parts.append("</optgroup>")
    for kind, label in ((UnitKind.ZONE, _("开发区")), (UnitKind.DEPARTMENT, _("市直单位"))):
        members = [u for u in units if u.kind == kind]
        if members:
            parts.append(f'<optgroup label="{escape(label)}">')
            parts.extend(option(u, u.name) for u in members)
            parts.append("</optgroup>")
    return "".join(parts)


class CachedUnitSelect(forms.Select):
    """A <select> whose ~150 options come from a cached HTML fragment.

    Django's widget templates render each option separately (about 170 pages/s
    for a 150-option select); the fragment is built once per language per minute.
    """

    def render(self, name, value, attrs=None, renderer=None):
        options = _cached(("unit-options", get_language()), _unit_options_html)
        if value not in (None, ""):
            marker = format_html('value="{}"', value)
            options = options.replace(f"{marker}>", f"{marker} selected>", 1)
        final_attrs = self.build_attrs(self.attrs, attrs)
        attrs_html = "".join(
            format_html(' {}="{}"', key, val)
            for key, val in final_attrs.items()
            if val is not False and val is not None
        )
        return mark_safe(f'<select name="{escape(name)}"{attrs_html}>{options}</select>')  # noqa: S308 (options escaped above)


class CachedModelChoiceField(forms.ModelChoiceField):
    """Validates the picked id against a per-process cache instead of one query per field."""

    def __init__(self, *args, lookup, **kwargs):
        super().__init__(*args, **kwargs)
        self._lookup = lookup

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            found = self._lookup().get(int(str(value)))
        except (TypeError, ValueError):
            found = None
        if found is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return found


class SubmissionForm(forms.Form):
    title = forms.CharField(
        label=_("标题"),
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    content = forms.CharField(
        label=_("建议内容"),
        help_text=_("20–2000 字：说清楚问题、建议的做法和预期效果。"),
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "maxlength": CONTENT_MAX,
                "data-char-count": CONTENT_MAX,
                "data-min-length": CONTENT_MIN,
            }
        ),
    )
    topic = CachedModelChoiceField(
        label=_("主题"),
        queryset=Topic.objects.filter(is_active=True),
        empty_label=_("请选择主题"),
        lookup=topics_selectable,
    )
    unit = CachedModelChoiceField(
        lookup=units_selectable,
        label=_("建议单位"),
        help_text=_("可输入单位名称搜索；乡镇(街道)列在所属县(市、区)下。"),
        queryset=Unit.objects.active().exclude(kind=UnitKind.CITY),
        widget=CachedUnitSelect(attrs={"data-unit-search": "1"}),
        error_messages={"invalid_choice": _("请选择有效的建议单位。")},
    )
    identity_type = forms.ChoiceField(label=_("身份"), choices=IdentityType.choices)
    name = forms.CharField(label=_("姓名（选填）"), required=False, max_length=NAME_MAX)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=32,
        help_text=_("仅用于单位联系您和查询进度，不会公开。"),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "data-validate": "mobile"}
        ),
    )
    publish_consent = forms.BooleanField(
        label=_("同意在评选结果中公开展示我的建议（不含姓名和电话）"), required=False
    )
    consent = forms.BooleanField(
        label=_("我已阅读并同意上方的个人信息处理说明"),
        error_messages={"required": _("请阅读并勾选同意个人信息处理说明。")},
    )
    # Honeypot: hidden from people (CSS + aria-hidden), filled by naive bots.
    website = forms.CharField(
        required=False,
        label=_("网址"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, phone_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].required = phone_required
        _own_control_char_message(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_title(self):
        return title_clean(self.cleaned_data["title"])

    def clean_content(self):
        return content_clean(self.cleaned_data["content"])

    def clean_name(self):
        return name_clean(self.cleaned_data["name"])

    def clean_phone(self):
        return phone_normalise(self.cleaned_data["phone"])

    def clean_website(self):
        return text_clean(self.cleaned_data["website"])

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


def _own_control_char_message(form: forms.Form) -> None:
    # Django's own NUL message reads badly in Chinese; text_clean (called by every
    # clean_<field>) refuses NUL and other control characters with a clear one.
    for field in form.fields.values():
        field.validators = [
            v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


def submission_form_html(form: SubmissionForm) -> str:
    """The form's fields as HTML; the unbound form is rendered once per language per minute."""

    def build():
        return render_to_string("suggestions/_submission_fields.html", {"form": form})

    if form.is_bound:
        return build()
    return _cached(("submission-form", get_language(), form.fields["phone"].required), build)


class LookupForm(forms.Form):
    receipt = forms.CharField(label=_("回执号"), max_length=24)
    phone_last4 = forms.CharField(
        label=_("手机号后四位"),
        max_length=4,
        min_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "data-validate": "last4"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _own_control_char_message(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_receipt(self):
        return text_clean(self.cleaned_data["receipt"]).upper()

    def clean_phone_last4(self):
        value = text_clean(self.cleaned_data["phone_last4"])
        if not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(_("请输入手机号码的后四位数字。"))
        return value
