from django import forms

from moderation.services import MAX_ADJUSTMENT, REASON_MAX_LENGTH


class PointsAdjustForm(forms.Form):
    points = forms.IntegerField(
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text="Signed: 25 adds 25 points, -25 takes 25 away.",
    )
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept in the ledger beside your name.",
    )

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("Give a number of points other than 0.")
        return points
