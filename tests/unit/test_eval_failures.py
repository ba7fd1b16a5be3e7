"""Which questions failed which figure, read from a report built from hand-made answers."""

from __future__ import annotations

from minutes_qa.eval.failures import FIGURES, expected_answer, failures_by_figure, question_failures
from minutes_qa.eval.metrics import score_config
from minutes_qa.eval.questions import Question
from minutes_qa.eval.report import build_report
from support import GOLD_A, HIT_A, MISS, make_question, make_result

META = {"question_files": ["set.jsonl"], "corpus": ["corpus"], "api": None, "configs": ["hybrid"], "k": 10}


def with_answer(question: Question, answer: str) -> Question:
    return Question(**{**question.__dict__, "answer": answer})


def report_of(results: list) -> dict:
    questions = [result.question for result in results]
    spans = {question.id: (GOLD_A,) if question.answerable else () for question in questions}
    scores = {"hybrid": score_config(results, k=10)}
    return build_report(META, questions, spans, {"hybrid": results}, scores)


def test_each_kind_of_failure_is_named_with_its_reason() -> None:
    perfect = make_question("perfect", 1, type_="who", keywords=("Ann",))
    late = make_question("late", 1, type_="summary", keywords=("budget", "2021", "cuts"))
    second = make_question("second", 1, type_="how-much", keywords=("£2m",))
    silent = make_question("silent", 1, type_="decision")
    results = [
        make_result(perfect, [HIT_A], cited=[1], answer="Ann. [1]", direct="Ann"),
        make_result(late, [MISS] * 6 + [HIT_A], cited=[1, 7], answer="The BUDGET was set. [1] [2]"),
        make_result(second, [MISS, HIT_A], cited=[2], answer="About £3m. [1]", direct="£3m"),
        make_result(silent, [MISS], abstained=True, answer="The minutes do not say."),
        make_result(make_question("none", 0), [MISS], cited=[1], answer="Made up. [1]"),
        make_result(make_question("fine-none", 0), [MISS], abstained=True),
    ]
    report = report_of(results)
    found = {entry["id"]: question_failures(entry, "hybrid") for entry in report["questions"]}
    assert found["perfect"] == [] and found["fine-none"] == []
    assert found["late"] == [
        ("not in top 5", "first relevant passage at rank 7"),
        ("citation not supporting gold", "[1] of 2 cite no gold passage"),
        ("keywords missing", "missing: 2021, cuts"),
    ]
    assert found["second"] == [
        ("wrong top-1", "top passage not relevant; first relevant at rank 2"),
        ("keywords missing", "missing: £2m"),
        ("direct answer without a keyword", "direct answer “£3m” holds none of: £2m"),
    ]
    assert found["silent"] == [
        ("not in top 5", "no retrieved passage overlaps gold"),
        ("abstained though answerable", "abstained"),
    ]
    assert found["none"] == [("answered though unanswerable", "answered instead of abstaining")]


def test_short_answer_question_without_direct_answer_fails_that_figure() -> None:
    who = make_question("who", 1, type_="who", keywords=("Ann",))
    report = report_of([make_result(who, [HIT_A], cited=[1], answer="Ann chaired. [1]")])
    assert question_failures(report["questions"][0], "hybrid") == [
        ("no direct answer", "no direct answer for a who question")
    ]


def test_failures_grouped_by_figure_carry_answer_and_expected() -> None:
    late = with_answer(make_question("late", 1, keywords=("budget",)), "The budget was cut.")
    results = [
        make_result(late, [MISS], cited=[1], answer="Something else. [1]"),
        make_result(make_question("gold-only", 1, keywords=("budget",)), [HIT_A], cited=[1], answer="No. [1]"),
    ]
    grouped = failures_by_figure(report_of(results), "hybrid")
    assert list(grouped) == list(FIGURES)
    assert [failure.question_id for failure in grouped["keywords missing"]] == ["late", "gold-only"]
    assert [failure.question_id for failure in grouped["not in top 5"]] == ["late"]
    first = grouped["keywords missing"][0]
    assert (first.type, first.question, first.answer, first.expected) == (
        "factoid", "question late", "Something else. [1]", "The budget was cut."
    )
    # Without a reference answer the gold quote stands in for it.
    assert grouped["keywords missing"][1].expected == "(gold) quote 0"
    # Both are factoid questions answered without a direct answer.
    assert [failure.question_id for failure in grouped["no direct answer"]] == ["late", "gold-only"]


def test_expected_answer_of_an_unanswerable_question_is_to_abstain() -> None:
    entry = {"answerable": False, "reference_answer": "", "gold": []}
    assert expected_answer(entry).startswith("(abstain")
