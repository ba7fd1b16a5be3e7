"""What kind of thing a question asks for, and whether a sentence holds one (pure functions).

Minutes often discuss exactly the topic of a question without giving its answer: "the
average cost of a placement was detailed in the report", "the Independent Chair presented".
Such sentences match the question's words and meaning closely, so similarity alone cannot
tell them from an answer. When the question asks for an amount of money, a percentage, a
number or a person, a sentence that holds none cannot be the answer, whatever its topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources

from index.keywords import keyword_tokens


class AnswerKind(Enum):
    MONEY = "money"
    PERCENT = "percent"
    NUMBER = "number"
    PERSON = "person"


@dataclass(frozen=True)
class Expectation:
    """The kind of answer a question wants, and the office it asks about ("chair"), if any."""

    kind: AnswerKind
    offices: frozenset[str] = frozenset()
    given_numbers: frozenset[str] = frozenset()
    """Figures the question itself states ("20mph", "2023-25"): they are not its answer."""


_MONEY_WORDS = (
    r"cost|costs|price|fee|fees|charge|charges|budget\w*|spend\w*|spent|fund\w*|grant|grants|money|saving|savings|"
    r"cut|cuts|cutting|deficit|overspend|underspend|income|revenue|provision|pay|paid|allocation|borrow\w*|invest\w*|"
    r"deposit\w*|loan|loans|reserves?|value|worth|aside|earmark\w*|allocat\w*"
)
_HOW_MUCH = re.compile(r"\bhow much\b", re.I)
_MONEY_QUESTION = re.compile(rf"\b({_MONEY_WORDS})\b", re.I)
_WHAT_MONEY = re.compile(r"^\s*what\b[^?]{0,40}?\b(cost|costs|price|fee|fees|budget|amount|sum|spend|saving|savings)\b", re.I)
_WHAT_DID_COST = re.compile(r"\bwhat did\b[^?]{0,60}\bcost\b", re.I)
_PERCENT_QUESTION = re.compile(r"^\s*what\b(\s+\w+){0,3}?\s+(percentage|proportion|rate|share)\b", re.I)
_NUMBER_QUESTION = re.compile(r"\b(how (many|far|long|often|high|low)|what (number|figure|total))\b", re.I)
_PERSON_QUESTION = re.compile(
    r"^\s*(who|whom|whose)\b|\b(which|what) (councillors?|officers?|members?|cabinet members?|directors?|"
    r"person|people|individuals?)\b",
    re.I,
)
# Offices a "who" question can name; the answer must name the holder beside the office.
_OFFICES = frozenset(
    keyword_tokens(["chair chairs chaired chairman chairwoman chairperson leader mayor president clerk"])[0]
)

_MONEY = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|k|million|billion|thousand)\b|\b(million|billion|pounds)\b", re.I)
_PERCENT = re.compile(r"\d\s?%|\bper\s?cent\b|\bpercent\b", re.I)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|"
    r"million|billion|dozen)\b",
    re.I,
)
_TITLED_NAME = re.compile(
    r"\b(Cllr|Councillor|Councillors|Mr|Mrs|Ms|Miss|Mx|Dr|Professor|Prof|Sir|Dame|Lord|Lady|Baroness|Baron|Reverend|Rev)"
    r"\.?\s+[A-Z]"
)
_CAPITALISED_PAIR = re.compile(r"\b([A-Z][a-z]+)(?:-[A-Za-z]+)?\s+(?:[A-Z]\.\s+)?([A-Z][a-zA-Z'’-]+)")
# "chaired by the two Board Chairs": the holder of an office is whatever follows.
_AGENT = re.compile(r"\b(chaired|led|presented|introduced|seconded|proposed|moved|appointed|nominated)\s+by\b", re.I)
# Surnames are never these: "Sarah Health Board" is not a person.
_NOT_SURNAMES = frozenset(
    """Board Boards Council Councils Committee Committees Chair Chairman Vice Director Directors Health Care Social
    Services Service Strategy Plan Partnership Trust Fund Group Team Executive Cabinet Scrutiny Report Officer
    Officers Member Members Mayor Leader Policy Assembly Authority Commissioning Clinical NHS Wellbeing Housing
    Finance Planning Road Street Lane Avenue Close Park House Hall Centre Court Way School Academy College Hospital""".split()
)


def expected_answer(question: str) -> Expectation | None:
    """What the question asks for, when it asks for something a sentence visibly holds or lacks."""
    if _PERSON_QUESTION.search(question):
        offices = frozenset(keyword_tokens([question])[0]) & _OFFICES
        return Expectation(AnswerKind.PERSON, offices)
    given = frozenset(_DIGITS.findall(question))
    if _HOW_MUCH.search(question) or _WHAT_MONEY.search(question) or _WHAT_DID_COST.search(question):
        money = _MONEY_QUESTION.search(question) or not _HOW_MUCH.search(question)
        return Expectation(AnswerKind.MONEY if money else AnswerKind.NUMBER, given_numbers=given)
    if _PERCENT_QUESTION.search(question):
        return Expectation(AnswerKind.PERCENT, given_numbers=given)
    if _NUMBER_QUESTION.search(question):
        return Expectation(AnswerKind.NUMBER, given_numbers=given)
    return None


def holds_answer(expectation: Expectation | None, sentence: str) -> bool:
    """Whether ``sentence`` holds the kind of thing expected (always True when nothing is)."""
    if expectation is None:
        return True
    kind = expectation.kind
    if kind is AnswerKind.MONEY:
        return bool(_MONEY.search(sentence))
    if kind is AnswerKind.PERCENT:
        return bool(_PERCENT.search(sentence))
    if kind is AnswerKind.NUMBER:
        return bool(_NUMBER_WORD.search(sentence)) or bool(set(_DIGITS.findall(sentence)) - expectation.given_numbers)
    if expectation.offices and not expectation.offices & set(keyword_tokens([sentence])[0]):
        return False
    return names_person(sentence) or bool(_AGENT.search(sentence))


def names_person(text: str) -> bool:
    """A person is named: a title before a name ("Councillor Smith", "Dr Patel") or a known given name and surname."""
    if _TITLED_NAME.search(text):
        return True
    names = given_names()
    return any(
        first in names and last not in _NOT_SURNAMES for first, last in _CAPITALISED_PAIR.findall(text)
    )


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Common given names, from the file shipped with the package."""
    text = resources.files("rag").joinpath("data/given_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
