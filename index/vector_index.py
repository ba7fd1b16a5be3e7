"""The FAISS side of the store: which index kind to build, building it, persisting it.

Four kinds, all inner product over unit vectors (so scores are cosine similarities):

- ``flat``: exact search, the vectors and nothing else.
- ``hnsw``: graph search (M=32) over the full vectors.
- ``ivf``: inverted lists of full vectors, ~4·sqrt(N) lists, trained on the vectors.
- ``ivfpq``: inverted lists of product-quantised codes (4 dimensions per byte), whose best
  ``k x 8`` are re-scored exactly (an ``IndexRefineFlat``; the reader re-scores them from
  ``vectors.npy`` by row, see :func:`dense_search`). Codes
  alone topped out at recall@10 0.74-0.91 whatever nprobe; the exact re-scoring brings it to
  0.96-0.99, while a query reads only its lists' small codes and ``8k`` full vectors, so served
  memory-mapped its working set stays small (96 MB of codes at 1M passages).

Search parameters (efSearch, nprobe) are set at build time and again at load time, so an index
written by an older version is searched with today's defaults. They were chosen with
``benchmarks/bench_scale.py`` to keep recall@10 against exact search at or above 0.95.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import overload

import faiss
import numpy as np

from minutes_qa.settings import IndexSettings

INDEX_TYPES = ("flat", "hnsw", "ivf", "ivfpq")

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
# Question-like queries sit far from every passage (best cosine ~0.5), which HNSW handles badly:
# efSearch 256 was needed for recall@10 0.95 at 10k-100k passages, and at 1M even 256 gave 0.40.
# Hence 'auto' never picks HNSW.
HNSW_EF_SEARCH = 256
# nlist = 4·sqrt(N). Coarse k-means is trained on this many vectors per list, FAISS's own
# minimum: fewer gives poor lists (and FAISS warns), more costs minutes at 1M and buys no recall.
# So nlist is also capped at N / this.
IVF_LISTS_PER_SQRT_N = 4
IVF_TRAIN_PER_LIST = 39
# nprobe as a share of nlist, with a floor. Measured recall@10: 64 of 1265 lists 0.964 at 100k,
# 125 of 4000 0.998 at 1M, 64 of 256 only 0.94 at 10k; the floor of 96 keeps every size above 0.95.
IVF_NPROBE_SHARE = 1 / 32
IVF_MIN_NPROBE = 96
# 8 dimensions per byte (48-byte codes) needed 4x more exact re-scoring for the same recall.
PQ_DIMS_PER_CODE = 4
PQ_MAX_BITS = 8
PQ_REFINE_FACTOR = 8
# PQ k-means (one per sub-quantiser, 96 of them): FAISS's 25 iterations took minutes at 1M
# passages; 10 lose nothing once candidates are re-scored exactly.
PQ_TRAIN_ITERATIONS = 10
# The auto policy's second step: from here on the full vectors' working set (1.5 GB at 1M) would
# crowd a 4 GiB server, and IVF-PQ's (codes plus a few hundred rows per query) does not.
_TRAIN_SEED = 0


def choose_index_type(passage_count: int, settings: IndexSettings) -> str:
    """The FAISS index kind for ``passage_count`` vectors: the configured one, or by size for 'auto'.

    'auto' is exact search below ``settings.ann_min_passages``, IVF from there up to
    ``settings.ivfpq_min_passages``, IVF-PQ beyond (measured: benchmarks/bench_scale.py). An explicit
    IVF kind with fewer vectors than one list needs to train gives 'flat'.
    """
    if settings.index_type != "auto":
        # IVF lists are trained on the vectors: with too few there is nothing to train on.
        trainable = passage_count >= IVF_TRAIN_PER_LIST or settings.index_type not in ("ivf", "ivfpq")
        return settings.index_type if trainable else "flat"
    if passage_count < settings.ann_min_passages:
        return "flat"
    return "ivf" if passage_count < settings.ivfpq_min_passages else "ivfpq"


def build_vector_index(vectors: np.ndarray, index_type: str, coarse_iterations: int | None = None) -> faiss.Index:
    """An inner-product index of ``index_type`` over unit ``vectors``; IVF kinds are trained on them,
    their lists' k-means running ``coarse_iterations`` times if given (FAISS's default otherwise)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    index: faiss.Index
    if index_type == "flat":
        index = faiss.IndexFlatIP(dimension)
    elif index_type == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index = hnsw
    elif index_type in ("ivf", "ivfpq"):
        index = _trained_ivf(vectors, index_type, coarse_iterations)
    else:
        raise ValueError(f"Unknown index type '{index_type}': use one of {', '.join(INDEX_TYPES)}.")
    if count:
        index.add(vectors)
    set_search_defaults(index)
    return index


