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


class ScoreForm(forms.Form):
    feasibility = forms.TypedChoiceField(label=gettext_lazy("可行性"), coerce=int)
    innovation = forms.TypedChoiceField(label=gettext_lazy("创新性"), coerce=int)
    benefit = forms.TypedChoiceField(label=gettext_lazy("效益"), coerce=int)
    cost = forms.TypedChoiceField(label=gettext_lazy("成本"), coerce=int)
    replicability = forms.TypedChoiceField(label=gettext_lazy("可推广性"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SCORE_CRITERIA:
            self.fields[name].choices = [(i, str(i)) for i in range(1, 6)]
