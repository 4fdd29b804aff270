from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from .models import Category


class InterestForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Member", help_text="Whose entry this is", required=True
    )
    description = forms.CharField(
        max_length=300,
        label="The interest",
        help_text="As it will read in the minutes when declared, e.g. “Director of Mill Lane Ltd”",
        error_messages={"required": "Say what the interest is, as it should read in the minutes."},
    )
    category = forms.ChoiceField(choices=[("", "No category"), *Category.choices], required=False, label="Category")
    keywords = forms.CharField(
        required=False,
        label="Keywords",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line (or separated by commas): names and places an agenda would use, e.g. “Mill Lane”. "
        "Matched as whole words, in any case, against item titles and descriptions.",
    )

    def __init__(self, *args: Any, members: list[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if members is None:
            del self.fields["member"]
        else:
            chooser = self.fields["member"]
            assert isinstance(chooser, forms.ModelChoiceField)
            chooser.queryset = User.objects.filter(pk__in=[m.pk for m in members]).order_by(
                "last_name", "first_name", "username"
            )
            chooser.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]
