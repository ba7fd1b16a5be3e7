"""The UI's pure parts: escaped rendering, safe links, example questions, input checks."""

from __future__ import annotations

import json
import re
from datetime import date
from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest

from minutes_qa.contract import (
    ABSTAIN_MESSAGE,
    AskResponse,
    Citation,
    DocumentSummary,
    Facets,
    Filters,
    Passage,
    RequestLimits,
    Source,
)
from minutes_qa.text.quotes import reference_text
from minutes_qa.ui.app import ask_request
from minutes_qa.ui.examples import example_questions
from minutes_qa.ui.render import (
    Turn,
    announcement,
    citation_url,
    history_of,
    render_conversation,
    safe_url,
    source_reference,
    split_meeting_heading,
    suggestion,
)

API = "http://127.0.0.1:8000"
HOSTILE = "<script>alert(1)</script> and [click](javascript:alert(1)) and <img src=x onerror=alert(2)>"
_BULLET = "·\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 "
# A real POST /ask response over the sample index (passage text shortened), as JSON, with what the
# service adds when it knows more: a council (its heading then ends "(Council)") and a direct answer.
REAL_ASK_JSON = json.dumps({
    "question": "who chairs the integrated care partnership?",
    "answer": "Integrated Care System Development and Development of the Draft Integrated Care Strategy "
              "(Herefordshire Council): The ICP would be co-chaired by the two Health and Wellbeing Chairs, "
              "reflecting the joint working approach. [1]",
    "abstained": False,
    "direct_answer": {"text": "the two Health and Wellbeing Chairs", "citation": 1},
    "citations": [{
        "n": 1, "passage_id": "004-9c3bc0e0b6f5359f-e4f6852a:0001",
        "quote": f"{_BULLET}the ICP would be co-chaired by the two Health and Wellbeing Chairs, reflecting the joint working approach",
    }],
    "passages": [{
        "id": "004-9c3bc0e0b6f5359f-e4f6852a:0001", "rank": 1, "score": 1.6,
        "text": f"{_BULLET}the ICP would be co-chaired by the two Health and Wellbeing Chairs, reflecting the joint "
                f"working approach\n\n{_BULLET}the important role of public health",
        "source": {
            "doc_id": "004-9c3bc0e0b6f5359f-e4f6852a", "file": "004_9c3bc0e0b6f5359f.txt", "start": 1162, "end": 2236,
            "page": None, "council": "Herefordshire Council", "committee": None, "meeting_date": None,
            "title": "Integrated Care System Development and Development of the Draft Integrated Care Strategy",
            "url": None,
            "view_url": f"{API}/documents/004-9c3bc0e0b6f5359f-e4f6852a/view?start=1162&end=2236#cited",
        },
    }],
    "suggestions": [],
})


def _passage(
    text: str, *, start: int = 100, url: str | None = None, title: str | None = "Workforce", **source: str | None
) -> Passage:
    return Passage(
        id="doc-1:0003",
        rank=1,
        score=0.8,
        text=text,
        source=Source(
            doc_id="doc-1",
            file="minutes.txt",
            start=start,
            end=start + len(text),
            council=source.get("council"),
            committee=source.get("committee", "Health and Wellbeing Board"),
            meeting_date=source.get("meeting_date", "2018-02-13"),
            title=title,
            url=url,
            view_url=f"{API}/documents/doc-1/view?start={start}&end={start + len(text)}",
        ),
    )


def _answer(passage: Passage, quote: str, answer_text: str) -> AskResponse:
    return AskResponse(
        question="q",
        answer=answer_text,
        abstained=False,
        citations=[Citation(n=1, passage_id=passage.id, quote=quote)],
        passages=[passage],
    )


