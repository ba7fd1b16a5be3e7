"""Follow-up questions made standalone from the conversation before them (pure logic).

Members talk to the assistant as to a person: after "What did the board say about workforce
risk?" they ask "What about Worcestershire?", "Who raised it?", "Why?". Retrieval only sees the
words it is given, so such a question is rewritten into one that stands on its own, and the
rewrite is shown ("Answered as: ...") so that the member can check the reading. There is no
language model: the reading is a handful of rules a person can predict.

A question leans on the conversation when it is an ellipsis ("And in 2019?", "What about
Kent?"), refers back ("it", "they", "that plan", "by then", "that year"), has no topic of its own
("Why?", "Who proposed the motion?"), or stays within the conversation's council without naming
one ("And what had the STP done about engagement?", "When does the repair grant close?"). It
then inherits the earlier turn's topic and its council, committee and dates, with what it names
itself replacing what it replaces (a new council replaces the old one, a new year the old date).
Any other question starts a new topic and is left exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from minutes_qa.contract import Turn
from minutes_qa.text.dates import MONTH_NUMBERS, month_pattern

from .places import Places

DEFAULT_TURNS = 3


class Reading(Enum):
    """Why a question was, or was not, rewritten."""

    NO_HISTORY = "nothing earlier to lean on"
    NEW_TOPIC = "new topic"
    ELLIPSIS = "ellipsis"
    REFERENCE = "refers back"
    NO_TOPIC = "no topic of its own"
    SAME_SCOPE = "same council as before"


@dataclass(frozen=True)
class Resolution:
    """How a question was read; ``standalone`` is the question that gets answered."""

    question: str
    standalone: str
    reading: Reading

    @property
    def rewritten(self) -> bool:
        return self.standalone != self.question


# --- vocabulary ------------------------------------------------------------------------------------

_QUESTION_WORDS = frozenset("what which who whom whose when where why how what's who's where's when's how's".split())
_AUX = frozenset(
    "did does do was were is are has have had will would could can should may might shall "
    "didn't doesn't don't wasn't weren't isn't aren't hasn't haven't won't".split()
)
_STOP = frozenset(
    "a an the of to in on at for from by with about into over under as and or but so if than then that this "
    "these those there here any some all each every other more most much many long far often quickly "
    "be been being get got go going went come came make made take took put give gave say said tell told "
    "know think want need ask asked do done also again else now still yet just really exactly actually "
    "first last next same such own up out off back not no yes ok okay please right".split()
)
_PRONOUNS = frozenset("it its it's they them their theirs they're they've he him his she her hers these those".split())
# Words that ask about an earlier topic without naming one: "Who proposed the motion?", "What's the target?".
_GENERIC = frozenset(
    """
    propose proposed proposing second seconded move moved decide decided decision decisions agree agreed
    vote voted votes approve approved reject rejected refuse refused happen happened happening mean means
    cost costs start starts started begin begins end ends finish explain explained object objected support
    supported oppose opposed chair chaired lead led attend attended present presented raise raised discuss
    discussed resolve resolved recommend recommended report reported respond responded react reacted feel
    felt spend spent pay paid happy unhappy concerned worried reason reasons
    motion plan plans proposal proposals item items amendment amendments recommendation recommendations
    amount amounts figure figures total date dates deadline timescale time target targets applicant outcome
    result results money meeting meetings council councils committee board cabinet panel forum member members
    councillor councillors officer officers contribution contributions one ones share difference point issue
    issues matter answer question response view views position update progress status thing things detail
    details part parts effect impact idea case latest
    """.split()
)
# Words after which "that" starts a clause rather than pointing back: "agreed that the fees rise".
_CLAUSE_VERBS = frozenset(
    "say said says agree agreed agrees note noted notes confirm confirmed report reported state stated felt feel "
    "suggest suggested ask asked recommend recommended resolve resolved decide decided explain explained hear heard "
    "think thought believe believed know knew mean meant show showed ensure ensured so such given true clear "
    "accept accepted argue argued claim claimed request requested propose proposed".split()
)
# Words that start the clause after a "that" that introduces one: "...that the fees rise".
_CLAUSE_STARTS = frozenset("the a an it they he she we there members councillors officers this these those".split())
_PREPOSITIONS = frozenset("to in on at for from by with about into over of against before after".split())

# Without "Sept", as the question reader (rag/query.py): a date the follow-up carries over is one it reads.
_MONTHS = month_pattern(name for name in MONTH_NUMBERS if name != "sept")
_YEAR = r"(?:19[5-9]\d|20\d\d)"
# "2019", "2019/20", "2024-25", "2019/2020", "February 2025", "June 2024-25".
_DATE = re.compile(rf"(?<![\w/-])(?:(?:{_MONTHS})\s+)?{_YEAR}(?:\s*[/-]\s*(?:{_YEAR}|\d\d))?(?![\w/-])", re.I)
_RELATIVE_YEAR = re.compile(r"\b(?:(last|previous|next|following)\s+(?:financial\s+)?year|the\s+year\s+(before|after))\b", re.I)
_THAT_YEAR = re.compile(r"\b(?:(in|for|during)\s+)?(?:that|this|the\s+same)\s+(?:financial\s+)?year\b", re.I)
_DATE_PREPOSITION = re.compile(r"\b(in|for|during|since|from|by|until|of|to|before|after)\s+$", re.I)

_OPENER = re.compile(
    r"^\s*(?:(?:and|but|so|ok(?:ay)?|then|also)\s*,?\s+)?(?:(?:what|how)\s+about|what\s+of|same\s+(?:for|in|with))\b"
    r"|^\s*(?:and|also|likewise|similarly)\b",
    re.I,
)
_CONTINUATION = re.compile(
    r"^\s*(?:and|so|but|also|then)\s*,?\s+(?=(?:what|which|who|whom|whose|when|where|why|how|did|does|do|was|were|"
    r"is|are|has|have|had|will|would|could|can)\b)",
    re.I,
)
_BY_THEN = re.compile(r"\b(?:by|since|until|from|before|after)\s+then\b", re.I)
_COMMITTEE_HEAD = re.compile(r"\b(?:cabinet|board|committee|sub-committee|panel|forum|executive)s?\b", re.I)
_COMMITTEE_LINKS = frozenset("and & of for".split())
# Where a question names its topic, most telling first.
_TOPIC_PREPOSITIONS = ("regarding", "about", "concerning", "on", "into", "from", "with", "over", "for", "to", "against")
_WH_NOUN_PHRASE = re.compile(
    r"^\s*(?P<wh>what|which|whose|how\s+many|how\s+much)\s+(?P<np>(?:[^\s?]+\s+){0,7}?[^\s?]+)\s+"
    r"(?:did|does|do|was|were|is|are|has|have|had|will|would|could|can|should|might|may)\b",
    re.I,
)
_COPULA = re.compile(r"^\s*(?:what|who|which|how\s+\w+)\s+(?:is|was|are|were)\s+(?P<np>[^?]+)", re.I)
# "Who moved the Conservative amendment ...", "Was there a push to go further?": the thing named.
_SUBJECT_QUESTION = re.compile(r"^\s*(?:who\s+(?!is\b|was\b|are\b|were\b|did\b|does\b|do\b|has\b|had\b|have\b)\w+|(?:is|was|are|were)\s+there)\s+(?P<np>[^?]+)", re.I)
_OWN_NOUN_PHRASE = re.compile(r"\b(?:its|their)\s+(?P<np>[^?,;]+)", re.I)
_DETERMINER = re.compile(r"^(?:the|a|an|its|their|this|that|these|those)\s+", re.I)
_DANGLING = re.compile(r"(?:\s+(?:in|for|at|of|on|to|by|from|with|during|and|the|a|an))+\s*$", re.I)
_CLAUSE_OPENING = re.compile(r"^(?:who|what|whether|how|why|when|where|which|if|that|to)\b", re.I)
_CAPITALISED_RUN = re.compile(r"[A-Z][\w&'’.-]*(?:\s+(?:(?:and|&|upon|on|in|of|the)\s+)?[A-Z][\w&'’.-]*)*")
_COUNCIL_SUFFIX = re.compile(r"\s+(?:(?:County|Borough|City|District|Metropolitan|Parish|Town|Community)\s+)?Council\b")
_COUNCIL_NAME = re.compile(
    r"\b([A-Z][\w&'’-]*)(?:\s+[A-Z][\w&'’-]*)*\s+(?:County|Borough|City|District|Metropolitan|Parish|Town|Community)"
    r"\s+Council\b"
)
# A place or body the question names itself, without the index knowing it: "the City of London's".
_OWN_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z][\w&-]*(?:\s+(?:of|and|&)?\s*[A-Z][\w&-]*)*['’]s\b")
_SENTINEL = "\x00"
# Short questions without a council of their own stay within the conversation's: "Which libraries are closing?".
_SHORT_QUESTION_WORDS = 8


# --- what a question names besides its topic -----------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Scope:
    """The councils, committee and dates a question names, where it names them."""

    councils: tuple[_Span, ...]
    committee: _Span | None
    dates: tuple[_Span, ...]

    def spans(self) -> list[_Span]:
        return [*self.councils, *([self.committee] if self.committee else []), *self.dates]


_NO_SCOPE = _Scope((), None, ())


def _scope(text: str, places: Places | None) -> _Scope:
    councils = _council_spans(text, places)
    dates = [
        _Span(match.start(), match.end(), match.group(0))
        for match in _DATE.finditer(text)
        if not _part_of_a_name(text, match.start()) and not any(c.start <= match.start() < c.end for c in councils)
    ]
    return _Scope(tuple(councils), _committee_span(text, councils), tuple(dates))


def _part_of_a_name(text: str, start: int) -> bool:
    """A year right after a capitalised word names something ("the Health and Care Act 2022"), not a date."""
    before = re.search(r"([A-Za-z]+)\s+$", text[:start])
    return bool(before and before.group(1)[0].isupper() and not re.fullmatch(_MONTHS, before.group(1), re.I)
                and before.start() > 0)


def _council_spans(text: str, places: Places | None) -> list[_Span]:
    """The index's councils named in ``text``, and any "<Name> Parish Council"-like name, with the
    "County Council" after a place name included."""
    found = [
        _Span(match.start(), match.end(), match.group(0))
        for match in _COUNCIL_NAME.finditer(text)
        if match.group(1).lower() not in _QUESTION_WORDS | _AUX | {"the"}
    ]
    if places:
        for council in places.named_in(text):
            for match in places.patterns[council].finditer(text):
                end = match.end() + (suffix.end() if (suffix := _COUNCIL_SUFFIX.match(text[match.end() :])) else 0)
                found.append(_Span(match.start(), end, text[match.start() : end]))
    # Where one council's name holds another's, only the longer counts (as in Places.named_in).
    kept = [s for s in found if not any(o.start <= s.start and s.end <= o.end and o != s for o in found)]
    return sorted(set(kept), key=lambda span: span.start)


def _committee_span(text: str, councils: Sequence[_Span]) -> _Span | None:
    """ "Cabinet", "the board", "health and wellbeing board": a committee noun and the words before it
    that name it, up to a possessive, a council or a function word."""
    for head in _COMMITTEE_HEAD.finditer(text):
        if any(c.start <= head.start() < c.end for c in councils):
            continue
        start = head.start()
        for word in reversed(list(re.finditer(r"[\w&'’-]+", text[: head.start()]))):
            lowered = word.group(0).lower()
            if lowered == "the":
                start = word.start()
                break
            if lowered.endswith(("'s", "’s")) or any(c.start <= word.start() < c.end for c in councils):
                break
            if lowered in _COMMITTEE_LINKS or lowered not in _STOP | _QUESTION_WORDS | _AUX | _PRONOUNS:
                start = word.start()
                continue
            break
        phrase = re.sub(r"^(?:(?:and|&|of|for)\s+)+", "", text[start : head.end()], flags=re.I)
        return _Span(head.end() - len(phrase), head.end(), phrase)
    return None


def _possessive_end(text: str, end: int) -> int:
    match = re.match(r"['’]s?\b", text[end:])
    return end + match.end() if match else end


# --- reading a question -----------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9£%&]+(?:['-][a-z0-9]+)*", text.lower().replace("’", "'"))


def _topic_words(text: str, scope: _Scope = _NO_SCOPE) -> list[str]:
    """The words that say what a question is about, once its frame, scope and references are gone."""
    return [
        word
        for word in _tokens(_masked(text, scope.spans()))
        if word not in _STOP | _QUESTION_WORDS | _AUX | _PRONOUNS | _GENERIC
        and word.removesuffix("'s") not in _GENERIC and not word.isdigit()
    ]


def _masked(text: str, spans: Sequence[_Span]) -> str:
    """``text`` with each span (and a possessive after it) replaced by sentinels, offsets unchanged."""
    chars = list(text)
    for span in spans:
        end = _possessive_end(text, span.end)
        chars[span.start : end] = [_SENTINEL] * (end - span.start)
    return "".join(chars)


def _references(text: str) -> list[re.Match[str]]:
    """The words that point back: pronouns, "that"/"this" used as one, "by then"."""
    found = []
    words = list(re.finditer(r"[A-Za-z']+", text.replace("’", "'")))
    named_before = False
    for position, match in enumerate(words):
        word = match.group(0).lower()
        if position > 0 and match.group(0)[0].isupper() and word not in ("i",):
            named_before = True  # "when its PCC was first elected" after "West Mercia" points within the question
        if word in _PRONOUNS and not (word in ("its", "their") and named_before):
            found.append(match)
        elif word in ("that", "this"):
            following = words[position + 1].group(0) if position + 1 < len(words) else ""
            gap = text[match.end() : words[position + 1].start()] if following else ""
            # "that plan", "that decision", "about that", "that?": pointing back whatever the verb before.
            ends_phrase = not following or bool(re.search(r"[?.,;!]", gap)) or following.lower() in _PREPOSITIONS | _GENERIC
            introduces_clause = position > 0 and words[position - 1].group(0).lower() in _CLAUSE_VERBS
            if ends_phrase or (not introduces_clause and following.lower() not in _CLAUSE_STARTS
                               and not following[0].isupper()):
                found.append(match)
    found += list(_BY_THEN.finditer(text))
    return sorted(found, key=lambda match: match.start())


def _starts_as_question(text: str) -> bool:
    first = _tokens(text)[:1]
    return bool(first) and (first[0] in _QUESTION_WORDS or first[0] in _AUX)


def _reading(question: str, antecedent: str, places: Places | None) -> tuple[Reading, str]:
    """Whether and how ``question`` leans on ``antecedent``, and the text to rewrite (openers dropped)."""
    text = question.strip()
    continuation = _CONTINUATION.match(text)
    if continuation:
        text = text[continuation.end() :]
        text = text[:1].upper() + text[1:]
    elif opener := _OPENER.match(text):
        return Reading.ELLIPSIS, text[opener.end() :].strip(" ,?")
    own = _scope(text, places)
    names_place = bool(own.councils) or bool(_OWN_NAME.search(text))
    names_when = own.dates or _RELATIVE_YEAR.search(text)
    if not _starts_as_question(text) and (own.councils or names_when) and not _topic_words(text, own):
        return Reading.ELLIPSIS, text.strip(" ,?")  # "Kent?", "In 2019?"
    if _references(text) or _THAT_YEAR.search(text):
        return Reading.REFERENCE, text
    if not _topic_words(text, own):
        return Reading.NO_TOPIC, text
    old = _scope(antecedent, places)
    within = continuation or re.search(r"\bthe\s+\w", text) or len(_tokens(text)) <= _SHORT_QUESTION_WORDS
    if not names_place and within and (old.councils or old.committee):
        return Reading.SAME_SCOPE, text
    return Reading.NEW_TOPIC, question


# --- the earlier turns' topic ------------------------------------------------------------------------


def _topic_phrase(text: str, places: Places | None, plural: bool | None = None) -> _Span | None:
    """Where a question names its topic: "the Carbon Action Plan" in "What did the cabinet decide about
    the Carbon Action Plan?", "council tax rise" in "What council tax rise did ... agree?".

    With ``plural`` set, a phrase of that number is preferred (what "it" or "them" stands for).
    """
    scope = _scope(text, places)
    masked = _masked(text, [*scope.councils, *scope.dates])
    wh = _WH_NOUN_PHRASE.match(masked)
    counted = wh is not None and wh.group("wh").lower().startswith("how")
    candidates: list[tuple[int, int]] = []
    if match := re.search(r",?\s*regarding\s+(?P<np>[^?]+)", masked):
        candidates.append(match.span("np"))
    if wh and not counted and wh.group("np").split()[0].lower() not in _AUX | _PRONOUNS:
        candidates.append(wh.span("np"))
    if match := _COPULA.match(masked):
        candidates.append(match.span("np"))
    if match := _SUBJECT_QUESTION.match(masked):
        candidates.append(match.span("np"))
    if match := _OWN_NOUN_PHRASE.search(masked):
        candidates.append(match.span("np"))
    for preposition in _TOPIC_PREPOSITIONS:
        candidates += [m.span("np") for m in re.finditer(rf"\b{preposition}\s+(?P<np>[^?]+)", masked, re.I)]
    if wh and counted:
        # "How many objections had Durham received to the 21 homes?": the homes, rather than the objections.
        candidates.append(wh.span("np"))
    phrases = [
        span for start, end in candidates
        if (span := _noun_phrase(text, masked, start, end)) and not _CLAUSE_OPENING.match(span.text)
        and _topic_words(span.text)
    ]
    if plural:
        counted_phrase = _noun_phrase(text, masked, *wh.span("np")) if wh and counted else None
        phrases = [counted_phrase, *phrases] if counted_phrase else phrases
    if plural is not None:
        phrases = sorted(phrases, key=lambda span: _is_plural(span.text) != plural)
    return phrases[0] if phrases else None


def _noun_phrase(text: str, masked: str, start: int, end: int) -> _Span | None:
    """The noun phrase at ``masked[start:end]``, up to a comma or a joined question, without the
    councils and dates inside it (they are the scope, said once at the end)."""
    piece = masked[start:end]
    if cut := re.search(r"[,;?]|\s+(?:and|but)\s+(?:what|who|how|when|at|why)\b", piece):
        piece = piece[: cut.start()]
    words = re.sub(rf"{_SENTINEL}+", " ", piece)
    words = re.sub(r"\b(the|a|an)\s+(?:and|&|of)\s+", r"\1 ", " ".join(words.split()), flags=re.I)
    words = _DANGLING.sub("", words).strip(" -")
    if not words:
        return None
    # Whole when nothing was taken out of it, so that it can be replaced in place.
    whole = piece.strip() == words
    offset = start + (len(piece) - len(piece.lstrip()))
    return _Span(offset, offset + len(words), words) if whole else _Span(-1, -1, words)


def _is_plural(phrase: str) -> bool:
    head = phrase.split()[-1].lower()
    return head.endswith("s") and not head.endswith(("ss", "us", "is"))


def _with_determiner(phrase: str) -> str:
    phrase = re.sub(r"^(?:its|their)\s+", "the ", phrase, flags=re.I)
    return phrase if _DETERMINER.match(phrase) else f"the {phrase}"


# --- writing the standalone question -------------------------------------------------------------------


def _scope_phrases(text: str, scope: _Scope, council: bool, committee: bool, dates: bool) -> list[str]:
    """The earlier question's council, committee and dates as phrases to add ("at Kent's cabinet", "in 2019")."""
    phrases = []
    councils = list(scope.councils) if council else []
    named_committee = scope.committee if committee else None
    if councils and named_committee and re.fullmatch(r"['’]s\s+", text[councils[-1].end : named_committee.start]):
        phrases.append(f"at {text[councils[0].start : named_committee.end]}")
        councils, named_committee = [], None
    if named_committee:
        phrases.append(f"at {named_committee.text}")
    if councils:
        names = " and ".join(dict.fromkeys(span.text for span in councils))
        phrases.append(f"{'at' if names.lower().endswith('council') else 'in'} {names}")
    if scope.dates and dates:
        date = scope.dates[0]
        before = _DATE_PREPOSITION.search(text[: date.start])
        # "for": a year inside a phrase ("the 2019 road closures") is not the meeting's; "in 2019"
        # would be read as the meeting date.
        phrases.append(f"{before.group(1).lower() if before else 'for'} {date.text}")
    return phrases


