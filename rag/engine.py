"""The read path behind one object: open an index, search it, answer from it.

``Engine`` loads the embedding model once and the live index generation; ``reload()`` picks up
a generation written by a later ingest, swapping it in atomically for new requests while
requests already running finish on the old one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from minutes_qa.contract import ABSTAIN_MESSAGE, AskResponse, Filters, Passage, SearchResponse, Turn
from minutes_qa.index.backend import StoreReader, open_store
from minutes_qa.index.chunking import contextual_header
from minutes_qa.index.embedding import Embedder, shared_embedder
from minutes_qa.index.errors import IndexMismatch
from minutes_qa.index.records import Document
from minutes_qa.settings import Settings
from minutes_qa.text.labels import meeting_label

from .answer import SpanScorer, compose_answer
from .answer_kinds import expected_answer
from .evidence import EvidenceFeatures, QuestionSupport, evidence_features, evidence_probability, glossary_aliases
from .followup import resolve
from .glossary import Glossary
from .passages import PassageReader
from .places import concerns
from .query import QueryAnalysis, analyse_query
from .rerank import rerank
from .retrieval import RETRIEVERS, Retriever, ScoredPassage
from .suggestions import next_questions


@dataclass(frozen=True)
class Facets:
    """What the loaded minutes span, for filter menus."""

    committees: list[str]
    councils: list[str]
    earliest: str | None
    latest: str | None


class DocumentMentions:
    """Whether a document's text names a council, read from the store at most once per document
    and council: abstention asks it of the same few documents question after question."""

    def __init__(self, read_text: Callable[[str], str]) -> None:
        self._read_text = read_text
        # Bounded by documents x councils of one generation; a new generation starts afresh.
        self._named: dict[tuple[str, str], bool] = {}

    def names_any(self, doc_id: str, councils: Iterable[str]) -> bool:
        """Whether the text of ``doc_id`` names any of ``councils`` (see :func:`rag.places.concerns`)."""
        councils = list(councils)
        missing = [council for council in councils if (doc_id, council) not in self._named]
        if missing:
            text = self._read_text(doc_id)
            for council in missing:
                self._named[doc_id, council] = concerns(frozenset({council}), "", text)
        return any(self._named[doc_id, council] for council in councils)


@dataclass(frozen=True)
class _Generation:
    reader: StoreReader
    retriever: Retriever
    mentions: DocumentMentions = field(compare=False, repr=False)
    passages: PassageReader = field(compare=False, repr=False)

    @classmethod
    def open(cls, reader: StoreReader, embedder: Embedder, settings: Settings) -> _Generation:
        return cls(
            reader, Retriever(reader, embedder, settings.retrieval), DocumentMentions(reader.document_text),
            PassageReader(reader),
        )


# Abstention weighs the evidence of this many top results.


@dataclass(frozen=True)
class _Ranked:
    """Results in order: the retriever's view, the contract's, their best-sentence supports and
    strict supports (every result's when re-ranked, else the first three's), and the councils the
    question names."""

    scored: list[ScoredPassage]
    passages: list[Passage]
    supports: list[float]
    strict_supports: list[float]
    named_councils: frozenset[str]


class Engine:
    """Search and ask over the index at ``index_dir``."""

    retrievers = RETRIEVERS

    def __init__(self, index_dir: Path, settings: Settings) -> None:
        self.index_dir = index_dir
        self.settings = settings
        self.glossary = Glossary.load(settings.retrieval.glossary_file)
        self._lock = threading.Lock()
        self.store = open_store(index_dir, settings.index.store)
        reader = self.store.open_reader()
        self._check_model(reader)
        self.embedder = shared_embedder(settings.embedding, settings.retrieval.inference_threads or None)
        self._generation = _Generation.open(reader, self.embedder, settings)

    @classmethod
    def open(cls, index_dir: Path, settings: Settings) -> Engine:
        return cls(index_dir, settings)

    @property
    def reader(self) -> StoreReader:
        return self._generation.reader

    def reload(self) -> bool:
        """Switch to the index's live generation if an ingest replaced it; True if it did."""
        with self._lock:
            live = self.store.live()
            if live is None or live == self.reader.key:
                return False
            reader = self.store.open_reader()
            self._check_model(reader)
            self._generation = _Generation.open(reader, self.embedder, self.settings)
            return True

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None, retriever: str = "hybrid"
    ) -> SearchResponse:
        """The ``k`` passages that best match ``query``."""
        generation = self._generation
        analysis = analyse_query(query, self.glossary)
        ranked = self._ranked(generation, analysis, k or self.settings.retrieval.default_k, filters, retriever)
        return SearchResponse(query=query, passages=ranked.passages)

    def ask(
        self, question: str, k: int | None = None, filters: Filters | None = None, retriever: str = "hybrid",
        history: Sequence[Turn | Mapping[str, str]] = (),
    ) -> AskResponse:
        """A short cited answer to ``question``, or an abstention when the minutes do not cover it.

        ``history`` holds the conversation's earlier turns, oldest first: a follow-up is answered as
        the standalone question it stands for (``interpreted_as``; see :mod:`rag.followup`).
        Raises ``ValueError`` for more than ``max_history_turns`` turns.
        """
        generation = self._generation
        if len(history) > self.settings.retrieval.max_history_turns:
            raise ValueError(
                f"The history has {len(history)} turns; the limit is {self.settings.retrieval.max_history_turns}: "
                "send only the latest turns."
            )
        # Turns may come as plain mappings (JSON decoded by a client or the eval harness).
        turns = [Turn.model_validate(turn) for turn in history]
        interpreted_as = resolve(question, turns, generation.retriever.places, self.settings.retrieval.followup_turns).standalone
        analysis = analyse_query(interpreted_as, self.glossary)
        ranked = self._ranked(generation, analysis, k or self.settings.retrieval.default_k, filters, retriever)
        passages = ranked.passages
        if not passages or self._evidence(generation, analysis, ranked) < self.settings.answer.abstain_threshold:
            return AskResponse(
                question=question, interpreted_as=interpreted_as, answer=ABSTAIN_MESSAGE, abstained=True, citations=[],
                passages=passages,
                suggestions=_suggestions(passages, filters),
            )
        composed = compose_answer(
            analysis.text, analysis.expansions, passages, self._sentence_similarity(generation, analysis),
            self.settings.answer.answer_max_words,
            headers={passage.id: self._header(generation, passage) for passage in passages},
            idf=generation.retriever.idf, named_councils=ranked.named_councils, weights=self.settings.answer,
            naming_documents=frozenset(
                passage.source.doc_id for passage in passages
                if passage.source.council is None and ranked.named_councils
                and generation.mentions.names_any(passage.source.doc_id, ranked.named_councils)
            ),
        )
        return AskResponse(
            question=question, interpreted_as=interpreted_as, answer=composed.answer, abstained=False,
            direct_answer=composed.direct_answer,
            citations=composed.citations, passages=passages,
            suggestions=next_questions(passages, composed.citations, asked=[question]),
        )

    def _ranked(
        self, generation: _Generation, analysis: QueryAnalysis, k: int, filters: Filters | None, retriever: str
    ) -> _Ranked:
        """The ``k`` best passages; under hybrid retrieval the first ``rerank_depth`` are re-ranked
        by their best sentence (see :mod:`rag.rerank`)."""
        reranking = retriever == "hybrid" and self.settings.retrieval.rerank_weight > 0
        depth = max(k, self.settings.retrieval.rerank_depth) if reranking else k
        named_councils = generation.retriever.places.named_in(analysis.keyword_text)
        scored = generation.retriever.retrieve(analysis, depth, filters, retriever, named_councils)
        passages = generation.passages.passages(scored)
        # Support is needed for every result re-ranked, otherwise only for the three that evidence
        # reads; both kinds (re-ranking's, and evidence's strict one) come from one pass.
        aliases = glossary_aliases(analysis.text, self.glossary.expansions)
        question = QuestionSupport(analysis.text, generation.retriever.idf, named_councils, aliases)
        both = [
            question.supports(passage.text, self._header(generation, passage), self.settings.answer.wrong_kind_share)
            for passage in (passages if reranking else passages[: self.settings.answer.evidence_passages])
        ]
        supports = [support for support, _ in both]
        strict = [strict for _, strict in both]
        if reranking:
            order = rerank([passage.score for passage in passages], supports, self.settings.retrieval.rerank_weight)
            scored = [scored[position] for position, _ in order]
            supports = [supports[position] for position, _ in order]
            strict = [strict[position] for position, _ in order]
            passages = [
                passages[position].model_copy(update={"rank": rank, "score": round(score, 6)})
                for rank, (position, score) in enumerate(order, start=1)
            ]
        return _Ranked(scored[:k], passages[:k], supports[:k], strict[:k], named_councils)

    def evidence_features(
        self, question: str, k: int | None = None, filters: Filters | None = None, retriever: str = "hybrid"
    ) -> EvidenceFeatures | None:
        """The features ``ask`` weighs to abstain (None when nothing is retrieved): what the
        evaluation harness fits ``evidence_weights`` on."""
        generation = self._generation
        analysis = analyse_query(question, self.glossary)
        ranked = self._ranked(generation, analysis, k or self.settings.retrieval.default_k, filters, retriever)
        return self._evidence_features(generation, analysis, ranked) if ranked.passages else None

    def _evidence(self, generation: _Generation, analysis: QueryAnalysis, ranked: _Ranked) -> float:
        """The probability that the first results answer the question (see
        :func:`rag.evidence.evidence_probability`), compared with ``abstain_threshold``."""
        features = self._evidence_features(generation, analysis, ranked)
        # The classifier is fitted on questions about the minutes' topics; a question on no topic of
        # theirs ("What is the capital of France?") is refused before it is weighed.
        if features.cosine < self.settings.answer.abstain_min_cosine:
            return 0.0
        return evidence_probability(features, self.settings.answer.evidence_weights)

    def _evidence_features(self, generation: _Generation, analysis: QueryAnalysis, ranked: _Ranked) -> EvidenceFeatures:
        """Minutes whose council is unknown speak for a council the question names only if the
        document names it somewhere: a neighbour's minutes otherwise pass for an answer."""
        query_vector = self.embedder.encode_query(analysis.dense_text)
        top = ranked.passages[: self.settings.answer.evidence_passages]
        cosines = [
            float(np.max(np.asarray(generation.reader.vectors[list(item.rows)]) @ query_vector))
            for item in ranked.scored[: self.settings.answer.evidence_passages]
        ]
        strict = ranked.strict_supports[: self.settings.answer.evidence_passages]
        speaks = [
            concerns(ranked.named_councils, passage.source.council, passage.text)
            and self._may_speak_for(generation, passage, ranked.named_councils)
            for passage in top
        ]
        return evidence_features(top, strict, cosines, speaks, expected_answer(analysis.text) is not None)

    @staticmethod
    def _may_speak_for(generation: _Generation, passage: Passage, named_councils: frozenset[str]) -> bool:
        if not named_councils or passage.source.council is not None:
            return True
        return generation.mentions.names_any(passage.source.doc_id, named_councils)

    @staticmethod
    def _header(generation: _Generation, passage: Passage) -> str:
        return contextual_header(generation.reader.documents[passage.source.doc_id].metadata)

    def documents(self) -> list[Document]:
        """Every stored document's metadata (text omitted), by file name."""
        return sorted(self.reader.documents.values(), key=lambda doc: doc.file)

    def document(self, doc_id: str) -> Document:
        """One stored document with its text; KeyError if unknown."""
        return self.reader.document(doc_id)

    def document_text(self, file_name: str) -> str:
        """The stored text of the document ingested from ``file_name``; KeyError if none."""
        for doc in self.reader.documents.values():
            if doc.file == file_name:
                return self.reader.document_text(doc.doc_id)
        raise KeyError(file_name)

    def facets(self) -> Facets:
        docs = self.reader.documents.values()
        dates = sorted(doc.metadata.meeting_date for doc in docs if doc.metadata.meeting_date)
        return Facets(
            committees=sorted({doc.metadata.committee for doc in docs if doc.metadata.committee}),
            councils=sorted({doc.metadata.council for doc in docs if doc.metadata.council}),
            earliest=dates[0] if dates else None,
            latest=dates[-1] if dates else None,
        )

    def _check_model(self, reader: StoreReader) -> None:
        manifest = reader.manifest
        if (manifest.model, manifest.backend) != (self.settings.embedding.model, self.settings.embedding.embed_backend):
            raise IndexMismatch(
                f"The index at {self.store.location} was built with model '{manifest.model}' ({manifest.backend}) "
                f"but the settings ask for '{self.settings.embedding.model}' ({self.settings.embedding.embed_backend}). Set "
                f"MINUTES_MODEL={manifest.model} and MINUTES_EMBED_BACKEND={manifest.backend}, or rebuild the "
                f"index into a new directory."
            )

    def _sentence_similarity(self, generation: _Generation, analysis: QueryAnalysis) -> SpanScorer:
        """Scores answer units by their best sentence's cosine with the question, from the sentence
        vectors stored at ingest: the question is the only text embedded per request."""
        query_vector = self.embedder.encode_query(analysis.dense_text)
        sentences = generation.reader.sentences
        if sentences is None:  # a generation written before sentence vectors were stored

            def embedded(spans: Sequence[tuple[Passage, int, int]]) -> np.ndarray:
                vectors = self.embedder.encode([passage.text[start:end] for passage, start, end in spans], batch_size=64)
                return vectors @ query_vector if len(vectors) else np.zeros(0)

            return embedded

        def stored(spans: Sequence[tuple[Passage, int, int]]) -> np.ndarray:
            located = [(p.source.doc_id, p.source.start + start, p.source.start + end) for p, start, end in spans]
            return sentences.span_similarities(located, query_vector)

        return stored


def _suggestions(passages: list[Passage], filters: Filters | None) -> list[str]:
    """Where the nearest material is, and how to narrow or widen the question."""
    suggestions = []
    for passage in passages[:3]:
        source = passage.source
        label = meeting_label(
            committee=source.committee, title=source.title, meeting_date=source.meeting_date, council=source.council
        )
        topic = source.title
        text = " — ".join(part for part in (label, topic) if part and part != label)
        suggestion = f"Nearest material: {text}"
        if text and suggestion not in suggestions:
            suggestions.append(suggestion)
    if filters and any(value is not None for value in filters.model_dump().values()):
        suggestions.append("Try removing the filters: the answer may be in other meetings.")
    else:
        suggestions.append("Try naming the committee, council or year, or use the words the minutes would use.")
    return suggestions
