"""The conversation as HTML: every piece of text from the service escaped, only our own links.

Minutes text is untrusted (it comes from whatever was ingested), so nothing here passes service
text to a Markdown or HTML renderer unescaped: the answer, quotes, titles and suggestions are all
``html.escape``d, and the only links are ones built here from http(s) URLs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from minutes_qa.contract import ABSTAIN_MESSAGE, AskResponse, Citation, Filters, Passage
from minutes_qa.text.dates import human_date
from minutes_qa.text.labels import meeting_label
from minutes_qa.text.quotes import quote_words, reference_text

QUOTE_MAX_CHARS = 320
_MARKER = re.compile(r"\[(\d+)\]")
_UNSAFE_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f\"'<>`\\]")


@dataclass(frozen=True)
class Turn:
    """One question and what came back: an answer from the service, or a message saying why not."""

    question: str
    filters: Filters
    answer: AskResponse | None = None
    error: str | None = None  # neither answer nor error: still waiting for the service
    rating: str | None = None  # "up" or "down" once the member's rating is stored
    rating_error: str | None = None  # why the rating could not be stored


def history_of(turns: Sequence[Turn], limit: int) -> list[dict[str, str]]:
    """The last ``limit`` answered turns as ``POST /ask`` takes them: ``{"question", "interpreted_as"}``.

    Turns that failed or are still waiting say nothing about what the conversation is about.
    """
    answered = [
        {"question": turn.question, "interpreted_as": turn.answer.interpreted_as or turn.question}
        for turn in turns
        if turn.answer is not None
    ]
    return answered[-limit:] if limit > 0 else []


def source_reference(answer: AskResponse, citation: Citation) -> str:
    """The copyable reference of ``citation``'s source, with every quote the answer cites from it."""
    passage = answer.passage(citation.passage_id)
    reference = (passage.source.reference if passage else None) or _headline(passage)
    quotes = [other.quote for other in answer.citations if other.passage_id == citation.passage_id]
    return reference_text(reference, quotes)


def render_conversation(turns: Sequence[Turn], api_url: str, announce: str | None = None) -> str:
    """The whole conversation, oldest first; a short welcome when it is empty.

    Its first element is a live region saying what the newest turn brought (or ``announce``, for
    news that is not a new answer, such as a stored rating), so a screen reader announces it
    without the member having to find it.
    """
    if not turns:
        return _wrap(_welcome(), announce or "")
    body = "".join(render_turn(turn, index, api_url) for index, turn in enumerate(turns))
    return _wrap(body, announce if announce is not None else announcement(turns[-1]))


def announcement(turn: Turn) -> str:
    """What a screen reader should say about ``turn``: its state, and the answer as plain words."""
    if turn.error is not None:
        return f"No answer. {turn.error}"
    if turn.answer is None:
        return "Searching the minutes…"
    if turn.answer.abstained:
        return ABSTAIN_MESSAGE
    # Citation markers read aloud as "left bracket one" are noise; the links stay in the conversation.
    words = " ".join(_MARKER.sub("", " ".join(answer_paragraphs(turn.answer))).split())
    direct = turn.answer.direct_answer
    lead = f"Answer: {' '.join(direct.text.split())}. " if direct is not None and direct.text.strip() else ""
    sources = len(turn.answer.citations)
    return f"{lead}From the minutes, {sources} source{'' if sources == 1 else 's'}: {words}"


def render_turn(turn: Turn, index: int, api_url: str) -> str:
    """One question bubble and its reply. ``index`` keeps element ids unique across turns."""
    question = (
        f'<div class="mqa-question"><div class="mqa-who">You asked</div>'
        f'<p class="mqa-question-text">{_e(turn.question)}</p>{_filters_note(turn.filters)}</div>'
    )
    if turn.error is not None:
        reply = render_error(turn.error)
    elif turn.answer is None:
        reply = (
            '<div class="mqa-reply mqa-pending" aria-busy="true"><div class="mqa-who">From the minutes</div>'
            "<p>Searching the minutes…</p></div>"
        )
    elif turn.answer.abstained:
        reply = render_abstention(turn.answer, index) + _rating(turn, index)
    else:
        reply = render_answer(turn.answer, index, api_url) + _rating(turn, index)
    return f'<article class="mqa-turn" data-turn="{index}" aria-label="Question {index + 1}">{question}{reply}</article>'


