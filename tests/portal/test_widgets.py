"""PlainSelect: the same <select> as Django's, rendered without a template per option."""

from __future__ import annotations

import re

from django import forms

from portal.widgets import PlainSelect

CHOICES = [("", "Any"), ("DE", "Germany"), ("XX", "<b>Tom & Jerry</b>")]


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_it_renders_what_django_renders_with_the_choice_selected_and_labels_escaped():
    for value in ("", "DE", None, "unknown"):
        ours = PlainSelect(choices=CHOICES).render("country", value, {"id": "id_country"})
        django = forms.Select(choices=CHOICES).render("country", value, {"id": "id_country"})
        assert squeeze(ours) == squeeze(django), value
    html = PlainSelect(choices=CHOICES).render("country", "DE", {"aria-invalid": "true"})
    assert html.startswith('<select name="country" aria-invalid="true">')
    assert '<option value="DE" selected>Germany</option>' in html
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html


def test_the_orders_filter_keeps_the_chosen_country(alice_client):
    html = alice_client.get("/orders/?country_code=FR").content.decode()
    assert '<option value="FR" selected>France</option>' in html
    assert '<select name="country_code" id="id_country_code">' in html
