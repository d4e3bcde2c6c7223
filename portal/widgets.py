"""Form widgets of our own.

``PlainSelect`` renders a long, flat ``<select>`` (e.g. every country) in Python: Django renders
each ``<option>`` through a template, which for 250 countries cost ~40 ms on every page
showing the orders or numbers filters (more than the rest of the page's work).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

SELECTED = mark_safe(" selected")


class PlainSelect(forms.Select):
    """A single ``<select>`` of flat choices (no groups), the same HTML as ``forms.Select``."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, SELECTED if str(key) in chosen else "", label) for key, label in self.choices),
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)
