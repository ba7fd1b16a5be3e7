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

from minutes_qa.index.keywords import keyword_tokens
from minutes_qa.text.dates import MONTH_NUMBERS, month_pattern


class AnswerKind(Enum):
    MONEY = "money"
    PERCENT = "percent"
    NUMBER = "number"
    PERSON = "person"
    DATE = "date"
    OUTCOME = "outcome"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Expectation:
    """The kind of answer a question wants, and the office it asks about ("chair"), if any."""

    kind: AnswerKind
    offices: frozenset[str] = frozenset()
    given_numbers: frozenset[str] = frozenset()
    """Figures the question itself states ("20mph", "2023-25"): they are not its answer."""
    accepts_percent: bool = False
    """An amount asked for as a change ("how big a rise?") may be given as a percentage."""
    yes_no: bool = False
    """A closed question ("Did the cabinet approve...?"): answered "Yes" or "No" only when a sentence says so."""
    count: bool = False
    """A count is asked for ("how many...?", "what quorum...?"): a percentage, a sum of money, a year or
    a reference number ("item 20", "(2)") is not one, nor a length of time unless one is asked for."""
    asks_duration: bool = False
    """The question asks how many months, years, weeks...: "18 months" may answer it."""
    settled: bool = False
    """The question asks what a figure came to in the end ("finally", "outturn"): a forecast is not it."""


