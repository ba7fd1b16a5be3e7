"""Answers: exact citations on every shared question, abstention, answers on the sample.

Every question of ``shared/eval/seeds.jsonl`` and ``dev.jsonl`` is asked once through the shared
corpus engine; :func:`ask_cached` keeps the responses for the session so that
``test_quality_regression`` scores the very same answers instead of asking again.
"""

from __future__ import annotations

import json
import re

import pytest

from minutes_qa.contract import ABSTAIN_MESSAGE, AskResponse, Passage
from minutes_qa.rag.answer import MISSING_PART_PREFIX
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from minutes_qa.text.labels import meeting_label
from support import ASK_K, SHARED_EVAL, ask_cached

WORKFORCE_QUESTION = "What did the board say about workforce risk?"
OFF_TOPIC = ("What is the capital of France?", "Who won the 1966 football World Cup?")
MARKER = re.compile(r"\[(\d+)\]")
MEETING_DATE_ANSWER = re.compile(r"^At the (.+ )?meeting of \d{1,2} \w+ \d{4}$")
LEADING_LIST_MARKER = re.compile(r"^([·•▪●◦‣∙\-*–]|\(?[a-z0-9ivx]{1,4}\)|\d{1,2}\.)$")


def load_question_records(*names: str) -> list[dict]:
    records = []
    for name in names:
        with open(SHARED_EVAL / name, encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle if line.strip()]
    return records


ALL_QUESTIONS = load_question_records("seeds.jsonl", "dev.jsonl")


@pytest.fixture(scope="module")
def all_answers(corpus_engine: Engine) -> list[tuple[dict, AskResponse]]:
    return [(record, ask_cached(corpus_engine, record["question"])) for record in ALL_QUESTIONS]


def _label(passage: Passage) -> str:
    """The meeting heading the answer must give ``passage``'s sentences."""
    source = passage.source
    return meeting_label(
        committee=source.committee, title=source.title, meeting_date=source.meeting_date, council=source.council
    )


def answer_problems(engine: Engine, response: AskResponse, max_words: int) -> list[str]:
    """Everything wrong with one response's citations, passages and answer text."""
    problems = []
    passages = {passage.id: passage for passage in response.passages}
    if len(passages) != len(response.passages):
        problems.append("two passages share an id")
    for passage in response.passages:
        stored = engine.document(passage.source.doc_id)
        if passage.text != stored.text[passage.source.start : passage.source.end]:
            problems.append(f"passage {passage.id} is not document[{passage.source.start}:{passage.source.end}]")
        if passage.source.file != stored.file:
            problems.append(f"passage {passage.id} names file {passage.source.file}, stored as {stored.file}")
    if response.abstained:
        if response.answer != ABSTAIN_MESSAGE or response.citations:
            problems.append("an abstention carries an answer or citations")
        return problems

    numbers = [citation.n for citation in response.citations]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"citations numbered {numbers}")
    if not numbers:
        problems.append("an answer without citations")
    opening = f"{' '.join(response.direct_answer.text.split())} [{response.direct_answer.citation}]\n\n" if response.direct_answer else ""
    markers = [int(n) for n in MARKER.findall(response.answer.removeprefix(opening))]
    if sorted(markers) != numbers:
        problems.append(f"markers {markers} in the answer, citations {numbers}")
    folded_answer = " ".join(response.answer.split())
    for citation in response.citations:
        passage = passages.get(citation.passage_id)
        if passage is None:
            problems.append(f"[{citation.n}] cites unknown passage {citation.passage_id}")
            continue
        if not citation.quote or citation.quote not in passage.text:
            problems.append(f"[{citation.n}] quote is not in its passage: {citation.quote[:80]!r}")
        words = citation.quote.split()
        if words and LEADING_LIST_MARKER.match(words[0]):
            words = words[1:]
        core = " ".join(words[1:-1])
        if core and core not in folded_answer:
            problems.append(f"[{citation.n}] quote does not appear in the answer: {core[:80]!r}")

    paragraphs = response.answer.split("\n\n")
    direct = response.direct_answer
    if direct is not None:
        quoted = {citation.n: citation.quote for citation in response.citations}
        if direct.citation not in quoted:
            problems.append(f"direct answer cites [{direct.citation}], which is not a citation")
        elif not (direct.text in quoted[direct.citation] or direct.text in ("Yes", "No") or MEETING_DATE_ANSWER.match(direct.text)):
            problems.append(f"direct answer {direct.text!r} is not in the quote of [{direct.citation}]")
        if paragraphs[0] != f"{' '.join(direct.text.split())} [{direct.citation}]":
            problems.append(f"the answer does not open with its direct answer: {paragraphs[0][:80]!r}")
        paragraphs = paragraphs[1:]
    paragraphs = [paragraph for paragraph in paragraphs if not paragraph.startswith(MISSING_PART_PREFIX)]
    body_words = 0
    by_id = {citation.n: passages.get(citation.passage_id) for citation in response.citations}
    for paragraph in paragraphs:
        cited = [int(n) for n in MARKER.findall(paragraph)]
        if not cited or not paragraph.rstrip().endswith(f"[{cited[-1]}]"):
            problems.append(f"uncited text in {paragraph[:80]!r}")
            continue
        passage = by_id.get(cited[0])
        label = _label(passage) if passage else ""
        body = paragraph
        if label:
            if not paragraph.startswith(f"{label}: "):
                problems.append(f"paragraph does not start with its meeting label {label!r}: {paragraph[:80]!r}")
            body = paragraph[len(label) + 2 :]
        body_words += len(MARKER.sub("", body).split())
    if body_words > max_words and len(response.citations) > 1:
        problems.append(f"{body_words} words of cited text, more than {max_words}")
    return problems


