"""Validators and normalisers shared by every intake channel (form, API, paper import).

Each function takes raw user text and either returns the cleaned value or raises
django.core.exceptions.ValidationError with a Chinese message (msgid) that the
form, the API and the import show as they are.
"""

import hashlib
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 60
CONTENT_MIN = 20
CONTENT_MAX = 2000
NAME_MAX = 50
# Content must say something: emoji, punctuation or whitespace alone is not an idea.
CONTENT_MIN_WORD_CHARS = 10

# Mainland mobile numbers: 11 digits starting 13–19.
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Separators people type inside a phone number (after NFKC: full-width forms are ASCII).
_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212()（）.]")
_ALLOWED_CONTROL = {"\n", "\r", "\t"}


def _has_forbidden_chars(value: str) -> bool:
    # NUL and other control characters cannot be stored in PostgreSQL text or
    # only hide things from the people reading; lone surrogates are not text.
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in _ALLOWED_CONTROL):
            return True
    return False


def text_clean(value: str | None, *, field_label: str = "") -> str:
    """Strip surrounding whitespace and refuse control characters (NUL above all)."""
    value = "" if value is None else str(value)
    if _has_forbidden_chars(value):
        raise ValidationError(_("含有不允许的控制字符，请删除后重新提交。"), code="control_chars")
    return value.strip()


def phone_normalise(value: str | None) -> str:
    """Return an 11-digit mainland mobile number, or raise ValidationError.

    Accepts full-width digits, spaces, dashes, brackets and a +86/0086/86 prefix.
    An empty value returns "" (whether a phone is required is the caller's rule).
    """
    raw = text_clean(value)
    if not raw:
        return ""
    # NFKC turns full-width digits, plus signs and ideographic spaces into ASCII.
    compact = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086", "86"):
        if compact.startswith(prefix) and len(compact) == 11 + len(prefix):
            compact = compact[len(prefix) :]
            break
    if not compact.isascii() or not _MOBILE.fullmatch(compact):
        raise ValidationError(
            _("请填写11位中国大陆手机号码（例如 138 1234 5678），不支持座机号码。"),
            code="phone_invalid",
        )
    return compact


def phone_last_four(phone: str) -> str:
    return phone[-4:] if phone else ""


def title_clean(value: str | None) -> str:
    title = text_clean(value)
    if not title:
        raise ValidationError(_("请填写标题。"), code="required")
    if len(title) > TITLE_MAX:
        raise ValidationError(
            _("标题最多 %(max)d 个字，当前 %(count)d 个字。"),
            code="max_length",
            params={"max": TITLE_MAX, "count": len(title)},
        )
    return title


def content_clean(value: str | None) -> str:
    content = text_clean(value)
    if not content:
        raise ValidationError(_("请填写建议内容。"), code="required")
    if len(content) < CONTENT_MIN:
        raise ValidationError(
            _("建议内容至少 %(min)d 个字，当前 %(count)d 个字。"),
            code="min_length",
            params={"min": CONTENT_MIN, "count": len(content)},
        )
    if len(content) > CONTENT_MAX:
        raise ValidationError(
            _("建议内容最多 %(max)d 个字，当前 %(count)d 个字。"),
            code="max_length",
            params={"max": CONTENT_MAX, "count": len(content)},
        )
    word_chars = sum(1 for char in content if unicodedata.category(char)[0] in "LN")
    if word_chars < CONTENT_MIN_WORD_CHARS:
        raise ValidationError(_("建议内容需要用文字说明，不能只有表情或符号。"), code="no_words")
    return content


def name_clean(value: str | None) -> str:
    name = text_clean(value)
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("姓名最多 %(max)d 个字。"), code="max_length", params={"max": NAME_MAX}
        )
    return name


def content_normalise(content: str) -> str:
    """The form of the content used to recognise a repeat: width, case and spacing ignored."""
    folded = unicodedata.normalize("NFKC", content).casefold()
    return "".join(folded.split())


def submission_fingerprint(*, campaign_id: int, phone: str, content: str) -> str:
    """Same campaign + same phone + same normalised content -> same fingerprint."""
    material = f"{campaign_id}\x1f{phone}\x1f{content_normalise(content)}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
