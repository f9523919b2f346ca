"""Property tests of the shared normalisers (hypothesis)."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from suggestions.intake.validation import (
    CONTENT_MAX,
    CONTENT_MIN,
    content_clean,
    content_normalise,
    phone_normalise,
)

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def dressed_mobiles(draw):
    """A mobile number as people type it: prefixes, separators, full-width digits."""
    number = draw(mobiles)
    groups = [number[:3], number[3:7], number[7:]]
    separator = draw(st.sampled_from(["", " ", "-", "　", " - ", "－"]))
    text = separator.join(groups)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "86", "＋８６ "]))
    return number, prefix + text + draw(st.sampled_from(["", " "]))


@given(dressed_mobiles())
def test_any_way_of_typing_a_mobile_number_normalises_to_its_eleven_digits(case):
    number, typed = case
    assert phone_normalise(typed) == number


@given(st.text(max_size=30))
def test_normalised_phones_are_always_eleven_ascii_digits_or_refused(text):
    try:
        value = phone_normalise(text)
    except ValidationError:
        return
    assert value == "" or (len(value) == 11 and value.isascii() and value.isdigit())


@given(st.from_regex(r"0[1-9][0-9]{1,2}-?[0-9]{7,8}", fullmatch=True))
def test_landline_numbers_are_refused(landline):
    with pytest.raises(ValidationError):
        phone_normalise(landline)


@given(st.from_regex(r"1[3-9][0-9]{10,12}", fullmatch=True))
def test_too_long_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        phone_normalise(number)


@given(st.text(max_size=CONTENT_MAX + 50))
def test_content_is_accepted_exactly_when_it_meets_the_rules(text):
    stripped = text.strip()
    words = sum(1 for c in stripped if unicodedata.category(c)[0] in "LN")
    bad_chars = any(
        unicodedata.category(c) == "Cs" or (unicodedata.category(c) == "Cc" and c not in "\n\r\t")
        for c in text
    )
    ok = not bad_chars and CONTENT_MIN <= len(stripped) <= CONTENT_MAX and words >= 10
    try:
        assert content_clean(text) == stripped
        assert ok
    except ValidationError as exc:
        assert not ok
        assert exc.messages and all(exc.messages)


@given(st.text(alphabet=st.sampled_from("😀🎉👍🙏❤️ ！!。，~"), min_size=20, max_size=200))
def test_emoji_and_punctuation_alone_are_never_content(text):
    with pytest.raises(ValidationError):
        content_clean(text)


@given(st.text(min_size=1, max_size=100))
def test_repeat_detection_ignores_spacing_and_width(text):
    spaced = " ".join(text)
    assert content_normalise(spaced) == content_normalise(text)
    assert content_normalise(unicodedata.normalize("NFKC", text)) == content_normalise(text)