def render_answer(answer: AskResponse, index: int, api_url: str) -> str:
    """The direct answer if there is one, the answer with clickable [n] markers, then its numbered sources."""
    links = {citation.n: citation_url(answer, citation, api_url) for citation in answer.citations}
    paragraphs = "".join(
        f"<p>{_answer_paragraph(paragraph, answer, links, index)}</p>" for paragraph in answer_paragraphs(answer)
    )
    sources = "".join(_source_item(answer, citation, links[citation.n], index) for citation in answer.citations)
    sources_block = (
        f'<div class="mqa-sources-heading">Sources</div><ol class="mqa-sources">{sources}</ol>' if sources else ""
    )
    return (
        f'<div class="mqa-reply mqa-answer"><div class="mqa-who">From the minutes</div>{_answered_as(answer, index)}'
        f'{_direct_answer(answer, links, index)}<div class="mqa-answer-text">{paragraphs}</div>{sources_block}'
        f"{_suggestions(answer, index)}</div>"
    )


def render_abstention(answer: AskResponse, index: int) -> str:
    """The honest "not covered" reply, with the service's suggestions of what to try."""
    # dict.fromkeys: the same suggestion twice would only be noise.
    suggestions = "".join(f"<li>{_e(text)}</li>" for text in dict.fromkeys(answer.suggestions))
    tips = f'<p class="mqa-tips-heading">You could try:</p><ul class="mqa-tips">{suggestions}</ul>' if suggestions else ""
    return (
        f'<div class="mqa-reply mqa-abstain"><div class="mqa-who">From the minutes</div>{_answered_as(answer, index)}'
        f'<p class="mqa-abstain-heading">{_e(ABSTAIN_MESSAGE)}</p>'
        "<p>I only answer from the minutes that have been loaded, and none of them covers this question "
        f"closely enough to answer it with a citation.</p>{tips}</div>"
    )


def render_error(message: str) -> str:
    """A problem the member can act on, in place of an answer."""
    # No role="alert" here: the conversation's live region already announces it.
    return (
        '<div class="mqa-reply mqa-error"><div class="mqa-who">No answer</div>'
        f'<p class="mqa-error-text">{_e(message)}</p></div>'
    )


