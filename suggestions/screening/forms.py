"""Forms of the screening desk: decision reasons and stage-2 scores."""

from django import forms
from django.utils.translation import gettext_lazy

from suggestions.screening.workflow import SCORE_CRITERIA


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class DecisionForm(forms.Form):
    # Optional in the browser: which decisions need a reason is the workflow's rule.
    reason = forms.CharField(
        label=gettext_lazy("理由/备注"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


# What 1 and 5 mean for each criterion, shown beside the marks (5 is always the better end).
SCORE_LEGEND = {
    "feasibility": (gettext_lazy("难以实施"), gettext_lazy("马上可以实施")),
    "innovation": (gettext_lazy("常见做法"), gettext_lazy("全新思路")),
    "benefit": (gettext_lazy("受益很小"), gettext_lazy("受益面广、效果大")),
    "cost": (gettext_lazy("投入大"), gettext_lazy("投入小")),
    "replicability": (gettext_lazy("仅此一地"), gettext_lazy("可在全市推广")),
}


class ScoreForm(forms.Form):
    """Five marks from 1 to 5, all or none: no mark is preselected, so an untouched form
    stores nothing (``is_empty``) instead of five 1s."""

    feasibility = forms.TypedChoiceField(label=gettext_lazy("可行性"), coerce=int)
    innovation = forms.TypedChoiceField(label=gettext_lazy("创新性"), coerce=int)
    benefit = forms.TypedChoiceField(label=gettext_lazy("效益"), coerce=int)
    cost = forms.TypedChoiceField(label=gettext_lazy("成本"), coerce=int)
    replicability = forms.TypedChoiceField(label=gettext_lazy("可推广性"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SCORE_CRITERIA:
            field = self.fields[name]
            field.choices = [(i, str(i)) for i in range(1, 6)]
            # Radios, not a select: a row of five the arrow keys move along.
            field.widget = forms.RadioSelect(choices=field.choices)
            field.required = False
            field.empty_value = None
            low, high = SCORE_LEGEND[name]
            field.help_text = gettext_lazy("1 = %(low)s，5 = %(high)s") % {
                "low": low,
                "high": high,
            }

    def is_empty(self) -> bool:
        """True when no mark was chosen at all (nothing to store)."""
        return not any(self.data.get(self.add_prefix(name)) for name in SCORE_CRITERIA)

    def clean(self):
        cleaned = super().clean()
        marks = [cleaned.get(name) for name in SCORE_CRITERIA]
        if any(m is not None for m in marks) and any(m is None for m in marks):
            raise forms.ValidationError(
                gettext_lazy("请为五项指标全部打分，或全部不打分。"), code="partial"
            )
        return cleaned


def score_rows(form: ScoreForm) -> list[dict]:
    """Each criterion with what its 1 and its 5 mean, for a row of radios between them."""
    return [
        {"field": form[name], "low": SCORE_LEGEND[name][0], "high": SCORE_LEGEND[name][1]}
        for name in SCORE_CRITERIA
    ]