def _joined(body: str, addition: str) -> str:
    """``body`` and ``addition`` as one question; a comma where two prepositions would meet ("called in, in Kent")."""
    if not addition:
        return _finish(body)
    last = body.split()[-1].lower() if body.split() else ""
    separator = ", " if last in _PREPOSITIONS or last == "up" else " "
    return _finish(f"{body}{separator}{addition}")


def _finish(text: str) -> str:
    text = re.sub(r"\s+([?,])", r"\1", " ".join(text.split())).rstrip(" ,.?!")
    return text[:1].upper() + text[1:] + "?"


def _body(text: str) -> str:
    return text.strip().rstrip(" ?.!")


def _shift_year(date_text: str, years: int) -> str:
    """ "2019/20" one year back is "2018/19"; a month is dropped, as "last year" names a year."""

    def shifted(match: re.Match[str]) -> str:
        value = match.group(0)
        return str(int(value) + years) if len(value) == 4 else f"{(int(value) + years) % 100:02d}"

    years_only = re.sub(rf"^(?:{_MONTHS})\s+", "", date_text, flags=re.I)
    return re.sub(r"\d{4}|(?<=[/-])\d\d\b", shifted, years_only)


def _replaced(text: str, replacements: Sequence[tuple[_Span, str]]) -> str:
    for span, new in sorted(replacements, key=lambda item: item[0].start, reverse=True):
        text = text[: span.start] + new + text[span.end :]
    return text