def citation_url(answer: AskResponse, citation: Citation, api_url: str) -> str | None:
    """The service's highlighted view of exactly the quoted sentence, or None if it has no safe URL.

    The service's ``view_url`` highlights the whole passage; the quote is an exact substring of
    the passage text, so narrowing the span to it shows the member the very sentence cited.
    """
    passage = answer.passage(citation.passage_id)
    if passage is None or not passage.source.view_url:
        return None
    url = safe_url(urljoin(api_url.rstrip("/") + "/", passage.source.view_url))
    if url is None:
        return None
    offset = passage.text.find(citation.quote)
    if offset < 0:
        return url
    start = passage.source.start + offset
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key not in ("start", "end")]
    query += [("start", str(start)), ("end", str(start + len(citation.quote)))]
    # The fragment lands the browser on the highlight itself, not the top of a long document.
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "cited"))


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain absolute http(s) URL, else None (no javascript:, data:, etc.)."""
    if not url or _UNSAFE_URL_CHARS.search(url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def answer_paragraphs(answer: AskResponse) -> list[str]:
    """The answer text's paragraphs, white space folded, less a first one that only repeats the direct answer.

    The service may open its answer text with the direct answer ("<text> [n]") for plain-text
    readers; the UI shows that as its own "Answer:" line, so it is not shown twice.
    """
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", answer.answer.strip()) if part.strip()]
    direct = answer.direct_answer
    if direct is not None and paragraphs and paragraphs[0] == f"{' '.join(direct.text.split())} [{direct.citation}]":
        return paragraphs[1:]
    return paragraphs


def split_meeting_heading(paragraph: str, answer: AskResponse) -> tuple[str, str]:
    """``(heading, rest)`` when ``paragraph`` (white space folded) opens with the service's meeting heading.

    Without one it is ``("", paragraph)``.

    The service writes each meeting's sentences as "<heading>: <sentence> [n] …", the heading
    being :func:`minutes_qa.text.labels.meeting_label` of the source the paragraph first cites
    ("Committee, 13 February 2018 (Some Council)"). The UI builds the same label from the same
    fields of that source, so it recognises exactly the service's heading, council included.
    """
    first = _MARKER.search(paragraph)
    citation = next((c for c in answer.citations if first and c.n == int(first.group(1))), None)
    passage = answer.passage(citation.passage_id) if citation is not None else None
    if passage is None:
        return "", paragraph
    source = passage.source
    label = meeting_label(
        committee=source.committee, title=source.title, meeting_date=source.meeting_date, council=source.council
    )
    heading = " ".join(label.split())
    if heading and paragraph.startswith(f"{heading}: "):
        return heading, paragraph[len(heading) + 2 :]
    return "", paragraph


def _answer_paragraph(paragraph: str, answer: AskResponse, links: dict[int, str | None], index: int) -> str:
    heading, text = split_meeting_heading(paragraph, answer)
    cited = _MARKER.sub(lambda match: _marker(match, links, index), _e(text))
    return f'<strong class="mqa-meeting">{_e(heading)}:</strong> {cited}' if heading else cited


def _direct_answer(answer: AskResponse, links: dict[int, str | None], index: int) -> str:
    """'**Answer:** <the quoted words> [n]' above the supporting sentences, when the service gave one."""
    direct = answer.direct_answer
    if direct is None or not direct.text.strip():
        return ""
    # The words are minutes text: a bracketed number inside them is theirs, never made a link.
    cite = f" {_cite_link(direct.citation, links[direct.citation], index)}" if direct.citation in links else ""
    return (
        f'<p class="mqa-direct"><strong>Answer:</strong> '
        f'<span class="mqa-direct-text">{_e(" ".join(direct.text.split()))}</span>{cite}</p>'
    )


def _marker(match: re.Match[str], links: dict[int, str | None], index: int) -> str:
    number = int(match.group(1))
    if number not in links:
        # A bracketed number inside the minutes' own text, not one of the service's citations.
        return match.group(0)
    return _cite_link(number, links[number], index)


def _cite_link(number: int, url: str | None, index: int) -> str:
    label = f"[{number}]"
    if url is None:
        return f'<a class="mqa-cite" href="#mqa-t{index}-s{number}">{label}</a>'
    return (
        f'<a class="mqa-cite" href="{_e(url)}" target="_blank" rel="noopener noreferrer" '
        f'title="Open source {number}: the cited passage, highlighted">{label}</a>'
    )


def _meeting(passage: Passage | None) -> list[str]:
    source = passage.source if passage else None
    if source is None:
        return []
    parts = (
        source.committee,
        source.council if source.council != source.committee else None,
        human_date(source.meeting_date),
        f"page {source.page}" if source.page is not None else None,
    )
    return [part for part in parts if part]


def _headline(passage: Passage | None) -> str:
    # The meeting names the source; failing that the item title, and only as a last resort the file.
    source = passage.source if passage else None
    title = source.title if source else None
    return " · ".join(_meeting(passage)) or title or (source.file if source else "Source not returned by the service")


def _source_item(answer: AskResponse, citation: Citation, url: str | None, index: int) -> str:
    passage = answer.passage(citation.passage_id)
    source = passage.source if passage else None
    title = source.title if source else None
    headline = _headline(passage)
    subline = title if _meeting(passage) and title else None
    links = []
    if url is not None:
        links.append(
            f'<a class="mqa-view" href="{_e(url)}" target="_blank" rel="noopener noreferrer">'
            "Open the highlighted passage</a>"
        )
    original = safe_url(source.url) if source else None
    if original is not None:
        links.append(
            f'<a class="mqa-original" href="{_e(original)}" target="_blank" rel="noopener noreferrer">'
            "Original minutes</a>"
        )
    # The text to copy travels in an attribute, escaped like everything else; the page's own script
    # (ui.app.CONVERSATION_SCRIPT) copies it, so nothing from the minutes is ever run.
    links.append(
        f'<button type="button" class="mqa-copy" data-copy="{_e(source_reference(answer, citation))}" '
        f'aria-label="Copy reference {citation.n}: the reference and its quote">Copy reference</button>'
        '<span class="mqa-copied" role="status"></span>'
    )
    subline_html = f'<div class="mqa-source-title">{_e(subline)}</div>' if subline else ""
    links_html = f'<div class="mqa-links">{"".join(links)}</div>'
    return (
        f'<li class="mqa-source" id="mqa-t{index}-s{citation.n}" value="{citation.n}">'
        f'<div class="mqa-source-meta"><span class="mqa-n">{citation.n}</span>'
        f'<span class="mqa-source-headline">{_e(headline)}</span></div>{subline_html}'
        f'<blockquote class="mqa-quote">{_e(_shorten(citation.quote))}</blockquote>{links_html}</li>'
    )


def _answered_as(answer: AskResponse, index: int) -> str:
    """'Answered as: <reading>' and a way back to the words as typed, when the service rewrote a follow-up."""
    reading = " ".join(answer.interpreted_as.split())
    if not reading or reading == " ".join(answer.question.split()):
        return ""
    return (
        f'<div class="mqa-answered-as"><p><span class="mqa-answered-label">Answered as:</span> '
        f'<span class="mqa-interpreted">{_e(reading)}</span></p>'
        f'<button type="button" class="mqa-action mqa-literal" data-action="literal" data-turn="{index}">'
        "Ask exactly as I typed it instead</button></div>"
    )


def _suggestions(answer: AskResponse, index: int) -> str:
    """The service's next questions as buttons; the button says the question, the click asks it."""
    # dict.fromkeys: the same suggestion twice would only be noise. The click sends the position,
    # never the text: what is asked is always the service's own suggestion.
    buttons = "".join(
        f'<li><button type="button" class="mqa-action mqa-suggestion" data-action="suggest" data-turn="{index}" '
        f'data-choice="{choice}">{_e(text)}</button></li>'
        for choice, text in enumerate(dict.fromkeys(answer.suggestions))
    )
    if not buttons:
        return ""
    return (
        f'<div class="mqa-next" role="group" aria-labelledby="mqa-t{index}-next">'
        f'<p class="mqa-next-heading" id="mqa-t{index}-next">You could ask next:</p>'
        f'<ul class="mqa-suggestions">{buttons}</ul></div>'
    )


