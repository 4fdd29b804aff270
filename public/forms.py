"""Forms for the public site and the secretary's screens for it. They validate; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from meetings.models import Board

from .models import QuestionKind
from .services import PUBLIC_SETTINGS
from .spam import HONEYPOT


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label="What would you like to send?", choices=QuestionKind.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(
        label="Your name",
        max_length=120,
        help_text="Published with your message once it is approved.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="Never published. The secretary may use it to reply.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    text = forms.CharField(
        label="Your question or suggestion",
        max_length=2000,
        help_text="Up to 2,000 characters.",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    # The honeypot: hidden from people (by the stylesheet), filled in by naive robots.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = QuestionKind.QUESTION
        assert HONEYPOT in self.fields

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text) < 10:
            raise forms.ValidationError("Please write at least a sentence (10 characters).")
        return str(text)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Please give your name.")
        return str(name)

    @property
    def filled_honeypot(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason (kept for the record)", max_length=500)


class MergeForm(forms.Form):
    into = forms.IntegerField(label="Same as")


class AnswerForm(forms.Form):
    answer = forms.CharField(label="Answer", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))


class PublicSettingsForm(forms.ModelForm[Board]):
    class Meta:
        model = Board
        fields = list(PUBLIC_SETTINGS)
        labels = {
            "public_site": "Public site on",
            "public_questions": "Take questions and suggestions from the public",
            "paper_saved_public": "Show the paper saved on the public site",
            "print_double_sided": "Packs would be printed double-sided",
            "currency_symbol": "Currency symbol",
        }
        widgets = {"public_part_b": forms.RadioSelect}