def ivf_list_count(count: int) -> int:
    """nlist for ``count`` vectors: ~4·sqrt(N), limited so each list has enough training vectors."""
    return max(1, min(round(IVF_LISTS_PER_SQRT_N * math.sqrt(count)), count // IVF_TRAIN_PER_LIST))


def ivf_nprobe(nlist: int) -> int:
    """Lists visited per query: a fixed share of nlist, at least :data:`IVF_MIN_NPROBE`, at most all."""
    return min(nlist, max(IVF_MIN_NPROBE, math.ceil(nlist * IVF_NPROBE_SHARE)))


def set_search_defaults(index: faiss.Index) -> None:
    """Give ``index`` the efSearch or nprobe that keeps recall@10 >= 0.95 in the benchmarks."""
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return
    if isinstance(index, faiss.IndexRefine):
        index.k_factor = PQ_REFINE_FACTOR
    if isinstance(index, (faiss.IndexIVF, faiss.IndexRefine)):
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = ivf_nprobe(ivf.nlist)


@overload
def dense_search(
    index: faiss.Index, query: np.ndarray, k: int, rescore: Callable[[np.ndarray], np.ndarray], allowed: None = None
) -> np.ndarray: ...


@overload
def dense_search(
    index: faiss.Index, query: np.ndarray, k: int, rescore: Callable[[np.ndarray], np.ndarray], allowed: np.ndarray
) -> np.ndarray | None: ...


def dense_search(
    index: faiss.Index, query: np.ndarray, k: int, rescore: Callable[[np.ndarray], np.ndarray],
    allowed: np.ndarray | None = None,
) -> np.ndarray | None:
    """Rows of the ``k`` vectors nearest ``query``, best first; with ``allowed`` (a boolean mask), only
    among those rows, or None for kinds that do not filter inside their search (flat, HNSW).

    IVF-PQ's codes are approximate: the ``k x k_factor`` best by code are re-scored exactly by
    ``rescore`` (rows -> inner products with ``query``), which reads the vectors by row. FAISS's own
    re-check reads its memory-mapped copy of them instead: at a million passages, read cold, 80 ms
    a question against 32 ms by row. Filtering inside the IVF scan keeps a filtered query as fast
    as an unfiltered one; scanning every allowed vector exactly took 0.3-0.5 s at a million passages.
    """
    base, k_factor = (faiss.downcast_index(index.base_index), int(index.k_factor)) if isinstance(
        index, faiss.IndexRefine
    ) else (index, 1)
    vector = np.ascontiguousarray(query[None, :], dtype=np.float32)
    if allowed is None:
        _, rows = base.search(vector, k * k_factor)
    elif isinstance(base, faiss.IndexIVF):
        bits = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        # faiss's stubs omit the keyword arguments that its wrappers add to every SearchParameters
        # class (faiss/class_wrappers.py, handle_SearchParameters); the wrappers also keep
        # ``selector`` referenced.
        params = faiss.SearchParametersIVF(sel=selector, nprobe=base.nprobe)  # type: ignore[call-arg]
        _, rows = base.search(vector, k * k_factor, params=params)
    else:
        return None
    found = rows[0][rows[0] >= 0]
    if k_factor == 1:
        return found
    return found[np.argsort(-rescore(found), kind="stable")[:k]]


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    """Read an index written by :func:`save_vector_index`, memory-mapped.

    ``IO_FLAG_MMAP_IFC`` maps flat vector storage (flat, and HNSW's vectors) as well as IVF lists;
    the older ``IO_FLAG_MMAP`` alone maps only IVF lists and copies flat and HNSW storage into memory.
    """
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    set_search_defaults(index)
    return index


def _trained_ivf(vectors: np.ndarray, index_type: str, coarse_iterations: int | None) -> faiss.Index:
    count, dimension = vectors.shape
    if count < IVF_TRAIN_PER_LIST:
        raise ValueError(
            f"An '{index_type}' index is trained on its vectors and needs at least {IVF_TRAIN_PER_LIST}; "
            f"got {count}. Use 'flat' (or 'auto')."
        )
    nlist = ivf_list_count(count)
    quantizer = faiss.IndexFlatIP(dimension)
    index: faiss.IndexIVF
    if index_type == "ivf":
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    else:
        ivfpq = faiss.IndexIVFPQ(
            quantizer, dimension, nlist, _pq_code_count(dimension), _pq_bits(count), faiss.METRIC_INNER_PRODUCT
        )
        ivfpq.pq.cp.niter = PQ_TRAIN_ITERATIONS
        index = ivfpq
    if coarse_iterations is not None:
        index.cp.niter = coarse_iterations
    index.train(_training_sample(vectors, nlist))
    return faiss.IndexRefineFlat(index) if index_type == "ivfpq" else index


def _training_sample(vectors: np.ndarray, nlist: int) -> np.ndarray:
    wanted = nlist * IVF_TRAIN_PER_LIST
    if len(vectors) <= wanted:
        return vectors
    rows = np.sort(np.random.default_rng(_TRAIN_SEED).choice(len(vectors), size=wanted, replace=False))
    return vectors[rows]


def _pq_code_count(dimension: int) -> int:
    """Sub-quantisers: about one per :data:`PQ_DIMS_PER_CODE` dimensions, dividing ``dimension`` evenly."""
    target = max(1, dimension // PQ_DIMS_PER_CODE)
    return next(m for m in range(target, 0, -1) if dimension % m == 0)


def _pq_bits(count: int) -> int:
    """Bits per code: 8 when there are enough vectors to train 256 centroids per sub-quantiser, fewer otherwise."""
    return max(1, min(PQ_MAX_BITS, int(math.log2(max(2, count // IVF_TRAIN_PER_LIST)))))


class FlatVectors:
    """The vectors a flat index holds, by row, as :class:`index.vector_file.VectorFile` serves them.

    An exact search reads every vector of a flat index each query, so its (memory-mapped) storage is
    resident anyway: reading rows there costs no system call and no more memory. The array is a
    view of FAISS's storage, valid while the index lives: this object keeps the index.
    """

    def __init__(self, index: faiss.IndexFlat) -> None:
        self._index = index
        self._array = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
        self.shape: tuple[int, int] = self._array.shape
        self.dtype: np.dtype = self._array.dtype

    @classmethod
    def of(cls, index: faiss.Index) -> FlatVectors | None:
        """The vectors of ``index`` if it is flat (and holds any); None for other kinds."""
        return cls(index) if isinstance(index, faiss.IndexFlat) and index.ntotal else None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        """The vectors at ``rows`` (any order, repeats allowed), shape ``(len(rows), dimension)``."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows) and not (rows.min() >= 0 and rows.max() < len(self)):
            raise IndexError(f"vector rows must be within 0..{len(self) - 1}")
        return self._array[rows]

    def close(self) -> None:
        """Nothing to close: the index owns the storage."""