def _named_place(fragment: str, scope: _Scope) -> str | None:
    """The council an ellipsis names, or else a capitalised place in it ("What about Medway's?")."""
    if scope.councils:
        return scope.councils[0].text
    masked = _masked(fragment, scope.dates)
    for match in _CAPITALISED_RUN.finditer(masked):
        before = masked[: match.start()].lower().split()
        if (before and before[-1] == "the") or re.fullmatch(_MONTHS, match.group(0), re.I):
            continue
        return re.sub(r"['’]s?$", "", match.group(0))
    return None


def _ellipsis(fragment: str, antecedent: str, places: Places | None) -> str:
    """ "in 2019", "Kent", "the adult social care precept" read into the earlier question in place of
    what they replace."""
    own = _scope(fragment, places)
    place = _named_place(fragment, own)
    old = _scope(antecedent, places)
    replacements: list[tuple[_Span, str]] = []
    added: list[str] = []
    if place:
        if old.councils:
            replacements += [(span, place) for span in old.councils[:1]]
            replacements += [(span, "") for span in old.councils[1:]]
        else:
            added.append(f"in {place}")
    relative = _RELATIVE_YEAR.search(fragment)
    new_date = own.dates[0].text if own.dates else None
    if new_date is None and relative and old.dates:
        backwards = (relative.group(1) or relative.group(2) or "").lower() in ("last", "previous", "before")
        new_date = _shift_year(old.dates[0].text, -1 if backwards else 1)
    if new_date:
        if old.dates:
            replacements.append((old.dates[0], new_date))
        else:
            before = _DATE_PREPOSITION.search(fragment[: own.dates[0].start]) if own.dates else None
            added.append(f"{before.group(1).lower() if before else 'in'} {new_date}")
    elif relative:
        added.append(relative.group(0))
    if own.committee:
        if old.committee:
            replacements.append((old.committee, own.committee.text))
        else:
            added.append(f"at {own.committee.text}")
    rest = _masked(fragment, own.spans())
    if place:
        rest = re.sub(rf"{re.escape(place)}(?:['’]s?)?", _SENTINEL, rest)
    rest = re.sub(rf"{_SENTINEL}+(?:['’]s?)?", " ", _RELATIVE_YEAR.sub("", rest))
    rest = _DANGLING.sub("", " ".join(rest.split())).strip(" ,")
    rest = re.sub(r"^(?:(?:in|for|at|of|on|during|by|and|the)\s*)+$", "", rest, flags=re.I)
    if rest and _topic_words(rest):
        return _new_topic_in(antecedent, rest, replacements, added, places)
    return _joined(_body(_replaced(antecedent, replacements)), " ".join(added))


