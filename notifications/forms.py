"""The preferences form: one channel per event, and the daily digest switch."""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.events import Channel, Event


class PreferencesForm(forms.Form):
    digest = forms.BooleanField(
        required=False,
        label="Daily digest",
        help_text="Send my e-mails as one digest a day instead of one e-mail each.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for event in Event:
            self.fields[f"event_{event.value}"] = forms.ChoiceField(
                choices=Channel.choices, label=event.label
            )

    def rows(self) -> list[tuple[Event, forms.BoundField]]:
        return [(event, self[f"event_{event.value}"]) for event in Event]

    def channels(self) -> dict[str, str]:
        return {event.value: self.cleaned_data[f"event_{event.value}"] for event in Event}