def test_answer_markers_link_to_the_exact_quoted_span() -> None:
    text = "The board met. Workforce shortages were the biggest risk. Other business followed."
    quote = "Workforce shortages were the biggest risk."
    passage = _passage(text)
    answer = _answer(passage, quote, f"Health and Wellbeing Board, 13 February 2018: {quote} [1]")

    url = citation_url(answer, answer.citations[0], API)

    assert url is not None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    start = 100 + text.index(quote)
    assert (query["start"], query["end"], parts.fragment) == ([str(start)], [str(start + len(quote))], "cited")
    html = render_conversation([Turn("What about workforce?", Filters(), answer=answer)], API)
    assert '<strong class="mqa-meeting">Health and Wellbeing Board, 13 February 2018:</strong>' in html
    assert re.search(r'<a class="mqa-cite" href="[^"]+start=\d+[^"]*"[^>]*>\[1\]</a>', html)
    assert "Open the highlighted passage" in html


def test_relative_view_url_is_joined_to_the_api_and_quote_missing_falls_back_to_passage() -> None:
    passage = _passage("Some text here.")
    passage.source.view_url = "/documents/doc-1/view?start=100&end=115"
    answer = _answer(passage, "Not in the passage at all.", "Not in the passage at all. [1]")

    assert citation_url(answer, answer.citations[0], API) == f"{API}/documents/doc-1/view?start=100&end=115"


def test_everything_from_the_service_is_escaped() -> None:
    passage = _passage(HOSTILE, url="javascript:alert(3)", title="<b>Item</b>", committee="<i>Board</i>")
    answer = _answer(passage, HOSTILE, HOSTILE + " [1]")
    abstained = AskResponse(question="q", answer="x", abstained=True, citations=[], passages=[], suggestions=[HOSTILE])

    html = render_conversation(
        [Turn(HOSTILE, Filters(committee="<u>x</u>"), answer=answer), Turn("q2", Filters(), answer=abstained),
         Turn("q3", Filters(), error=HOSTILE)],
        API,
    )

    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "<u>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[click](javascript:alert(1))" in html  # shown as text, not made a link
    assert 'href="javascript' not in html and "Original minutes" not in html


def test_only_plain_http_urls_are_links() -> None:
    assert safe_url("https://example.org/minutes?id=1") == "https://example.org/minutes?id=1"
    assert safe_url("http://127.0.0.1:8000/documents/a/view") == "http://127.0.0.1:8000/documents/a/view"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<p>",
                "//evil.example/x", "/relative", "https://ex.org/\"onmouseover=alert(1)", "https://ex.org/a b", None, ""):
        assert safe_url(bad) is None, bad


def test_original_minutes_link_shown_when_url_is_http() -> None:
    passage = _passage("Text of the minutes.", url="https://councillors.example.gov.uk/item/150")
    answer = _answer(passage, "Text of the minutes.", "Text of the minutes. [1]")

    html = render_conversation([Turn("q", Filters(), answer=answer)], API)

    assert 'href="https://councillors.example.gov.uk/item/150"' in html and "Original minutes" in html


def test_abstention_shows_the_honest_message_and_unique_suggestions() -> None:
    answer = AskResponse(
        question="What is the capital of France?", answer=ABSTAIN_MESSAGE, abstained=True, citations=[], passages=[],
        suggestions=["Nearest material: Workforce", "Nearest material: Workforce", "Try naming the committee."],
    )

    html = render_conversation([Turn(answer.question, Filters(), answer=answer)], API)

    assert ABSTAIN_MESSAGE.replace("'", "&#x27;") in html
    assert html.count("Nearest material: Workforce") == 1 and "Try naming the committee." in html


def test_pending_and_error_turns_and_filters_note() -> None:
    filters = Filters(committee="Cabinet", since=date(2018, 1, 1))
    html = render_conversation([Turn("q1", filters), Turn("q2", Filters(), error="The service is down.")], API)

    assert "Searching the minutes" in html
    assert "Only committee: Cabinet, from 1 January 2018" in html
    assert 'class="mqa-reply mqa-error"' in html and "The service is down." in html
    assert "Ask a question about the council minutes" in render_conversation([], API)