def suggestion(answer: AskResponse, choice: int) -> str | None:
    """The ``choice``-th suggestion as :func:`render_answer` numbered its buttons, or None."""
    unique = list(dict.fromkeys(answer.suggestions))
    return unique[choice] if 0 <= choice < len(unique) else None


def _rating(turn: Turn, index: int) -> str:
    """Thumbs up / down and an optional comment, or what became of the rating."""
    if turn.answer is None or not turn.answer.answer_id:
        return ""
    if turn.rating is not None:
        said = "helpful" if turn.rating == "up" else "not helpful"
        return f'<div class="mqa-rating"><p class="mqa-rated">Thank you: your rating ({said}) was recorded.</p></div>'
    problem = f'<p class="mqa-rating-error">{_e(turn.rating_error)}</p>' if turn.rating_error else ""
    comment = f"mqa-t{index}-comment"
    return (
        f'<div class="mqa-rating" role="group" aria-labelledby="mqa-t{index}-rate">'
        f'<p class="mqa-rate-heading" id="mqa-t{index}-rate">Was this answer useful?</p>'
        f'<label class="mqa-comment-label" for="{comment}">Comment (optional)</label>'
        f'<textarea class="mqa-comment" id="{comment}" rows="2"></textarea>'
        f'<div class="mqa-thumbs">'
        f'<button type="button" class="mqa-action mqa-thumb" data-action="rate" data-rating="up" data-turn="{index}">'
        '<span aria-hidden="true">\U0001F44D</span> Helpful</button>'
        f'<button type="button" class="mqa-action mqa-thumb" data-action="rate" data-rating="down" data-turn="{index}">'
        '<span aria-hidden="true">\U0001F44E</span> Not helpful</button></div>'
        f"{problem}</div>"
    )


def _filters_note(filters: Filters) -> str:
    parts = [
        f"committee: {filters.committee}" if filters.committee else None,
        f"council: {filters.council}" if filters.council else None,
        f"from {human_date(filters.since.isoformat())}" if filters.since else None,
        f"until {human_date(filters.until.isoformat())}" if filters.until else None,
    ]
    shown = [part for part in parts if part]
    return f'<div class="mqa-filters-note">Only {_e(", ".join(shown))}</div>' if shown else ""


def _shorten(quote: str) -> str:
    # Quotes are exact minutes text: fold white space and drop a list bullet for reading.
    text = quote_words(quote)
    if len(text) <= QUOTE_MAX_CHARS:
        return text
    return text[:QUOTE_MAX_CHARS].rsplit(" ", 1)[0] + " …"


def _welcome() -> str:
    return (
        '<div class="mqa-welcome"><p class="mqa-welcome-title">Ask a question about the council minutes</p>'
        "<p>Answers are built only from the minutes that have been loaded. Every sentence carries a "
        "numbered citation such as <span class=\"mqa-cite\">[1]</span>: click it to open the minutes "
        "at that exact passage, highlighted. If the minutes don't cover your question, I'll say so.</p></div>"
    )


def _wrap(body: str, announced: str) -> str:
    # Focusable so that keyboard users can scroll it; the live region stays its first child so
    # that Gradio's in-place update keeps the same element, which screen readers then re-read.
    return (
        '<section class="mqa-conversation" aria-label="Conversation" tabindex="0">'
        f'<div class="mqa-sr-only" role="status" aria-live="polite" aria-atomic="true">{_e(announced)}</div>'
        f"{body}</section>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)
