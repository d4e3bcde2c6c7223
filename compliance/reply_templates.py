"""Reply templates: the common answers to Telnyx Number Ops, ready to edit before sending.

A template names the sub order (its Telnyx id), its numbers and, for a question, a requirement
by name: nothing personal (no requirement value, no name or address), and no person either (the
comment records its portal author). Bracketed parts are for the writer to fill in.

A requirement group has its own few (``GROUP_TEMPLATES``: no numbers, no deadline to extend),
naming the group by its Telnyx id and, for a question, one of its requirements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compliance import catalogue

REQUIREMENT = "{requirement}"  # filled with the chosen requirement's name (here or by the JS)


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    label: str
    text: str  # with {sub_order}, {numbers} and, for a question, {requirement}
    needs_requirement: bool = False


TEMPLATES: dict[str, ReplyTemplate] = {
    t.key: t
    for t in (
        ReplyTemplate(
            "extension",
            "Ask for a deadline extension",
            "Deadline extension request: please extend the requirements deadline of sub order "
            "{sub_order} by [number of days] day(s) for the number(s) {numbers}. Reason: "
            "[reason]. We will submit the missing information within that time.",
        ),
        ReplyTemplate(
            "corrected",
            "Corrected document attached",
            "We have corrected the declined information for the number(s) {numbers} of sub "
            "order {sub_order}; the corrected document is attached to our resubmission. Please "
            "review it again.",
        ),
        ReplyTemplate(
            "question",
            "Question about a requirement",
            'Question about the requirement "{requirement}" of sub order {sub_order}: '
            "[your question]",
            needs_requirement=True,
        ),
    )
}


GROUP_TEMPLATES: dict[str, ReplyTemplate] = {
    t.key: t
    for t in (
        ReplyTemplate(
            "corrected",
            "Corrected values sent",
            "We have corrected the declined values of requirement group {group} and sent it "
            "for review again. Please review it.",
        ),
        ReplyTemplate(
            "question",
            "Question about a requirement",
            'Question about the requirement "{requirement}" of requirement group {group}: '
            "[your question]",
            needs_requirement=True,
        ),
    )
}


class UnknownRequirement(ValueError):
    """The requirement chosen for a question is not one of the sub order's."""


def requirements(sub_order: Any) -> list[tuple[str, str]]:
    """The sub order's requirements as (id, name), by name."""
    ids = [
        str(r.get("requirement_id"))
        for r in sub_order.regulatory_requirements or []
        if r.get("requirement_id")
    ]
    return _named(ids)


def _named(ids: list[str]) -> list[tuple[str, str]]:
    names = {rid: row.name for rid, row in catalogue.ensure(ids).items()} if ids else {}
    return sorted(
        ((rid, names.get(rid, f"Requirement {rid[:8]}")) for rid in dict.fromkeys(ids)),
        key=lambda pair: pair[1].casefold(),
    )


def _numbers(sub_order: Any) -> str:
    numbers = list(
        sub_order.numbers.order_by("phone_number").values_list("phone_number", flat=True)[:20]
    )
    return ", ".join(numbers) or "in this sub order"


def texts(sub_order: Any) -> list[tuple[ReplyTemplate, str]]:
    """Every template with the sub order's values in (a question keeps ``{requirement}``)."""
    numbers = _numbers(sub_order)
    return [
        (t, t.text.replace("{sub_order}", sub_order.telnyx_id or "").replace("{numbers}", numbers))
        for t in TEMPLATES.values()
    ]


def render(sub_order: Any, key: str, requirement_id: str = "") -> str:
    """The text of template ``key`` for the sub order; KeyError for an unknown template,
    UnknownRequirement for a question about a requirement the sub order does not have."""
    template = TEMPLATES[key]
    text = {t.key: s for t, s in texts(sub_order)}[template.key]
    if not template.needs_requirement:
        return text
    name = dict(requirements(sub_order)).get(requirement_id)
    if name is None:
        raise UnknownRequirement(requirement_id)
    return text.replace(REQUIREMENT, name)


def group_requirements(link: Any) -> list[tuple[str, str]]:
    """A requirement group's requirements as (id, name), by name."""
    return _named([str(rid) for rid in link.requirement_ids or [] if rid])


def group_texts(link: Any) -> list[tuple[ReplyTemplate, str]]:
    """Every group template with the group's Telnyx id in (a question keeps
    ``{requirement}``)."""
    return [(t, t.text.replace("{group}", link.telnyx_id or "")) for t in GROUP_TEMPLATES.values()]


def render_group(link: Any, key: str, requirement_id: str = "") -> str:
    """The text of group template ``key``; KeyError for an unknown template,
    UnknownRequirement for a question about a requirement the group does not have."""
    template = GROUP_TEMPLATES[key]
    text = {t.key: s for t, s in group_texts(link)}[template.key]
    if not template.needs_requirement:
        return text
    name = dict(group_requirements(link)).get(requirement_id)
    if name is None:
        raise UnknownRequirement(requirement_id)
    return text.replace(REQUIREMENT, name)
