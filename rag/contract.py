"""The JSON contract shared by ``minutes search/ask --json`` and the HTTP service.

These pydantic models are the only shapes that leave the read path; the server
returns them unchanged (adding ``view_url`` to each source).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

# A turn's standalone reading adds the earlier topic and scope to what was typed, so it may be
# longer than a question: twice the default question limit (Settings.max_question_chars).
MAX_TURN_CHARS = 2000


class Filters(BaseModel):
    """Restrictions on which passages may be retrieved. Unset fields do not restrict."""

    committee: str | None = Field(None, description="Committee name, matched case-insensitively as a substring.")
    council: str | None = Field(None, description="Council name, matched case-insensitively as a substring.")
    since: date | None = Field(None, description="Earliest meeting date (inclusive).")
    until: date | None = Field(None, description="Latest meeting date (inclusive).")
    file: str | None = Field(None, description="Exact file name of one ingested document.")


class Source(BaseModel):
    """Where a passage comes from: enough to open and check it."""

    doc_id: str
    file: str
    start: int = Field(description="Character offset of the passage in the stored document text.")
    end: int = Field(description="End offset (exclusive); text == document[start:end].")
    page: int | None = None
    council: str | None = None
    committee: str | None = None
    meeting_date: str | None = None
    title: str | None = None
    url: str | None = None
    reference: str | None = Field(
        None,
        description="Formal reference as staff write it: committee, meeting date, minute number, council "
        "(and page for PDFs), e.g. 'Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire "
        "Council'. Unknown parts are left out.",
    )
    view_url: str | None = Field(None, description="The service's highlighted view of this span (HTTP only).")


class Passage(BaseModel):
    """One retrieved passage, ranked."""

    id: str
    rank: int
    score: float
    text: str
    source: Source


class Citation(BaseModel):
    """Answer citation [n]: an exact quote from one retrieved passage."""

    n: int
    passage_id: str
    quote: str


class DirectAnswer(BaseModel):
    """The words that answer the question (a person, an amount, a date, a decision), quoted
    exactly from the minutes and cited, shown before the supporting sentences."""

    text: str
    citation: int = Field(description="The number n of the citation [n] this text is quoted from or dated by.")


class Turn(BaseModel):
    """An earlier turn of a conversation, as the client sends it back in ``history``."""

    question: str = Field(min_length=1, max_length=MAX_TURN_CHARS, description="The question as typed.")
    interpreted_as: str = Field(
        min_length=1, max_length=MAX_TURN_CHARS,
        description="The standalone question the service answered (the response's interpreted_as).",
    )

    @field_validator("question", "interpreted_as")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class SearchResponse(BaseModel):
    query: str
    passages: list[Passage]


class AskResponse(BaseModel):
    question: str
    interpreted_as: str = Field(
        "", description="The standalone question actually answered: the question itself, or a follow-up "
        "rewritten with the earlier turns' topic, council, committee and dates (show it as 'Answered as')."
    )
    answer: str
    abstained: bool
    direct_answer: DirectAnswer | None = Field(
        None, description="For who / when / how much / how many / which / yes-no questions: the answer's words first."
    )
    citations: list[Citation]
    passages: list[Passage]
    suggestions: list[str] = Field(
        default_factory=list,
        description="When abstaining: filters or topics to try. When answering: two or three next questions "
        "built from the cited items, ready to ask as they are.",
    )
    answer_id: str | None = Field(
        None, description="Identifies this answer for POST /feedback; set by the HTTP service (null from the CLI)."
    )

    @model_validator(mode="after")
    def _answered_as_asked(self) -> AskResponse:
        # A response built without a reading answered the question as asked.
        if not self.interpreted_as:
            self.interpreted_as = self.question
        return self