def test_a_live_region_announces_what_the_newest_turn_brought() -> None:
    answer = AskResponse.model_validate_json(REAL_ASK_JSON)
    abstained = AskResponse(question="q", answer=ABSTAIN_MESSAGE, abstained=True, citations=[], passages=[])

    assert announcement(Turn("q", Filters())) == "Searching the minutes…"
    assert announcement(Turn("q", Filters(), error="The service is down.")) == "No answer. The service is down."
    assert announcement(Turn("q", Filters(), answer=abstained)) == ABSTAIN_MESSAGE
    spoken = announcement(Turn("q", Filters(), answer=answer))
    assert spoken.startswith("Answer: the two Health and Wellbeing Chairs. From the minutes, 1 source: ")
    assert "co-chaired" in spoken and "[1]" not in spoken
    # The live region leads the conversation, so Gradio's in-place update keeps the same element.
    html = render_conversation([Turn("q1", Filters(), answer=abstained), Turn("q2", Filters(), answer=answer)], API)
    assert re.match(
        r'<section class="mqa-conversation" aria-label="Conversation" tabindex="0">'
        r'<div class="mqa-sr-only" role="status" aria-live="polite" aria-atomic="true">Answer: the two', html
    )
    assert re.search(r'role="status"[^>]*></div>', render_conversation([], API))


def test_the_direct_answer_leads_the_reply_cited_like_the_others() -> None:
    answer = AskResponse.model_validate_json(REAL_ASK_JSON)

    html = render_conversation([Turn(answer.question, Filters(), answer=answer)], API)

    direct = re.search(r'<p class="mqa-direct">(.*?)</p>', html)
    assert direct is not None and html.index("mqa-direct") < html.index("mqa-answer-text")
    assert direct.group(1).startswith(
        '<strong>Answer:</strong> <span class="mqa-direct-text">the two Health and Wellbeing Chairs</span> '
    )
    link = re.search(r'<a class="mqa-cite" href="([^"]+)"[^>]*>\[1\]</a>$', direct.group(1))
    assert link is not None and link.group(1) == escape(citation_url(answer, answer.citations[0], API) or "")


def test_a_direct_answer_the_answer_text_opens_with_is_shown_once() -> None:
    # The read path may also write the direct answer as the first paragraph of its plain-text answer.
    body = json.loads(REAL_ASK_JSON)
    body["answer"] = f"the two  Health and Wellbeing Chairs [1]\n\n{body['answer']}"
    answer = AskResponse.model_validate(body)
    plain = AskResponse.model_validate_json(REAL_ASK_JSON)

    html = render_conversation([Turn(answer.question, Filters(), answer=answer)], API)

    assert html == render_conversation([Turn(plain.question, Filters(), answer=plain)], API)
    assert re.search(r'<div class="mqa-answer-text"><p><strong class="mqa-meeting">[^<]*</strong>[^<]*<a ', html)


def test_the_direct_answer_is_escaped_and_its_own_brackets_are_not_links() -> None:
    answer = AskResponse.model_validate_json(REAL_ASK_JSON)
    answer.direct_answer.text = HOSTILE + " [1]"
    without_citation = answer.model_copy(update={"direct_answer": answer.direct_answer.model_copy(update={"citation": 7})})

    html = render_conversation([Turn("q", Filters(), answer=answer)], API)
    uncited = render_conversation([Turn("q", Filters(), answer=without_citation)], API)

    assert "<script" not in html and "<img" not in html
    assert f'<span class="mqa-direct-text">{escape(HOSTILE)} [1]</span> <a class="mqa-cite"' in html
    assert re.search(r'<p class="mqa-direct">.*\[1\]</span></p>', uncited)  # no [7] to link to: no marker


def test_the_meeting_heading_is_the_services_own_council_included() -> None:
    answer = AskResponse.model_validate_json(REAL_ASK_JSON)

    html = render_conversation([Turn(answer.question, Filters(), answer=answer)], API)

    assert (
        '<strong class="mqa-meeting">Integrated Care System Development and Development of the Draft Integrated '
        "Care Strategy (Herefordshire Council):</strong> The ICP would be co-chaired"
    ) in html