_MONEY_WORDS = (
    r"cost|costs|price|fee|fees|charge|charges|budget\w*|spend\w*|spent|fund\w*|grant|grants|money|saving|savings|"
    r"cut|cuts|cutting|deficit|overspend|underspend|income|revenue|provision|pay\w*|paid|allocation|borrow\w*|invest\w*|save|saves|saved|"
    r"deposit\w*|loan|loans|reserves?|value|worth|aside|earmark\w*|allocat\w*|"
    # "How much did the table sale make / raise?": what an event brought in is money too.
    r"make|makes|made|raise|raises|raised|raising|earn\w*|generat\w*|collect\w*|precept|balance|rent|rents|levy|donat\w*|owe\w*"
)
_HOW_MUCH = re.compile(r"\bhow much\b", re.I)
_MONEY_QUESTION = re.compile(rf"\b({_MONEY_WORDS})\b", re.I)
_WHAT_MONEY = re.compile(
    r"^\s*what\b[^?]{0,40}?\b(cost|costs|price|fee|fees|charge|charges|budget|amount|sum|spend|saving|savings|"
    r"value(?! for money)|worth|precept|"
    r"hourly rate|weekly rate|daily rate|rate per)\b|^\s*what did\b[^?]{0,80}\bcome to\b",
    re.I,
)
# "How big a rise...?", "What uplift...?": a change is given as an amount or a percentage.
_CHANGE_QUESTION = re.compile(r"\b(rise|rises|increase|increases|uplift|uplifts|cut|cuts|reduction|reductions|fall|change)\b", re.I)
_WHAT_DID_COST = re.compile(r"\bwhat did\b[^?]{0,60}\bcost\b", re.I)
_PERCENT_QUESTION = re.compile(
    r"^\s*what\b(\s+\w+){0,5}?\s+(percentage|proportion|rate|share|uplift|return|increase|rise)\b", re.I
)
_HOW_BIG = re.compile(r"\bhow (big|large|high|low|far over|far under|much over|much under)\b|\bwhat (size|level|scale)\b", re.I)
_DATE_QUESTION = re.compile(r"^\s*(when|by when|until when)\b|\b(what|which) (date|day|month|year)\b|\bfrom what date\b", re.I)
# Questions about what was decided, or whether something was: their answer is a decision.
_OUTCOME_QUESTION = re.compile(
    r"\bhow did\b[^?]{0,80}\bvote\b|\b(what was|what were) the (outcome|result|decision)|\boutcome\b|"
    r"\bwhat did\b[^?]{0,80}\b(decide|agree|resolve|approve|conclude)\b|\b(was|were)\b[^?]{0,80}\b(approved|agreed|"
    r"refused|granted|rejected|adopted|supported|accepted|carried|passed)\b",
    re.I,
)
# "When the board reviewed its terms, what quorum...?": the question asked after a leading clause.
MAIN_CLAUSE = re.compile(r",\s*((who|whom|whose|what|which|how|when|where|why)\b)", re.I)
_POSSESSIVE = re.compile(r"\b\w+['’]s\b")
_HOW_MANY = re.compile(r"\bhow many\b", re.I)
# "Can you summarise...?" asks for something, not whether.
_REQUEST = re.compile(r"^\s*(can|could|would|will) you\b", re.I)
_DECISION_VERB = re.compile(
    r"\b(approv\w*|agree\w*|adopt\w*|sign\w* off|signed|clos\w*|re-?open\w*|press\w* ahead|go\w* ahead|allow\w*|grant\w*|"
    r"refus\w*|reject\w*|support\w*|accept\w*|decid\w*|vot\w*|endors\w*|ratif\w*|withdr\w*|defer\w*|confirm\w*|"
    r"award\w*|appoint\w*|scrap\w*|cancel\w*|keep|kept|continu\w*|stop\w*|succeed\w*|success\w*|fail\w*|win|won)\b",
    re.I,
)
_YES_NO_QUESTION = re.compile(r"^\s*(is|are|was|were|did|does|do|has|have|had|will|would|can|could|should)\b", re.I)
_NUMBER_QUESTION = re.compile(r"\b(how (many|far|long|often|high|low)|what (number|figure|total|quorum))\b", re.I)
# "What did the overspend finally come to?": the outturn, not a forecast of it.
_SETTLED_QUESTION = re.compile(r"\b(finally|outturn|in the end|ended up|end up)\b", re.I)
# What was expected or set aside, not what a figure came to: "the budget allows £1000 for legal fees".
_FORECAST = re.compile(
    r"\b(forecasts?|forecasting|projected|projections?|predicted|predictions?|estimated|anticipated|"
    r"budget(?:s|ed)?|allows?|allowed for)\b",
    re.I,
)
_SETTLED = re.compile(r"\b(outturn|final|finally|actual|ended|closed)\b", re.I)
_COUNT_QUESTION = re.compile(r"\b(how many|what (number|quorum))\b", re.I)
_TIME_UNITS = r"(?:days?|weeks?|months?|years?|hours?|minutes?|decades?)"
_DURATION_QUESTION = re.compile(rf"\bhow many(?:\s+\w+)?\s+{_TIME_UNITS}\b|\bhow long\b", re.I)
_DURATION_AFTER = re.compile(rf"^(?:\s*-\s*|\s+)(?:\w+\s+)?{_TIME_UNITS}\b", re.I)
_PERSON_QUESTION = re.compile(
    r"^\s*(who|whom|whose)\b|\b(which|what) (councillors?|officers?|members?|cabinet members?|directors?|"
    r"person|people|individuals?)\b",
    re.I,
)
# "Which firm advises...?": the answer names an organisation.
_ORGANISATION_QUESTION = re.compile(
    r"\b(which|what) (contractors?|firms?|compan(y|ies)|providers?|suppliers?|bidders?|organi[sz]ations?|consultan(ts?|cy)|"
    r"auditors?|advis[eo]rs?|operators?|partners?|charit(y|ies)|bod(y|ies))\b",
    re.I,
)
# Capitalised words that name no organisation of their own in minutes.
_NOT_ORGANISATIONS = frozenset(
    """RESOLVED Resolved Agreed Cabinet Council Councils Committee Board Members Member Chair Chairman Councillor
    Councillors Cllr Mr Mrs Ms Dr The This That These Those It He She They We Minutes Item Report Appendix
    January February March April May June July August September October November December Monday Tuesday
    Wednesday Thursday Friday Saturday Sunday""".split()
)
_ROLE_WORDS_OF_OFFICES = frozenset("Lead Head Manager Officer Director Holder Portfolio Member Members Chair".split())
_LEADING_NON_WORD = re.compile(r"\W*")
_POSSESSIVE_END = re.compile(r"['’]s$")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][A-Za-z&'’-]*(?:\s+(?:of|and|&|for)?\s*[A-Z][A-Za-z&'’-]*)*")
# Offices a "who" question can name; the answer must name the holder beside the office.
_OFFICES = frozenset(
    keyword_tokens(["chair chairs chaired chairman chairwoman chairperson leader mayor president clerk"])[0]
)
# "Cllr Edwards (Chairman)" holds the chair that "who chaired...?" asks about.
_OFFICE_FORMS = {form: "chair" for form in keyword_tokens(["chairman chairwoman chairperson chaired chairs"])[0]}


