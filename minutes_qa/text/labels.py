"""The heading an answer gives each meeting it quotes, built from the source's plain fields.

The service writes it before a meeting's sentences and the UI recognises it there to show it in
bold: both build it with :func:`meeting_label`, so they cannot disagree about it.
"""

from __future__ import annotations

from .dates import human_date


def meeting_label(*, committee: str | None, title: str | None, meeting_date: str | None, council: str | None) -> str:
    """'Health and Wellbeing Board, 13 February 2018 (Herefordshire Council)' from what the source knows.

    The item title stands in for an unknown committee; the council is added unless the rest
    already names it, and is the whole label when nothing else is known. Empty when nothing is.
    """
    name = committee or title
    label = ", ".join(part for part in (name, human_date(meeting_date)) if part)
    if council and council not in label:
        label = f"{label} ({council})" if label else council
    return label