CABINET = {"committee": "Cabinet", "meeting_date": "2018-05-01"}


@pytest.mark.parametrize(
    ("quote", "source", "paragraph", "heading"),
    [
        # A colon inside the quoted sentence is not a heading, with or without one before it.
        ("Resolved: that the budget be approved", CABINET, "Resolved: that the budget be approved. [1]", ""),
        ("Resolved: that the budget be approved", CABINET,
         "Cabinet, 1 May 2018: Resolved: that the budget be approved. [1]", "Cabinet, 1 May 2018"),
        # The council the service adds when it knows it is part of the heading.
        ("The board agreed the plan.", {"council": "Herefordshire Council"},
         "Health and Wellbeing Board, 13 February 2018 (Herefordshire Council): The board agreed the plan. [1]",
         "Health and Wellbeing Board, 13 February 2018 (Herefordshire Council)"),
        # A heading may hold a colon of its own (an item title standing in for the committee).
        ("(iv) the fees would rise", {"committee": None, "title": "Item 5: Fees", "meeting_date": "2018-05-01",
                                      "council": "York Council"},
         "Item 5: Fees, 1 May 2018 (York Council): The fees would rise. [1]", "Item 5: Fees, 1 May 2018 (York Council)"),
        ("Note: fees were discussed", {}, "Note: fees were discussed [1]", ""),
        ("12.10.3. Fees: the fees would rise", {"committee": "Cabinet", "meeting_date": None},
         "Cabinet: Fees: the fees would rise. [1]", "Cabinet"),
        # Another meeting's heading is not this source's.
        ("The board agreed the plan.", {}, "Cabinet, 1 May 2018: The board agreed the plan. [1]", ""),
    ],
)
def test_meeting_headings_are_the_cited_sources_label(
    quote: str, source: dict[str, str | None], paragraph: str, heading: str
) -> None:
    answer = _answer(_passage(quote, **source), quote, paragraph)

    found, rest = split_meeting_heading(paragraph, answer)

    assert found == heading
    assert (f"{heading}: {rest}" if heading else rest) == paragraph


def _document(doc_id: str, **metadata: str | None) -> DocumentSummary:
    return DocumentSummary(
        doc_id=doc_id, file=f"{doc_id}.txt", chars=100, view_url=f"{API}/documents/{doc_id}/view", **metadata
    )


def test_example_questions_come_from_the_loaded_documents() -> None:
    documents = [
        _document("a", committee="Cabinet", meeting_date="2016-07-28",
                  title="One Herefordshire and the sustainability and transformation plan"),
        _document("b", committee="Health and Wellbeing Board", meeting_date="2018-02-13",
                  title="Improving health and wellbeing – a system leadership approach"),
        _document("c", title="Integrated Care System Development: Draft Strategy"),
        _document("d", committee="Cabinet", meeting_date="2017-01-01", title=None),
    ]

    facets = Facets(committees=["Cabinet", "Health and Wellbeing Board", "Planning Committee"], councils=[])
    questions = example_questions(facets, documents)

    assert questions == [
        "What did the Health and Wellbeing Board say about improving health and wellbeing?",
        "What did the Cabinet say about One Herefordshire and the sustainability and transformation plan?",
        "What was said about the Integrated Care System Development?",
        "What did the Planning Committee decide?",
    ]


def test_example_questions_without_documents_use_committees() -> None:
    assert example_questions(Facets(committees=["Cabinet"], councils=[]), []) == ["What did the Cabinet decide?"]
    assert example_questions(Facets(committees=[], councils=[]), []) == []


LIMITS = RequestLimits(max_question_chars=100, max_k=50, max_history_turns=2, max_comment_chars=2000)