def _new_topic_in(
    antecedent: str, topic: str, replacements: list[tuple[_Span, str]], added: list[str], places: Places | None
) -> str:
    """The earlier question about another topic: "What adult social care precept did ... agree?" for
    "And the adult social care precept?", or the topic joined on when it qualifies ("..., and by the
    November report?")."""
    old_topic = _topic_phrase(antecedent, places)
    qualifies = re.match(r"^(?:in|for|at|of|on|during|by|under|after|before|since|from|with|without|over)\b", topic, re.I)
    replaceable = old_topic is not None and old_topic.start >= 0 and not any(
        span.start < old_topic.end and old_topic.start < span.end for span, _ in replacements
    )
    if qualifies or old_topic is None or not replaceable:
        body = _body(_replaced(antecedent, replacements))
        return _finish(f"{body} {' '.join(added)}, and {topic}")
    wh = _WH_NOUN_PHRASE.match(antecedent)
    in_question_word = wh is not None and wh.span("np") == (old_topic.start, old_topic.end)
    new = _DETERMINER.sub("", topic) if in_question_word else topic
    return _joined(_body(_replaced(antecedent, [*replacements, (old_topic, new)])), " ".join(added))


def _referring(text: str, topic_source: str | None, scope_source: str, places: Places | None, reading: Reading) -> str:
    """A question with its own frame ("Who proposed it?", "Why?", "When does the grant close?") given the
    earlier topic and scope: a reference is replaced by what it stands for, the rest is added."""
    own = _scope(text, places)
    old = _scope(scope_source, places)
    body = _body(text)
    if old.dates and (that_year := _THAT_YEAR.search(body)):
        date = old.dates[0]
        preposition = that_year.group(1) or (found.group(1) if (found := _DATE_PREPOSITION.search(scope_source[: date.start])) else "for")
        body = body[: that_year.start()] + f"{preposition} {date.text}" + body[that_year.end() :]
    replacements: list[tuple[_Span, str]] = []
    used_council = used_committee = False
    # "that year" was the only thing pointing back: the question is whole once it is dated.
    placed_topic = bool(old.dates and _THAT_YEAR.search(_body(text))) and not _references(body)
    for reference in _references(body) if reading is Reading.REFERENCE else []:
        word = reference.group(0).lower()
        span = _Span(reference.start(), reference.end(), reference.group(0))
        if word in ("it", "that", "this", "them", "these", "those") and topic_source and not placed_topic:
            plural = word in ("them", "these", "those")
            topic = _topic_phrase(topic_source, places, plural=plural)
            if topic is None:
                continue
            phrase = _with_determiner(topic.text)
            following = re.match(r"\s+([a-z][\w-]*)", body[reference.end() :])
            before = re.findall(r"[A-Za-z']+", body[: reference.start()])
            after_next = re.match(r"\s+[a-z][\w-]*\s+([a-z]+)", body[reference.end() :])
            # "How does that compare": a pronoun; "could that decision be called in": a noun phrase.
            subject = bool(before) and before[-1].lower() in _AUX and not (
                after_next and after_next.group(1) in _AUX | {"be", "been"}
            )
            if word != "it" and not subject and following and following.group(1) not in _AUX | _STOP | _PREPOSITIONS:
                # "that decision": the decision on the earlier topic, unless that is what it names.
                noun = following.group(1)
                span = _Span(reference.start(), reference.end() + following.end(), "")
                same = phrase.split()[-1].lower().rstrip("s") == noun.lower().rstrip("s")
                phrase = phrase if same else f"the {noun} on {phrase}"
            replacements.append((span, phrase))
            placed_topic = True
        elif word in ("they", "their") and (old.councils or old.committee):
            # "they" decided: the committee (of its council); "their" plan: the council's.
            who = _owner(scope_source, old) if word == "they" else (old.councils[0].text if old.councils else None)
            if who:
                replacements.append((span, who if word == "they" else _possessive(who)))
                used_council = used_council or bool(old.councils and old.councils[0].text in who)
                used_committee = used_committee or bool(old.committee and old.committee.text in who)
    body = _replaced(body, replacements)
    phrases = _scope_phrases(
        scope_source, old,
        council=not (used_council or own.councils or _OWN_NAME.search(text) or any(s.text in body for s in old.councils)),
        committee=not (used_committee or own.committee),
        dates=not (own.dates or any(date.text in body for date in old.dates)),
    )
    if not placed_topic and reading is not Reading.SAME_SCOPE and topic_source:
        topic = _topic_phrase(topic_source, places)
        if topic is not None:
            phrases.insert(0, f"regarding {_with_determiner(topic.text)}")
    return _joined(body, " ".join(phrases))


