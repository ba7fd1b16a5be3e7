"""Sentence splitting: the hand-written splitter (minutes_qa/text/sentences.py) against pysbd.

Sentence boundaries decide what an answer can quote, so the splitters are judged on the gold
quotes of the shared question sets (``eval/*.jsonl``), which are usually whole sentences or
clauses of the corpus files (``corpus/seeds``, ``corpus/dev``):

- a quote *starts* / *ends* on a boundary when a sentence starts / ends exactly there (an end may
  leave out the sentence's closing punctuation: quotes often drop the full stop);
- it is *whole* when one sentence is exactly the quote (both of the above, same sentence);
- it is *inside one* sentence when no boundary cuts it (a quote cut in two cannot be quoted as
  one sentence; a sentence much longer than the quote only quotes more than needed).

Also timed (sentences per second, best of ``--rounds``), and a seeded sample of places where the
two disagree is printed. pysbd runs two ways: on the whole text, and line by line so that, like
the hand-written splitter, a line break always ends a sentence (minutes put headings, bullets
and list items on lines of their own). pysbd's spans are checked against the text and trimmed
of white space, as ``split_sentences`` trims its own.

    .venv/bin/pip install pysbd   # for this benchmark only
    .venv/bin/python benchmarks/bench_sentences.py [SHARED_FOLDER] [--rounds 3] [--sample 12]

Writes benchmarks/results/sentences.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from minutes_qa.index.readers import read_file
from minutes_qa.text.sentences import split_sentences, trim_span

try:
    import pysbd
except ImportError:  # only this benchmark uses it: the product keeps minutes_qa/text/sentences.py
    raise SystemExit("This benchmark compares against pysbd: install it with `.venv/bin/pip install pysbd`.") from None

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RESULTS = Path(__file__).resolve().parent / "results"
# What a quote may leave off the end of its sentence.
_CLOSING = set(".;:,!?\"'’”)]")

Spans = list[tuple[int, int]]
Splitter = Callable[[str], Spans]


@dataclass
class QuoteScores:
    quotes: int = 0
    starts: int = 0
    ends: int = 0
    whole: int = 0
    inside_one: int = 0


@dataclass
class Result:
    splitter: str
    sentences: int
    seconds: float
    sentences_per_second: float
    across_line_breaks: int
    inexact_spans: int
    scores: QuoteScores


class PysbdSplitter:
    """pysbd's sentences as trimmed spans of the text; counts spans that had to be re-found."""

    def __init__(self, by_line: bool) -> None:
        self._segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        self._by_line = by_line
        self.inexact = 0

    def __call__(self, text: str) -> Spans:
        if not self._by_line:
            return self._split(text, 0, len(text))
        spans: Spans = []
        offset = 0
        for line in text.split("\n"):
            spans += self._split(text, offset, offset + len(line))
            offset += len(line) + 1
        return spans

    def _split(self, text: str, start: int, end: int) -> Spans:
        part = text[start:end]
        if not part.strip():
            return []
        spans: Spans = []
        cursor = 0
        for piece in self._segmenter.segment(part):
            piece_start, piece_end = piece.start, piece.end
            if part[piece_start:piece_end] != piece.sent:
                # pysbd finds a sentence's offset by searching for it; when that lands elsewhere,
                # look for it from the end of the previous sentence instead.
                self.inexact += 1
                piece_start = part.find(piece.sent, cursor)
                if piece_start < 0:
                    raise ValueError(f"pysbd returned a sentence not in the text: {piece.sent[:60]!r}")
                piece_end = piece_start + len(piece.sent)
            cursor = piece_end
            trimmed = trim_span(text, start + piece_start, start + piece_end)
            if trimmed:
                spans.append(trimmed)
        return spans


def load_documents(shared: Path) -> dict[str, str]:
    """Reader text of every corpus file under seeds/ and dev/, by file name."""
    documents = {}
    for folder in (shared / "corpus" / "seeds", shared / "corpus" / "dev"):
        if not folder.is_dir():
            raise SystemExit(f"{folder} not found: pass the shared folder as the first argument")
        for path in sorted(folder.glob("*.txt")):
            documents[path.name] = read_file(path).text
    return documents


def load_quotes(shared: Path, documents: dict[str, str]) -> tuple[list[tuple[str, int, int]], int]:
    """Gold quotes located in their file's text as (file, start, end); and how many were not found."""
    located, missing = [], 0
    seen = set()
    for question_file in sorted((shared / "eval").glob("*.jsonl")):
        for line in question_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            for gold in json.loads(line).get("gold", []):
                text = documents.get(gold["file"])
                quote = gold["quote"].strip()
                at = text.find(quote) if text is not None else -1
                if at < 0:
                    missing += 1
                elif (gold["file"], at, at + len(quote)) not in seen:
                    seen.add((gold["file"], at, at + len(quote)))
                    located.append((gold["file"], at, at + len(quote)))
    return located, missing


