"""Forms for the secretary's screens. They validate; the services write."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.models import User

from .models import AgendaItem, Board, Majority, Meeting, Membership, Purpose, Resolution


class DateInput(forms.DateInput):
    """``<input type="date">``, whose value the browser reads only as ISO 8601 (2026-12-15),
    whatever the site's locale formats dates as elsewhere."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """``<input type="time">``: the browser reads only 24-hour hh:mm."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class BoardRulesForm(forms.Form):
    """The board's rules for its meetings, edited by its secretary or chair on the board page."""

    chair_casting_vote = forms.BooleanField(
        required=False,
        label="The chair has a casting vote on a tie",
        help_text="On an equality of votes the chair decides with a second, casting vote (as your rules allow).",
    )


class MeetingForm(forms.Form):
    """A meeting's details, with times entered in the board's time zone."""

    title = forms.CharField(max_length=200)
    date = forms.DateField(widget=DateInput())
    starts = forms.TimeField(label="Starts at", widget=TimeInput())
    ends = forms.TimeField(label="Ends at", required=False, widget=TimeInput())
    location = forms.CharField(max_length=300, required=False)
    video_url = forms.URLField(label="Video call link", required=False, max_length=500, assume_scheme="https")

    def __init__(self, *args: Any, board: Board, meeting: Meeting | None = None, **kwargs: Any) -> None:
        self.zone = zoneinfo.ZoneInfo(board.time_zone)
        if meeting is not None and "initial" not in kwargs:
            local = meeting.starts_at.astimezone(self.zone)
            kwargs["initial"] = {
                "title": meeting.title,
                "date": local.date(),
                "starts": local.time().replace(second=0),
                "ends": meeting.ends_at.astimezone(self.zone).time().replace(second=0) if meeting.ends_at else None,
                "location": meeting.location,
                "video_url": meeting.video_url,
            }
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, starts, ends = data.get("date"), data.get("starts"), data.get("ends")
        if day and starts:
            data["starts_at"] = dt.datetime.combine(day, starts, tzinfo=self.zone)
            data["ends_at"] = dt.datetime.combine(day, ends, tzinfo=self.zone) if ends else None
            if data["ends_at"] is not None and data["ends_at"] <= data["starts_at"]:
                self.add_error("ends", "The meeting must end after it starts.")
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "location": data["location"],
            "video_url": data["video_url"],
        }


class AgendaItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    purpose = forms.ChoiceField(choices=Purpose.choices, initial=Purpose.DISCUSSION)
    presenter = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody on the board")
    presenter_name = forms.CharField(
        max_length=200, required=False, label="Or a presenter from outside", help_text="e.g. Chief Executive"
    )
    duration_minutes = forms.IntegerField(label="Minutes", min_value=0, max_value=600, initial=10)
    confidential = forms.BooleanField(
        required=False, label="Part B (confidential)", help_text="Never published; observers do not see it"
    )
    parent = forms.ModelChoiceField(
        queryset=AgendaItem.objects.none(), required=False, label="Under item", empty_label="Top level"
    )

    def __init__(self, *args: Any, meeting: Meeting, item: AgendaItem | None = None, **kwargs: Any) -> None:
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                f: getattr(item, f)
                for f in (
                    "title",
                    "description",
                    "purpose",
                    "presenter",
                    "presenter_name",
                    "duration_minutes",
                    "confidential",
                )
            }
        super().__init__(*args, **kwargs)
        seated = Membership.objects.current().filter(board_id=meeting.board_id).values("user_id")
        presenter_field = self.fields["presenter"]
        assert isinstance(presenter_field, forms.ModelChoiceField)
        presenter_field.queryset = User.objects.filter(pk__in=seated).order_by("last_name", "first_name")
        presenter_field.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]
        parent_field = self.fields["parent"]
        assert isinstance(parent_field, forms.ModelChoiceField)
        if item is None:
            parent_field.queryset = AgendaItem.objects.filter(meeting=meeting, parent__isnull=True).order_by("sort_key")
        else:
            del self.fields["parent"]  # moving happens with the move controls

    def item_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("parent", None)
        return data


class ResolutionForm(forms.Form):
    """A written resolution's draft, with the deadline entered in the board's time zone."""

    title = forms.CharField(
        max_length=200,
        help_text="Members see it in lists; it is not sent by email",
        error_messages={"required": "Give the resolution a short title."},
    )
    text = forms.CharField(
        label="Resolution",
        max_length=10000,
        error_messages={"required": "Write the text of the resolution: it is what the members agree to."},
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The exact words members agree to, e.g. “That the board approves …”",
    )
    background = forms.CharField(
        label="Explanatory note",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Optional: why it is proposed and what it means",
    )
    majority = forms.ChoiceField(
        label="Passes with", choices=Majority.choices, initial=Majority.SIMPLE, widget=forms.RadioSelect
    )
    allow_abstain = forms.BooleanField(
        label="Members may abstain", required=False, initial=True, help_text="Abstaining does not count for it"
    )
    confidential = forms.BooleanField(
        label="Confidential", required=False, help_text="Only members who see Part B business see it; not observers"
    )
    deadline_date = forms.DateField(
        label="Date",
        widget=DateInput(),
        error_messages={"required": "Choose the day voting closes.", "invalid": "Enter the date as a date."},
    )
    deadline_time = forms.TimeField(
        label="Time",
        initial=dt.time(17, 0),
        widget=TimeInput(),
        error_messages={"required": "Choose the time voting closes.", "invalid": "Enter the time as hh:mm."},
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, board: Board, resolution: Resolution | None = None, **kwargs: Any) -> None:
        self.zone = zoneinfo.ZoneInfo(board.time_zone)
        if resolution is not None and "initial" not in kwargs:
            local = resolution.deadline.astimezone(self.zone)
            kwargs["initial"] = {
                "title": resolution.title,
                "text": resolution.text,
                "background": resolution.background,
                "majority": resolution.majority,
                "allow_abstain": "Abstain" in resolution.options,
                "confidential": resolution.confidential,
                "deadline_date": local.date(),
                "deadline_time": local.time().replace(second=0, microsecond=0),
            }
        super().__init__(*args, **kwargs)
        if resolution is not None:
            del self.fields["client_id"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("deadline_date"), data.get("deadline_time")
        if day and time:
            data["deadline"] = dt.datetime.combine(day, time, tzinfo=self.zone)
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("title", "text", "background", "majority", "allow_abstain", "confidential", "deadline")
        }


class ResolutionVoteForm(forms.Form):
    choice = forms.CharField(max_length=100)


class InterestForm(forms.Form):
    nature = forms.CharField(
        label="Your interest",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="As it should read in the record, e.g. “Director of the firm that would supply the service”.",
    )
