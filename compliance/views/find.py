"""The search box in the navigation: one match opens, several are listed.

The text is POSTed, never put in a URL (it may be a person's name: P41); the answer is not
cached (P42). A single result redirects to its page.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django_countries import countries

from compliance.finding import MAX_QUERY, Found, find


class FindForm(forms.Form):
    q = forms.CharField(label="Find", max_length=MAX_QUERY, strip=True)
    country = forms.ChoiceField(
        label="Country of a national number",
        choices=[("", "Any country we hold numbers in"), *countries],
        required=False,
    )


@never_cache
@login_required
def find_view(request: HttpRequest) -> HttpResponse:
    form = FindForm(request.POST if request.method == "POST" else None)
    found: Found | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            found = find(request.user, form.cleaned_data["q"], form.cleaned_data["country"])
            if len(found.hits) == 1:
                return redirect(found.hits[0].url)
        else:
            status = 400
    return render(request, "compliance/find.html", {"form": form, "found": found}, status=status)