def score_quotes(text: str, spans: Spans, quotes: list[tuple[int, int]], scores: QuoteScores) -> None:
    starts = {start for start, _ in spans}
    for quote_start, quote_end in quotes:
        scores.quotes += 1
        ending = [
            (start, end) for start, end in spans
            if quote_start < end and quote_end <= end and set(text[quote_end:end]) <= _CLOSING
        ]
        scores.starts += quote_start in starts
        scores.ends += bool(ending)
        scores.whole += any(start == quote_start for start, _ in ending)
        scores.inside_one += any(start <= quote_start and quote_end <= end for start, end in spans)


def crosses_line_break(text: str, spans: Spans) -> int:
    return sum(1 for start, end in spans if "\n" in text[start:end])


def run(name: str, splitter: Splitter, documents: dict[str, str], quotes: dict[str, list[tuple[int, int]]],
        rounds: int) -> tuple[Result, dict[str, Spans]]:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        split = {file: splitter(text) for file, text in documents.items()}
        best = min(best, time.perf_counter() - started)
    scores = QuoteScores()
    for file, text in documents.items():
        score_quotes(text, split[file], quotes.get(file, []), scores)
    count = sum(len(spans) for spans in split.values())
    result = Result(
        splitter=name, sentences=count, seconds=round(best, 3), sentences_per_second=round(count / best),
        across_line_breaks=sum(crosses_line_break(documents[file], spans) for file, spans in split.items()),
        inexact_spans=getattr(splitter, "inexact", 0) // rounds, scores=scores,
    )
    return result, split


def disagreements(documents: dict[str, str], ours: dict[str, Spans], theirs: dict[str, Spans],
                  sample: int, seed: int = 7) -> list[tuple[str, str]]:
    """A seeded sample of sentence ends that only one splitter has, shown with ' ‖ ' at the end."""
    found = []
    for file, text in documents.items():
        our_ends, their_ends = {e for _, e in ours[file]}, {e for _, e in theirs[file]}
        for end in sorted(our_ends ^ their_ends):
            who = "ours only " if end in our_ends else "pysbd only"
            context = (text[max(0, end - 60) : end] + " ‖ " + text[end : end + 40]).replace("\n", "⏎")
            found.append((who, f"{file[:28]}: …{context}…"))
    random.Random(seed).shuffle(found)
    return sorted(found[:sample])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED, help="the shared folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=12, help="disagreements to show")
    args = parser.parse_args()

    documents = load_documents(args.shared)
    located, missing = load_quotes(args.shared, documents)
    quotes: dict[str, list[tuple[int, int]]] = {}
    for file, start, end in located:
        quotes.setdefault(file, []).append((start, end))
    characters = sum(len(text) for text in documents.values())
    print(f"{len(documents)} files, {characters:,} characters; {len(located)} distinct gold quotes located"
          f" ({missing} not found in the reader's text)\n")

    runs = [
        ("text.sentences", split_sentences),
        ("pysbd (whole text)", PysbdSplitter(by_line=False)),
        ("pysbd (line by line)", PysbdSplitter(by_line=True)),
    ]
    results, splits = [], {}
    for name, splitter in runs:
        result, split = run(name, splitter, documents, quotes, args.rounds)
        results.append(result)
        splits[name] = split

    header = f"{'splitter':22} {'sentences':>9} {'sent/s':>9} {'starts':>7} {'ends':>7} {'whole':>7} {'inside1':>7} {'⏎ inside':>8} {'inexact':>7}"
    print(header)
    for r in results:
        q = r.scores
        print(f"{r.splitter:22} {r.sentences:9d} {r.sentences_per_second:9d} {q.starts:7d} {q.ends:7d} {q.whole:7d}"
              f" {q.inside_one:7d} {r.across_line_breaks:8d} {r.inexact_spans:7d}")
    print(f"(of {results[0].scores.quotes} quotes; '⏎ inside': sentences running across a line break; "
          "'inexact': pysbd spans that did not slice to their sentence)\n")

    for name in ("pysbd (line by line)", "pysbd (whole text)"):
        print(f"Disagreements, text.sentences vs {name} (seeded sample):")
        for who, context in disagreements(documents, splits["text.sentences"], splits[name], args.sample):
            print(f"  {who}  {context}")
        print()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sentences.json").write_text(
        json.dumps({"quotes": len(located), "quotes_not_found": missing, "results": [asdict(r) for r in results]},
                   indent=2) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