# --- every shared question ---------------------------------------------------------------------


def test_all_questions_were_asked(all_answers: list) -> None:
    assert len(all_answers) == len(ALL_QUESTIONS) >= 160


def test_citations_are_exact_on_every_question(corpus_engine: Engine, all_answers: list, settings: Settings) -> None:
    problems = []
    for record, response in all_answers:
        found = answer_problems(corpus_engine, response, settings.answer.answer_max_words)
        problems += [f"{record['id']}: {problem}" for problem in found]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:40])


def test_answers_stay_short(all_answers: list, settings: Settings) -> None:
    """Within the word budget, with slack only for meeting labels, the direct answer and the markers."""
    for record, response in all_answers:
        passages = {passage.id: passage for passage in response.passages}
        labels = {_label(passages[citation.passage_id]) for citation in response.citations}
        words = len(response.answer.split()) - sum(len(label.split()) for label in labels)
        direct = len(response.direct_answer.text.split()) + 1 if response.direct_answer else 0
        assert words <= settings.answer.answer_max_words + direct + 2 * len(response.citations) + 16, record["id"]
        assert len(response.citations) <= Settings().answer.answer_max_units + 2, record["id"]


def test_direct_answers_for_questions_that_ask_for_a_fact(all_answers: list) -> None:
    """Who / when / how much questions open with the words that answer them on most shared questions."""
    kinds = ("who", "when", "how-much")
    asked = [response for record, response in all_answers if record["type"] in kinds and not response.abstained]
    assert sum(response.direct_answer is not None for response in asked) / len(asked) >= 0.5


def test_most_answerable_questions_are_answered(all_answers: list) -> None:
    answerable = [response for record, response in all_answers if record["answerable"]]
    answered = sum(1 for response in answerable if not response.abstained)
    assert answered / len(answerable) >= 0.85


def test_every_question_gets_passages(all_answers: list) -> None:
    for record, response in all_answers:
        assert response.question == record["question"]
        assert 1 <= len(response.passages) <= ASK_K, record["id"]


# --- abstention --------------------------------------------------------------------------------


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(corpus_engine: Engine, question: str) -> None:
    response = corpus_engine.ask(question)
    assert response.abstained
    assert response.answer == ABSTAIN_MESSAGE
    assert response.citations == []
    assert response.suggestions
    assert any(s.startswith("Nearest material: ") for s in response.suggestions)
    assert response.suggestions[-1].startswith("Try naming the committee, council or year")


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain_on_the_sample(sample_engine: Engine, question: str) -> None:
    assert sample_engine.ask(question).abstained


def test_workforce_question_is_answered_from_its_minutes(sample_engine: Engine, settings: Settings) -> None:
    response = sample_engine.ask(WORKFORCE_QUESTION)
    assert not response.abstained
    assert 2 <= len(response.suggestions) <= 3  # next questions about the cited items
    passages = {passage.id: passage for passage in response.passages}
    workforce = [c for c in response.citations if "workforce" in c.quote.lower()]
    assert workforce, response.answer
    assert any(passages[c.passage_id].source.file == "004_9c3bc0e0b6f5359f.txt" for c in workforce)
    assert not answer_problems(sample_engine, response, settings.answer.answer_max_words)


def test_answers_about_a_named_council_cite_only_its_minutes(corpus_engine: Engine) -> None:
    response = corpus_engine.ask("What did Wiltshire's cabinet hear about treasury management?")
    assert not response.abstained, response.answer
    passages = {passage.id: passage for passage in response.passages}
    for citation in response.citations:
        passage = passages[citation.passage_id]
        assert passage.source.council == "Wiltshire Council" or "Wiltshire" in passage.text, citation


def test_a_figure_the_minutes_do_not_give_is_not_answered(corpus_engine: Engine) -> None:
    # Cheltenham's minutes discuss consulting on 20mph limits, but state no sum for them.
    response = corpus_engine.ask("How much has Cheltenham set aside to bring in 20mph limits across the town?")
    assert response.abstained, response.answer
    assert response.passages and response.suggestions


def test_a_question_about_another_council_is_not_answered_from_a_neighbour(corpus_engine: Engine) -> None:
    topic = "signed off a suicide prevention action plan"
    # Solihull's minutes speak for Solihull (its own council first, with some support). They discuss
    # the strategy before its sign-off, so whether they answer sits at the threshold (0.680 against
    # 0.665): only the evidence is checked, and the neighbour's refusal.
    own = corpus_engine.evidence_features(f"Has Solihull's health and wellbeing board {topic}?", 10)
    assert own is not None and own.named_council_first and own.support > 0.3
    neighbour = corpus_engine.evidence_features(f"Has Slough's health and wellbeing board {topic}?", 10)
    assert neighbour is not None and not neighbour.named_council_first and neighbour.support < own.support
    refused = corpus_engine.ask(f"Has Slough's health and wellbeing board {topic}?")
    assert refused.abstained, refused.answer


def test_answering_is_deterministic(sample_engine: Engine) -> None:
    first = sample_engine.ask(WORKFORCE_QUESTION)
    assert sample_engine.ask(WORKFORCE_QUESTION) == first