def _owner(text: str, scope: _Scope) -> str | None:
    """Who "they" are: the committee with its council ("Southampton's Cabinet"), or the council."""
    if scope.councils and scope.committee:
        council = scope.councils[0]
        if re.fullmatch(r"['’]s\s+", text[council.end : scope.committee.start]):
            return text[council.start : scope.committee.end]
    if scope.councils:
        return scope.councils[0].text
    return scope.committee.text if scope.committee else None


def _possessive(name: str) -> str:
    if name.endswith(("'s", "’s")):
        return name
    return f"{name}'" if name.endswith("s") else f"{name}'s"


# --- the entry point ------------------------------------------------------------------------------------


def resolve(
    question: str, history: Sequence[Turn], places: Places | None = None, turns: int = DEFAULT_TURNS
) -> Resolution:
    """Read ``question`` after the conversation's earlier ``history`` (oldest first).

    Only the last ``turns`` turns count. A question that starts a new topic, or has nothing to
    lean on, comes back exactly as typed. ``places`` recognises the index's councils (see
    :class:`rag.places.Places`); without it only capitalised places in an ellipsis are read.
    """
    window = list(history)[-turns:] if turns > 0 else []
    readings = [turn.interpreted_as for turn in window if _topic_words(turn.interpreted_as) or _scope(turn.interpreted_as, places).councils]
    if not readings:
        return Resolution(question, question, Reading.NO_HISTORY)
    latest = readings[-1]
    reading, text = _reading(question, latest, places)
    if reading is Reading.NEW_TOPIC:
        return Resolution(question, question, reading)
    if reading is Reading.ELLIPSIS:
        return Resolution(question, _ellipsis(text, _ellipsis_source(text, window, latest), places), reading)
    return Resolution(question, _referring(text, _topic_source(window, places), latest, places, reading), reading)


def _topic_source(window: Sequence[Turn], places: Places | None) -> str | None:
    """The latest earlier reading that names its own topic: a turn that pointed back ("Why was she
    leading it?") stands for the same topic as the one before it."""
    for turn in reversed(window):
        if not _references(turn.question) and _topic_phrase(turn.interpreted_as, places):
            return turn.interpreted_as
    for turn in reversed(window):
        if _topic_phrase(turn.interpreted_as, places):
            return turn.interpreted_as
    return None


def _ellipsis_source(fragment: str, window: Sequence[Turn], latest: str) -> str:
    """The earlier reading an ellipsis continues: the latest, unless an earlier one asked about the
    thing it names ("And Hertingfordbury's precept?" continues "What precept did Milburn apply for?")."""
    named = set(_topic_words(fragment))
    if named and not named & set(_topic_words(latest)):
        for turn in reversed(window):
            if named & set(_topic_words(turn.interpreted_as)):
                return turn.interpreted_as
    return latest