def test_the_question_box_is_checked_by_the_contract() -> None:
    assert ask_request(" Who chairs the board? ", None, None, None, None, [], LIMITS).question == "Who chairs the board?"
    with pytest.raises(ValueError, match="^The question is empty: say what you want to know.$"):
        ask_request("  ", None, None, None, None, [], LIMITS)
    with pytest.raises(ValueError, match="101 characters long; the limit is 100"):
        ask_request("x" * 101, None, None, None, None, [], LIMITS)
    turn = {"question": "Why?", "interpreted_as": "Why?"}
    with pytest.raises(ValueError, match="The history has 3 turns; the limit is 2"):
        ask_request("And then?", None, None, None, None, [turn] * 3, LIMITS)


def test_filters_parse_and_reject_bad_dates() -> None:
    request = ask_request("q", "Cabinet", "", "2018-01-01", None, [], LIMITS)
    assert request.filters == Filters(committee="Cabinet", since=date(2018, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        ask_request("q", "", "", "13/02/2018", None, [], LIMITS)
    with pytest.raises(ValueError, match=r"start date \(2019-01-01\) is after the end date \(2018-01-01\)"):
        ask_request("q", "", "", "2019-01-01", "2018-01-01", [], LIMITS)


REFERENCE = "Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire Council"


def test_the_copied_reference_is_the_reference_then_each_quote_in_curly_quotes() -> None:
    assert reference_text(REFERENCE, ["The board agreed the plan."]) == (
        "Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire Council\n"
        "\u201cThe board agreed the plan.\u201d"
    )
    # Minutes text is exact apart from white space (a pasted reference must stay on its lines) and a bullet.
    assert reference_text("R", [f"{_BULLET}the ICP would be\n  co-chaired", "second  quote"]) == (
        "R\n\u201cthe ICP would be co-chaired\u201d\n\u201csecond quote\u201d"
    )


def test_each_source_copies_its_reference_with_every_quote_cited_from_it() -> None:
    passage = _passage("The board agreed the plan. Members noted the risk.")
    passage.source.reference = REFERENCE
    other = _passage("Another passage.", start=900)
    other.id = "doc-1:0009"
    answer = AskResponse(
        question="q", answer="a", abstained=False, passages=[passage, other],
        citations=[
            Citation(n=1, passage_id=passage.id, quote="The board agreed the plan."),
            Citation(n=2, passage_id=other.id, quote="Another passage."),
            Citation(n=3, passage_id=passage.id, quote="Members noted the risk."),
        ],
    )

    assert source_reference(answer, answer.citations[0]) == (
        f"{REFERENCE}\n\u201cThe board agreed the plan.\u201d\n\u201cMembers noted the risk.\u201d"
    )
    # An older service sends no reference: the source's headline stands in for it.
    assert source_reference(answer, answer.citations[1]) == (
        "Health and Wellbeing Board · 13 February 2018\n\u201cAnother passage.\u201d"
    )
    html = render_conversation([Turn("q", Filters(), answer=answer)], API)
    assert html.count('class="mqa-copy"') == 3
    assert f'data-copy="{escape(source_reference(answer, answer.citations[0]))}"' in html
    assert 'aria-label="Copy reference 2: the reference and its quote">Copy reference</button>' in html


def test_copied_text_is_escaped_in_its_attribute() -> None:
    passage = _passage(HOSTILE)
    passage.source.reference = '"><script>alert(1)</script>'
    answer = _answer(passage, HOSTILE, HOSTILE + " [1]")

    html = render_conversation([Turn("q", Filters(), answer=answer)], API)

    assert "<script" not in html and "<img" not in html
    assert 'data-copy="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n\u201c&lt;script&gt;' in html


def _followup(question: str, interpreted_as: str, suggestions: list[str] | None = None, answer_id: str = "3-ab") -> AskResponse:
    passage = _passage("The board agreed the plan.")
    return AskResponse(
        question=question, interpreted_as=interpreted_as, answer="The board agreed the plan. [1]", abstained=False,
        citations=[Citation(n=1, passage_id=passage.id, quote="The board agreed the plan.")], passages=[passage],
        suggestions=suggestions or [], answer_id=answer_id,
    )


def test_a_rewritten_question_says_how_it_was_read_and_offers_the_words_as_typed() -> None:
    rewritten = _followup("And in <2019>?", "What did the board say about workforce risk in <2019>?")
    as_typed = _followup("What did the board say?", "What did the board say?")

    html = render_conversation(
        [Turn(as_typed.question, Filters(), answer=as_typed), Turn(rewritten.question, Filters(), answer=rewritten)], API
    )

    assert html.count("Answered as:") == 1
    assert (
        '<span class="mqa-interpreted">What did the board say about workforce risk in &lt;2019&gt;?</span>' in html
    )
    assert '<button type="button" class="mqa-action mqa-literal" data-action="literal" data-turn="1">' in html
    assert html.count("Ask exactly as I typed it instead") == 1
    abstained = AskResponse(
        question="And Kent?", interpreted_as="What about workforce risk in Kent?", answer="x", abstained=True,
        citations=[], passages=[],
    )
    assert "Answered as:" in render_conversation([Turn("And Kent?", Filters(), answer=abstained)], API)


def test_suggestions_are_buttons_that_send_their_position() -> None:
    answer = _followup("q", "q", ["What was decided on <Workforce>?", "Other meetings on it?", "Other meetings on it?"])

    html = render_conversation([Turn("q", Filters(), answer=answer), Turn("q", Filters(), answer=answer)], API)

    assert (
        '<button type="button" class="mqa-action mqa-suggestion" data-action="suggest" data-turn="1" '
        'data-choice="0">What was decided on &lt;Workforce&gt;?</button>'
    ) in html
    assert html.count("Other meetings on it?") == 2  # once per turn: duplicates dropped
    assert 'role="group" aria-labelledby="mqa-t1-next"' in html and 'id="mqa-t1-next"' in html
    assert [suggestion(answer, choice) for choice in (0, 1, 2, -1)] == [
        "What was decided on <Workforce>?", "Other meetings on it?", None, None
    ]


def test_thumbs_and_comment_box_until_rated_then_thanks_or_the_problem() -> None:
    answer = _followup("q", "q")
    html = render_conversation([Turn("q", Filters(), answer=answer)], API)
    assert 'data-action="rate" data-rating="up" data-turn="0"' in html and 'data-rating="down"' in html
    assert '<label class="mqa-comment-label" for="mqa-t0-comment">Comment (optional)</label>' in html
    assert '<textarea class="mqa-comment" id="mqa-t0-comment"' in html
    assert "Helpful</button>" in html and "Not helpful</button>" in html

    rated = render_conversation([Turn("q", Filters(), answer=answer, rating="down")], API)
    assert "your rating (not helpful) was recorded" in rated and "mqa-thumb" not in rated

    refused = render_conversation([Turn("q", Filters(), answer=answer, rating_error="Too many <ratings>")], API)
    assert '<p class="mqa-rating-error">Too many &lt;ratings&gt;</p>' in refused and "mqa-thumb" in refused

    unrateable = answer.model_copy(update={"answer_id": None})
    assert "mqa-rating" not in render_conversation([Turn("q", Filters(), answer=unrateable)], API)


def test_an_announcement_can_replace_the_newest_answers() -> None:
    answer = _followup("q", "q")
    html = render_conversation([Turn("q", Filters(), answer=answer)], API, "Thank you: <recorded>.")
    assert 'aria-atomic="true">Thank you: &lt;recorded&gt;.</div>' in html


def test_history_is_the_latest_answered_turns_as_the_service_read_them() -> None:
    turns = [
        Turn("first?", Filters(), answer=_followup("first?", "first?")),
        Turn("broken?", Filters(), error="The service is down."),
        Turn("And in 2019?", Filters(), answer=_followup("And in 2019?", "first in 2019?")),
        Turn("waiting?", Filters()),
    ]

    assert history_of(turns, 10) == [
        {"question": "first?", "interpreted_as": "first?"},
        {"question": "And in 2019?", "interpreted_as": "first in 2019?"},
    ]
    assert history_of(turns, 1) == [{"question": "And in 2019?", "interpreted_as": "first in 2019?"}]
    assert history_of(turns, 0) == []
