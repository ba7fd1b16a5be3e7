"""The Milvus collections of one index generation: names, schemas, indexes.

A generation ``N`` of the index named ``NAME`` is five collections::

    NAME_gN_passages    one row per chunk (id = its row): dense vector, BM25 keywords, span,
                        text, and the fields filters test (council, committee, file, meeting_day)
    NAME_gN_documents   documents' metadata (part 0) and their text in parts of TEXT_PART chars
    NAME_gN_sentences   every passage's answer sentences: document, span, vector
    NAME_gN_terms       document frequency of every keyword token (the answer composer's idf)
    NAME_gN_meta        the manifest

and the alias ``NAME_live`` names the live generation's ``meta`` collection: repointing it is the
atomic switch. Every collection has a vector field because Milvus requires one; those of the
last three are a constant two-dimensional placeholder, never searched.
"""

from __future__ import annotations

import math
import re

from pymilvus import DataType, Function, FunctionType, MilvusClient

from .vector_index import (
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    IVF_MIN_NPROBE,
    IVF_NPROBE_SHARE,
    ivf_list_count,
)

KINDS = ("passages", "documents", "sentences", "terms", "meta")
# Milvus VARCHAR holds at most 65,535 bytes; a character takes at most 4 in UTF-8.
MAX_VARCHAR_BYTES = 65_535
TEXT_PART = MAX_VARCHAR_BYTES // 4
ID_LENGTH = 1_024
# bm25s's defaults, which the embedded store's keyword index uses.
BM25_K1 = 1.5
BM25_B = 0.75
PLACEHOLDER = [1.0, 0.0]
# The embedded store's FAISS index kinds as Milvus index types (the manifest's ``index_type`` chooses),
# with the same parameters (index/vector_index.py); IVF-PQ's counterpart is IVF_SQ8 (int8 codes, 4x).
_DENSE_INDEX = {"flat": "FLAT", "hnsw": "HNSW", "ivf": "IVF_FLAT", "ivfpq": "IVF_SQ8"}


def collection(name: str, generation: int, kind: str) -> str:
    """The collection of ``kind`` of generation ``generation``."""
    return f"{name}_g{generation:06d}_{kind}"


def live_alias(name: str) -> str:
    """The alias naming the live generation's meta collection."""
    return f"{name}_live"


def generation_of(collection_name: str, name: str) -> int | None:
    """The generation number of one of index ``name``'s collections, or None for another collection."""
    found = re.fullmatch(rf"{re.escape(name)}_g(\d{{6}})_({'|'.join(KINDS)})", collection_name)
    return int(found.group(1)) if found else None


def create_generation(
    client: MilvusClient, name: str, generation: int, dimension: int, index_type: str, passages: int
) -> None:
    """Create the five empty collections of ``generation``, its dense index made for ``passages`` vectors."""
    _create(client, collection(name, generation, "passages"), _passages_schema(client, dimension),
            _passage_indexes(client, index_type, passages))
    _create(client, collection(name, generation, "documents"), _documents_schema(client), _placeholder_index(client))
    _create(client, collection(name, generation, "sentences"), _sentences_schema(client, dimension), _sentence_index(client))
    _create(client, collection(name, generation, "terms"), _terms_schema(client), _placeholder_index(client))
    _create(client, collection(name, generation, "meta"), _meta_schema(client), _placeholder_index(client))


def _create(client: MilvusClient, collection_name: str, schema, indexes) -> None:
    client.create_collection(collection_name, schema=schema, index_params=indexes)


def _passages_schema(client: MilvusClient, dimension: int):
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    # The project's own keyword tokens (stemmed, stop words out), space-joined: the standard
    # analyzer splits them back unchanged, so the engine's BM25 sees what bm25s sees.
    schema.add_field("keywords", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["keywords"],
                                 output_field_names=["sparse"]))
    for field in ("chunk_id", "doc_id", "duplicate_of"):
        schema.add_field(field, DataType.VARCHAR, max_length=ID_LENGTH)
    for field in ("text", "heading", "embed_text", "council", "committee", "file"):
        schema.add_field(field, DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES)
    for field in ("doc_position", "ordinal", "span_start", "span_end", "page", "canonical", "meeting_day"):
        schema.add_field(field, DataType.INT64)
    schema.add_field("has_date", DataType.BOOL)
    return schema


def dense_search_params(index_type: str, passages: int) -> dict[str, int]:
    """The search parameters of a dense index of ``index_type`` over ``passages`` vectors (as FAISS's)."""
    if index_type == "hnsw":
        return {"ef": HNSW_EF_SEARCH}
    if index_type in ("ivf", "ivfpq"):
        # FAISS's share of the lists, not capped at nlist: the engine caps it at the lists it has, and
        # milvus-lite builds its own number of lists (its default, 128; see _passage_indexes).
        return {"nprobe": max(IVF_MIN_NPROBE, math.ceil(ivf_list_count(passages) * IVF_NPROBE_SHARE))}
    return {}


def _passage_indexes(client: MilvusClient, index_type: str, passages: int):
    # pymilvus 3.0.2 sends these build parameters as separate entries, which a Milvus server reads;
    # milvus-lite 3.2.2 reads only a JSON "params" entry, so it builds with its defaults (IVF 128
    # lists, HNSW M 16) and BM25 with k1 1.5, b 0.75 (by luck bm25s's, as set here).
    params: dict[str, int] = {}
    if index_type == "hnsw":
        params = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
    elif index_type in ("ivf", "ivfpq"):
        params = {"nlist": ivf_list_count(passages)}
    indexes = client.prepare_index_params()
    indexes.add_index("dense", index_type=_DENSE_INDEX[index_type], metric_type="IP", params=params)
    indexes.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                      params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    return indexes


def _documents_schema(client: MilvusClient):
    schema = client.create_schema(auto_id=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=ID_LENGTH)
    schema.add_field("position", DataType.INT64)
    schema.add_field("part", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES)
    # JSON of the Document without its text, on part 0 only.
    schema.add_field("metadata", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
    return schema


def _sentences_schema(client: MilvusClient, dimension: int):
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=ID_LENGTH)
    schema.add_field("span_start", DataType.INT64)
    schema.add_field("span_end", DataType.INT64)
    # float16 values (as the embedded store keeps them) in a float32 field: milvus-lite has no
    # FLOAT16_VECTOR; a server does, and would halve this collection.
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    return schema


def _sentence_index(client: MilvusClient):
    indexes = client.prepare_index_params()
    indexes.add_index("vector", index_type="FLAT", metric_type="IP")
    return indexes


def _terms_schema(client: MilvusClient):
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("token", DataType.VARCHAR, max_length=ID_LENGTH)
    schema.add_field("df", DataType.INT64)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
    return schema


def _meta_schema(client: MilvusClient):
    schema = client.create_schema(auto_id=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
    schema.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
    return schema


def _placeholder_index(client: MilvusClient):
    indexes = client.prepare_index_params()
    indexes.add_index("placeholder", index_type="FLAT", metric_type="IP")
    return indexes