def office_form(token: str) -> str:
    """One stem per office: the chair's forms ("chairman", "chairperson") as "chair"."""
    return _OFFICE_FORMS.get(token, token)

_MONEY = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|k|million|billion|thousand)\b|\b(million|billion|pounds)\b", re.I)
_PERCENT = re.compile(r"\d\s?%|\bper\s?cent\b|\bpercent\b", re.I)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|"
    r"million|billion|dozen)\b",
    re.I,
)
_MONTHS = month_pattern(MONTH_NUMBERS)
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?(?:\s+\d{{4}})?\b|\b(?:{_MONTHS})\s+\d{{4}}\b|"
    r"\b(?:spring|summer|autumn|winter|end of|early|late|mid)[\s-]+\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|"
    r"\b(?:by|from|until|in|before|after) (?:\d{4}(?:/\d{2})?)\b|\bQ[1-4] \d{4}\b",
    re.I,
)
# What a sentence recording a decision says. Base forms that are also common nouns in minutes
# ("grant funding", "refuse collection", "a note") are left out.
_DECISION = re.compile(
    r"\bRESOLVED\b|\b(agreed|approved|decided|resolved|refused|rejected|granted|endorsed|adopted|deferred|carried|"
    r"lost|voted|unanimously|declined|accepted|supported|withdrawn|ratified|determined|permitted|agree|approve|endorse|"
    r"adopt|defer|recommended|noted|delegated|awarded|allowed|dismissed|upheld|successful|"
    r"unsuccessful|succeeded|failed|won)\b|"
    r"\b(be|were|was) (noted|approved|agreed|adopted|endorsed|refused|granted)\b",
    re.I,
)
# Decisions that take note of something or pass it on without settling it.
_UNSETTLING = frozenset({"noted", "recommended", "delegated"})


def settles(text: str) -> bool:
    """Whether ``text`` records a decision that settles something: "agreed", "refused", "won"...,
    not merely "noted", "recommended" or "delegated"."""
    return any(match.group(0).split()[-1].lower() not in _UNSETTLING for match in _DECISION.finditer(text))


_NEGATION = re.compile(r"\b(not|no|never|declined to|refused to|against)\b[^.;]*$", re.I)
_MONEY_SPAN = re.compile(
    # Digits may hold thousands commas, never end on one: "raised £273, well attended".
    r"[£$€]\s?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s?(?:m|bn|k|million|billion|thousand)\b)?(?:\s?pounds)?|"
    r"\b\d(?:[\d,]*\d)?(?:\.\d+)?\s?(?:million|billion|thousand)(?: pounds)?\b|\b\d(?:[\d,]*\d)?(?:\.\d+)? pounds\b",
    re.I,
)
_PERCENT_SPAN = re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|per\s?cent\b|percent\b)", re.I)
_NUMBER_SPAN = re.compile(
    r"\b\d[\d,]*(?:\.\d+)?\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|dozen)\b",
    re.I,
)
_TITLED_NAME_SPAN = re.compile(
    r"\b(?:Cllr|Councillor|Mr|Mrs|Ms|Miss|Mx|Dr|Professor|Prof|Sir|Dame|Lord|Lady|Baroness|Reverend|Rev|Mayor)\.?"
    r"(?:\s+(?:[A-Z]\.\s*)*[A-Z][a-zA-Z'’-]+){1,3}"
)
# "Fana Hussain, Assistant Director...", "Coral Miller presented...": names the given-name list may not hold.
_NAME_IN_ROLE = re.compile(
    r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)? ([A-Z][a-zA-Z'’-]+))(?:(?:,\s*|\s*\()(?:the\s+)?(?:Interim\s+|Acting\s+|Deputy\s+|Assistant\s+|"
    r"Senior\s+|Chief\s+)?(?:Director|Head|Manager|Officer|Lead|Chair|Chairman|Consultant|Commissioner|Executive|"
    r"Clerk|Leader|Mayor|Member|Councillor|Cabinet|Portfolio|Strategic|Service)|\s+(?:presented|introduced|reported|"
    r"explained|outlined|informed|advised|confirmed|stated|highlighted|proposed|seconded|moved|updated|gave|summarised))\b"
)
_ROLE_WORDS = frozenset(
    """Business Manager Head Chief Democratic Public Primary Adult Adults Children Family Families Safeguarding
    Education Deputy Interim Acting Assistant Senior Lead Principal Corporate Strategic General Programme Project
    Operations Development Commissioner Consultant Clinical Medical Nursing Mental Regional National Local County
    District City Borough Town Parish Community Group Committee Panel Forum The This That These Those""".split()
)
_INSTITUTION_AFTER = re.compile(
    r"\s+(Hospital|Trust|House|School|Academy|College|Centre|Center|Court|Hall|Ward|Unit|Foundation|Library|Park|Road|Street)\b"
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


@lru_cache(maxsize=1024)  # re-ranking, abstention and composing each read the same question
def expected_answer(question: str) -> Expectation | None:
    """What the question asks for, when it asks for something a sentence visibly holds or lacks.

    "When the board reviewed its terms, what quorum did it settle on?" asks what its last
    clause asks: a leading "when..." clause only sets the scene.
    """
    main = MAIN_CLAUSE.search(question)
    question = question[main.start(1) :] if main else question
    if _PERSON_QUESTION.search(question):
        # "Who seconded the Mayor's proposals?" names an office without asking who holds it.
        offices = frozenset(keyword_tokens([_POSSESSIVE.sub("", question)])[0]) & _OFFICES
        return Expectation(AnswerKind.PERSON, offices)
    given = frozenset(_DIGITS.findall(question))
    if _ORGANISATION_QUESTION.search(question):
        return Expectation(AnswerKind.ORGANISATION, given_numbers=given)
    change = bool(_CHANGE_QUESTION.search(question))
    settled = bool(_SETTLED_QUESTION.search(question))
    if _HOW_MUCH.search(question) or _WHAT_MONEY.search(question) or _WHAT_DID_COST.search(question):
        money = _MONEY_QUESTION.search(question) or not _HOW_MUCH.search(question)
        kind = AnswerKind.MONEY if money else AnswerKind.NUMBER
        return Expectation(kind, given_numbers=given, accepts_percent=change, settled=settled)
    money_size = (_HOW_BIG.search(question) or _NUMBER_QUESTION.search(question)) and _MONEY_QUESTION.search(question)
    if money_size and not _HOW_MANY.search(question):
        return Expectation(AnswerKind.MONEY, given_numbers=given, accepts_percent=change)
    if _HOW_BIG.search(question) and change:
        return Expectation(AnswerKind.MONEY, given_numbers=given, accepts_percent=True)
    if _PERCENT_QUESTION.search(question):
        return Expectation(AnswerKind.PERCENT, given_numbers=given, accepts_percent=True)
    if _NUMBER_QUESTION.search(question):
        return Expectation(
            AnswerKind.NUMBER, given_numbers=given, count=bool(_COUNT_QUESTION.search(question)),
            asks_duration=bool(_DURATION_QUESTION.search(question)),
        )
    if _DATE_QUESTION.search(question):
        return Expectation(AnswerKind.DATE, given_numbers=given)
    # "Did the cabinet approve...?" asks for a decision; "Does the contract include...?" for a fact.
    yes_no = bool(_YES_NO_QUESTION.search(question)) and not _REQUEST.search(question)
    if (yes_no and _DECISION_VERB.search(question)) or _OUTCOME_QUESTION.search(question):
        return Expectation(AnswerKind.OUTCOME, given_numbers=given, yes_no=yes_no)
    return None


# Re-ranking, abstention and composing read the same passages' sentences question after question,
# and the questions ask for a handful of kinds: the verdicts are remembered (a bounded number).
_VERDICTS_REMEMBERED = 65_536


@lru_cache(maxsize=_VERDICTS_REMEMBERED)
def holds_answer(expectation: Expectation | None, sentence: str) -> bool:
    """Whether ``sentence`` holds the kind of thing expected (always True when nothing is)."""
    if expectation is None:
        return True
    kind = expectation.kind
    if expectation.settled and _FORECAST.search(sentence) and not _SETTLED.search(sentence):
        return False
    if kind is AnswerKind.MONEY:
        return bool(_MONEY.search(sentence)) or (expectation.accepts_percent and bool(_PERCENT.search(sentence)))
    if kind is AnswerKind.PERCENT:
        return bool(_PERCENT.search(sentence)) or (expectation.accepts_percent and bool(_MONEY.search(sentence)))
    if kind is AnswerKind.NUMBER:
        if expectation.count:
            return bool(count_spans(sentence, expectation))
        return bool(_NUMBER_WORD.search(sentence)) or bool(set(_DIGITS.findall(sentence)) - expectation.given_numbers)
    if kind is AnswerKind.DATE:
        return any(_new_figure(match.group(0), expectation) for match in _DATE.finditer(sentence))
    if kind is AnswerKind.OUTCOME:
        return bool(_DECISION.search(sentence))
    if kind is AnswerKind.ORGANISATION:
        return bool(organisation_spans(sentence))
    if expectation.offices and not {office_form(office) for office in expectation.offices} & {
        office_form(token) for token in keyword_tokens([sentence])[0]
    }:
        return False
    return names_person(sentence) or bool(_AGENT.search(sentence))


def answer_spans(expectation: Expectation, sentence: str) -> list[tuple[int, int]]:
    """Where in ``sentence`` the things of the expected kind are: amounts, percentages, numbers,
    dates or people's names, as ``(start, end)`` spans in order. Decisions have no span."""
    kind = expectation.kind
    if kind is AnswerKind.MONEY:
        matches = _MONEY_SPAN.finditer(sentence)
        if expectation.accepts_percent and not _MONEY_SPAN.search(sentence):
            matches = _PERCENT_SPAN.finditer(sentence)
    elif kind is AnswerKind.PERCENT:
        matches = _PERCENT_SPAN.finditer(sentence)
        if expectation.accepts_percent and not _PERCENT_SPAN.search(sentence):
            matches = _MONEY_SPAN.finditer(sentence)
    elif kind is AnswerKind.NUMBER:
        if expectation.count:
            return count_spans(sentence, expectation)
        matches = (m for m in _NUMBER_SPAN.finditer(sentence) if _new_figure(m.group(0), expectation))
    elif kind is AnswerKind.DATE:
        matches = (m for m in _DATE.finditer(sentence) if _new_figure(m.group(0), expectation))
    elif kind is AnswerKind.PERSON:
        return person_spans(sentence)
    elif kind is AnswerKind.ORGANISATION:
        return organisation_spans(sentence)
    else:
        return []
    return [(m.start(), m.end()) for m in matches]


# Numbers that count nothing: a number heading a list item ("(2)", "2."), a reference ("item 20",
# "paragraph 4.1.1", "Appendix 1"), a year ("2018", "2018/19") or part of a date, an amount, a percentage.
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:item|items|page|pages|paragraph|paragraphs|para|paras|section|sections|appendix|annex|schedule|period|"
    r"clause|point|no|number|minute|minutes|table|figure|chapter|phase|tier|band|level|version|option|ward|route|"
    r"stage|step|priority|recommendation|resolution|year|years|age|aged)\.?(?:\s*\d+[a-z]?\s*(?:,|and|or|to|&))?|[(\[/:-])\s*$",
    re.I,
)
_YEAR_FORM = re.compile(r"^(?:19|20)\d{2}$")
# "(2) the board...", "2. Agreed...", "55 Establishing a Shadow Board" (an agenda item's number).
_LIST_START = re.compile(r"^\W*\(?\d+(?:[.)]\s|\s+[A-Z])")
# "PDF 88 KB", "at 10 am": sizes and clock times.
_UNIT_AFTER = re.compile(r"^\s?(?:KB|MB|GB|am|pm|a\.m\.|p\.m\.)\b", re.I)


def count_spans(sentence: str, expectation: Expectation) -> list[tuple[int, int]]:
    """Spans of the numbers in ``sentence`` that may be a count asked for: figures and number words that
    are not in the question, nor a year, a date, an amount, a percentage or a reference number."""
    excluded = [m.span() for pattern in (_MONEY_SPAN, _PERCENT_SPAN, _DATE) for m in pattern.finditer(sentence)]
    listed = _LIST_START.match(sentence)
    spans = []
    for match in _NUMBER_SPAN.finditer(sentence):
        start, end = match.span()
        text = match.group(0)
        if any(s <= start < e for s, e in excluded) or (listed and start < listed.end()):
            continue
        if text[0].isdigit():
            if not _new_figure(text, expectation) or _YEAR_FORM.match(text) or _REFERENCE_BEFORE.search(sentence[max(0, start - 24) : start]):
                continue
            if sentence[end : end + 1] == "/" or _UNIT_AFTER.match(sentence[end : end + 6]):  # "18/19", "88 KB"
                continue
        if not expectation.asks_duration and _DURATION_AFTER.match(sentence[end : end + 24]):  # "the next 18 months"
            continue
        spans.append((start, end))
    return spans


def organisation_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of capitalised names that may name an organisation ("Link Asset Management", "Medway
    Council"): runs of capitalised words, less the words minutes capitalise for other reasons
    ("RESOLVED", "Cabinet", month names) and a lone first word of the sentence."""
    spans = []
    leading = _LEADING_NON_WORD.match(sentence)
    first = leading.end() if leading else 0
    people = person_spans(sentence)
    for match in _CAPITALISED_RUN.finditer(sentence):
        words = match.group(0).split()
        if any(start < match.end() and match.start() < end for start, end in people):
            continue
        if sum(word.isupper() and len(word) > 1 for word in words) > 1 or set(words) & _ROLE_WORDS_OF_OFFICES:
            continue  # a heading in capitals, or an office ("Lead Member for Public Realm")
        named = [word for word in words if word[0].isupper() and _POSSESSIVE_END.sub("", word) not in _NOT_ORGANISATIONS]
        if not named or (match.start() == first and len(words) == 1):
            continue
        spans.append(match.span())
    return spans


def person_spans(text: str) -> list[tuple[int, int]]:
    """Spans of people's names: a title and name ("Councillor Sirajul Islam"), a known given name and
    surname, or a name followed by a job title or a reporting verb ("Coral Miller presented")."""
    spans = [(m.start(), m.end()) for m in _TITLED_NAME_SPAN.finditer(text)]
    spans += [(m.start(1), m.end(1)) for m in _NAME_IN_ROLE.finditer(text) if _could_be_name(m.group(1))]
    spans = _disjoint(spans)
    names = given_names()
    for match in _CAPITALISED_PAIR.finditer(text):
        first, last = match.group(1), match.group(2)
        # "George Eliot Hospital" names a place after a person.
        institution = _INSTITUTION_AFTER.match(text, match.end())
        if first in names and last not in _NOT_SURNAMES and not institution and not any(
            s <= match.start() < e for s, e in spans
        ):
            spans.append((match.start(), match.end()))
    return sorted(spans)


def _could_be_name(words: str) -> bool:
    """"Coral Miller" could be a name; "Business Manager" and "Safeguarding Board" cannot."""
    return not any(word in _NOT_SURNAMES or word in _ROLE_WORDS for word in words.split())


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def negated_near(sentence: str, position: int) -> bool:
    """Whether a negation ("not", "no", "declined to") stands within a few words before ``position``."""
    before = sentence[max(0, position - 40) : position]
    return bool(_NEGATION.search(before))


def _new_figure(text: str, expectation: Expectation) -> bool:
    return not set(_DIGITS.findall(text)) <= expectation.given_numbers or not _DIGITS.search(text)


def names_person(text: str) -> bool:
    """A person is named: a title before a name ("Councillor Smith", "Dr Patel"), a known given name and
    surname, or a name followed by a job title or a reporting verb."""
    if _TITLED_NAME.search(text) or any(_could_be_name(m.group(1)) for m in _NAME_IN_ROLE.finditer(text)):
        return True
    names = given_names()
    return any(
        first in names and last not in _NOT_SURNAMES for first, last in _CAPITALISED_PAIR.findall(text)
    )


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Common given names, from the file shipped with the package."""
    text = resources.files(__package__).joinpath("data/given_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
