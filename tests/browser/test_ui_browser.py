"""The UI driven in a real headless Chromium against the real service over the sample index.

The service runs in-process (uvicorn in a thread, over an index built from ``sample/corpus`` plus
one crafted hostile minutes file); the UI is the real Gradio app, talking to it over HTTP.
Debian's chromium is used: Playwright cannot download its own browser here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from html import escape
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from minutes_qa.client import MinutesClient
from minutes_qa.contract import AskResponse, Filters, RequestLimits
from minutes_qa.index.embedding import shared_embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.rag.engine import Engine
from minutes_qa.server.app import create_app
from minutes_qa.settings import Settings
from minutes_qa.ui.app import start_ui
from minutes_qa.ui.render import Turn, citation_url, render_conversation
from support import REPO, free_port

ROOT = REPO
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "screenshot-answer.png"
# Installed by scripts/install-browser.sh; injected into each page checked for accessibility.
AXE = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")
ANSWER_TIMEOUT_MS = 60_000
SCRIPT_TEXT = "<script>alert(1)</script>"
LINK_TEXT = "[click](javascript:alert(1))"
# Minutes text as hostile as an ingested file could be: markup, a Markdown link, an event handler.
HOSTILE_MINUTES = f"""Parks and Open Spaces Committee

Allotment rents

The committee agreed that allotment rents would rise by five percent from April {SCRIPT_TEXT} after
the allotment holders association was consulted on the allotment rent increase {LINK_TEXT}.

Members noted that allotment waiting lists had grown <img src=x onerror=alert(2)> during the year.
"""
HOSTILE_QUESTION = "What did the committee agree about allotment rents?"
FIRST_QUESTION = "what did the board say about workforce risk?"
# Depends on the conversation: the service reads it with the first question's topic.
FOLLOW_UP = "And in 2019?"
HOSTILE_COUNCIL = "Parkshire Council"

pytestmark = [
    pytest.mark.slow,
    # Gradio's queue calls pandas in a way pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing: run scripts/install-browser.sh"),
]


class _Service:
    """The real FastAPI service on a free port, in a background thread."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> _Service:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"The service did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _index(folder: Path, index_dir: Path) -> Settings:
    settings = Settings(index_dir=index_dir)
    embedder = shared_embedder(settings.embedding)
    report = ingest([folder], index_dir, settings, progress=False, embedder=embedder)
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over an index of the sample corpus."""
    return _index(ROOT / "sample" / "corpus", tmp_path_factory.mktemp("sample-index"))


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Engine:
    return Engine.open(settings.index.index_dir, settings)


@pytest.fixture(scope="module")
def service(settings: Settings, engine: Engine) -> Iterator[_Service]:
    running = _Service(settings, engine).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def ui_url(settings: Settings, service: _Service) -> Iterator[str]:
    demo = start_ui(settings.ui, RequestLimits.of(settings), service.url, "127.0.0.1", free_port())
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Service]:
    """A service whose only minutes are the crafted hostile file, of a known council."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "allotments.txt").write_text(HOSTILE_MINUTES, encoding="utf-8")
    sidecar = {
        "file": "allotments.txt", "committee": "Parks and Open Spaces Committee", "meeting_date": "2019-03-04",
        "council": HOSTILE_COUNCIL, "title": "Allotment rents <b>bold</b>", "url": "javascript:alert(3)",
    }
    (corpus / "sources.jsonl").write_text(json.dumps(sidecar) + "\n", encoding="utf-8")
    settings = _index(corpus, tmp_path_factory.mktemp("hostile-index"))
    running = _Service(settings, Engine.open(settings.index.index_dir, settings)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def hostile_ui_url(hostile_service: _Service) -> Iterator[str]:
    """The UI over the hostile service."""
    demo = start_ui(hostile_service.settings.ui, RequestLimits.of(hostile_service.settings), hostile_service.url, "127.0.0.1", free_port())
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def dialogs() -> list[str]:
    """Every alert/confirm/prompt a page opened: there must be none."""
    return []


@pytest.fixture()
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context.on("dialog", record)
    opened = context.new_page()
    yield opened
    context.close()


def _ask(page: Page, question: str) -> None:
    box = page.locator("#mqa-question textarea")
    box.fill(question)
    box.press("Enter")


def _newest_reply(page: Page):
    """The reply of the last turn, once it is no longer 'Searching the minutes…'."""
    reply = page.locator("#mqa-conversation .mqa-turn").last.locator(".mqa-reply")
    expect(reply).not_to_have_class(re.compile("mqa-pending"), timeout=ANSWER_TIMEOUT_MS)
    return reply


def _folded(text: str) -> str:
    return " ".join(text.split())


def test_answer_with_citations_opens_the_highlighted_passage(page: Page, ui_url: str, dialogs: list[str]) -> None:
    page.goto(ui_url)
    expect(page.locator(".mqa-example").first).to_be_visible()  # examples come from the loaded documents

    _ask(page, "what did the board say about workforce risk?")
    reply = _newest_reply(page)

    expect(reply).to_have_class(re.compile("mqa-answer"))
    expect(reply.locator(".mqa-answer-text a.mqa-cite").first).to_have_text("[1]")
    expect(reply.locator(".mqa-answer-text")).to_contain_text("workforce")
    sources = reply.locator("li.mqa-source")
    expect(sources.first).to_be_visible()
    quote = _folded(sources.first.locator(".mqa-quote").inner_text()).removesuffix(" …")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    with page.context.expect_page() as opened:
        sources.first.get_by_role("link", name="Open the highlighted passage").click()
    minutes = opened.value
    mark = minutes.locator("mark#cited")
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()
    assert quote in _folded(mark.inner_text())
    assert dialogs == []


def test_follow_up_that_the_minutes_do_not_cover_abstains_and_keeps_the_conversation(page: Page, ui_url: str) -> None:
    page.goto(ui_url)
    _ask(page, "what did the board say about workforce risk?")
    expect(_newest_reply(page)).to_have_class(re.compile("mqa-answer"))

    _ask(page, "What is the capital of France?")
    reply = _newest_reply(page)

    expect(reply).to_have_class(re.compile("mqa-abstain"))
    expect(reply).to_contain_text("The minutes I have don't cover this.")
    expect(reply.locator("ul.mqa-tips li").first).to_be_visible()
    expect(page.locator("#mqa-conversation .mqa-turn")).to_have_count(2)
    expect(page.locator("#mqa-conversation .mqa-turn").first).to_contain_text("workforce risk")


def test_filters_come_from_the_service_and_restrict_the_question(page: Page, ui_url: str) -> None:
    page.goto(ui_url)
    expect(page.locator("#mqa-coverage")).to_contain_text("Minutes loaded: 5 documents from 2 committees")
    page.locator("#mqa-committee input").click()
    page.get_by_role("option", name="Cabinet").click()

    # Answered without filters (the first test); the Cabinet's minutes say nothing on it.
    _ask(page, "what did the board say about workforce risk?")
    reply = _newest_reply(page)

    expect(page.locator("#mqa-conversation .mqa-turn .mqa-filters-note")).to_have_text("Only committee: Cabinet")
    expect(reply).to_have_class(re.compile("mqa-abstain"))
    expect(reply.locator("ul.mqa-tips")).to_contain_text("Try removing the filters")


def test_hostile_minutes_text_is_shown_as_text(page: Page, hostile_ui_url: str, dialogs: list[str]) -> None:
    page.goto(hostile_ui_url)
    _ask(page, HOSTILE_QUESTION)
    reply = _newest_reply(page)

    expect(reply).to_have_class(re.compile("mqa-answer"))
    expect(reply.locator(".mqa-answer-text")).to_contain_text(SCRIPT_TEXT)
    expect(reply.locator(".mqa-answer-text")).to_contain_text(LINK_TEXT)
    expect(reply.locator(".mqa-source-title").first).to_contain_text("Allotment rents <b>bold</b>")
    expect(reply.locator("strong.mqa-meeting").first).to_contain_text(f"({HOSTILE_COUNCIL}):")
    page.wait_for_timeout(500)  # give any injected handler the chance to fire
    assert dialogs == []
    assert page.locator("#mqa-conversation script, #mqa-conversation img, #mqa-conversation b").count() == 0
    hrefs = page.locator("#mqa-conversation a").evaluate_all("links => links.map(link => link.href)")
    assert hrefs and all(href.startswith("http://127.0.0.1:") for href in hrefs), hrefs


def test_empty_and_overlong_questions_get_a_clear_message(page: Page, ui_url: str, settings: Settings) -> None:
    page.goto(ui_url)
    _ask(page, "   ")
    expect(page.locator(".mqa-notice")).to_contain_text("The question is empty: say what you want to know.")

    _ask(page, "why " * (settings.service.max_question_chars // 4 + 1))
    expect(page.locator(".mqa-notice")).to_contain_text(f"the limit is {settings.service.max_question_chars:,}")
    expect(page.locator("#mqa-conversation .mqa-turn")).to_have_count(0)


def test_stopped_service_gives_a_clear_error(page: Page, browser: Browser, settings: Settings, engine: Engine) -> None:
    doomed = _Service(settings, engine).start()
    demo = start_ui(settings.ui, RequestLimits.of(settings), doomed.url, "127.0.0.1", free_port())
    try:
        page.goto(demo.local_url)
        _ask(page, "what did the board say about workforce risk?")
        expect(_newest_reply(page)).to_have_class(re.compile("mqa-answer"))

        doomed.stop()
        _ask(page, "who chairs the health and wellbeing board?")
        reply = _newest_reply(page)

        expect(reply).to_have_class(re.compile("mqa-error"))
        expect(reply).to_contain_text(f"The minutes service is not reachable at {doomed.url}")
        expect(page.locator("#mqa-question textarea")).to_have_value("who chairs the health and wellbeing board?")
        assert "Traceback" not in page.content()

        page.reload()
        expect(page.locator("#mqa-coverage")).to_contain_text("not reachable")
    finally:
        demo.close()


def _axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on ``page`` as it stands, every impact."""
    assert AXE.exists(), f"axe-core is missing at {AXE}: run scripts/install-browser.sh"
    # Gradio's progress overlay (translucent, with a timer) stays a moment after the answer is
    # drawn; checked then, its faded text fails contrast. Wait until every tracker is hidden.
    expect(page.locator("[data-testid=status-tracker]:not(.hide)")).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    # evaluate() runs outside the page's Content-Security-Policy, which forbids injected scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(result => result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))""",
        WCAG_AA_TAGS,
    )


def _blocking(violations: list[dict]) -> str:
    """The serious and critical violations, one line per element, for the assertion message."""
    return "\n".join(
        f"{v['impact']} {v['id']} ({v['help']}): {node['target']}"
        for v in violations if v["impact"] in BLOCKING_IMPACTS for node in v["nodes"]
    )


def test_pages_meet_wcag_aa_by_axe(page: Page, ui_url: str) -> None:
    page.goto(ui_url)
    expect(page.locator(".mqa-example").first).to_be_visible()
    found = {"empty page": _axe_violations(page)}

    _ask(page, "what did the board say about workforce risk?")
    expect(_newest_reply(page)).to_have_class(re.compile("mqa-answer"))
    # A rewritten follow-up: "Answered as", suggestions, thumbs, comment box and copy buttons all on the page.
    _ask(page, FOLLOW_UP)
    expect(_newest_reply(page).locator(".mqa-answered-as")).to_be_visible()
    expect(page.locator("#mqa-conversation .mqa-suggestion").first).to_be_visible()
    expect(page.locator("#mqa-conversation .mqa-thumb").first).to_be_visible()
    found["answered page"] = _axe_violations(page)

    _ask(page, "What is the capital of France?")
    expect(_newest_reply(page)).to_have_class(re.compile("mqa-abstain"))
    found["abstention"] = _axe_violations(page)

    with page.context.expect_page() as opened:
        page.locator("li.mqa-source").first.get_by_role("link", name="Open the highlighted passage").click()
    view = opened.value
    expect(view.locator("mark#cited")).to_be_visible()
    found["document view"] = _axe_violations(view)

    report = {name: _blocking(violations) for name, violations in found.items()}
    print(json.dumps(found, indent=1))  # every impact, shown by pytest when the test fails
    assert not any(report.values()), "\n".join(f"{name}:\n{text}" for name, text in report.items() if text)


def test_keyboard_alone_asks_hears_the_answer_and_opens_a_source(page: Page, ui_url: str) -> None:
    page.goto(ui_url)
    expect(page.locator(".mqa-example").first).to_be_visible()
    box = page.locator("#mqa-question textarea")
    expect(box).to_be_focused()  # the page opens ready to type
    expect(box).to_have_accessible_name("Your question")

    page.keyboard.type("what did the board say about workforce risk?")
    page.keyboard.press("Enter")
    expect(_newest_reply(page)).to_have_class(re.compile("mqa-answer"))

    # The live region says the answer itself, without markers, for a screen reader to announce.
    status = page.locator("#mqa-conversation .mqa-sr-only[role=status]")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("From the minutes, ")
    expect(status).to_contain_text("workforce")
    expect(status).not_to_contain_text("[1]")

    expect(box).to_be_focused()  # ready for a follow-up
    page.keyboard.press("Tab")
    expect(page.locator("#mqa-ask")).to_be_focused()
    # Backwards from the question box: the conversation comes before it, its rating buttons last.
    box.focus()
    page.keyboard.press("Shift+Tab")
    thumb = page.locator("#mqa-conversation button:focus")
    expect(thumb).to_have_accessible_name("Not helpful")
    _assert_visible_focus(thumb)
    # Further back, through the comment box, suggestions and copy buttons, to the last source's link.
    link = page.locator("#mqa-conversation a:focus")
    for _ in range(30):
        page.keyboard.press("Shift+Tab")
        focused = page.locator("#mqa-conversation :focus")
        expect(focused).to_have_count(1)  # focus never leaves the conversation on the way
        _assert_visible_focus(focused)
        if link.count() and link.inner_text() == "Open the highlighted passage":
            break
    expect(link).to_have_text("Open the highlighted passage")

    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    expect(opened.value.locator("mark#cited")).to_be_in_viewport()


def _assert_visible_focus(element) -> None:
    outline = element.evaluate("e => [getComputedStyle(e).outlineStyle, parseFloat(getComputedStyle(e).outlineWidth)]")
    assert outline[0] != "none" and outline[1] >= 2, outline  # focus is visible


def _turn(page: Page, number: int):
    return page.locator("#mqa-conversation .mqa-turn").nth(number - 1)


def test_follow_up_shows_answered_as_and_can_be_asked_as_typed(page: Page, ui_url: str) -> None:
    page.goto(ui_url)
    _ask(page, FIRST_QUESTION)
    expect(_newest_reply(page)).to_have_class(re.compile("mqa-answer"))
    expect(_turn(page, 1).locator(".mqa-answered-as")).to_have_count(0)  # a first question is read as typed

    _ask(page, FOLLOW_UP)
    reply = _newest_reply(page)

    answered_as = reply.locator(".mqa-answered-as")
    expect(answered_as).to_contain_text("Answered as:")
    # The history went with it: the reading carries the first question's topic.
    expect(answered_as.locator(".mqa-interpreted")).to_contain_text("workforce risk")
    expect(answered_as.locator(".mqa-interpreted")).to_contain_text("2019")

    answered_as.get_by_role("button", name="Ask exactly as I typed it instead").click()

    # The turn is asked again in place: its reading goes (while waiting, and after), then the reply comes.
    expect(_turn(page, 2).locator(".mqa-answered-as")).to_have_count(0)
    expect(_turn(page, 2).locator(".mqa-reply")).not_to_have_class(re.compile("mqa-pending"), timeout=ANSWER_TIMEOUT_MS)
    expect(_turn(page, 2).locator(".mqa-answered-as")).to_have_count(0)
    expect(_turn(page, 2).locator(".mqa-question-text")).to_have_text(FOLLOW_UP)
    expect(page.locator("#mqa-conversation .mqa-turn")).to_have_count(2)

    page.get_by_role("button", name="Start a new conversation").click()
    expect(page.locator("#mqa-conversation .mqa-turn")).to_have_count(0)
    _ask(page, FOLLOW_UP)  # nothing to follow now: asked as typed
    expect(_newest_reply(page).locator(".mqa-answered-as")).to_have_count(0)


def test_a_suggested_question_is_asked_when_clicked(page: Page, ui_url: str) -> None:
    page.goto(ui_url)
    _ask(page, FIRST_QUESTION)
    suggestion = _newest_reply(page).locator("button.mqa-suggestion").first
    expect(suggestion).to_be_visible()
    text = suggestion.inner_text()

    suggestion.click()

    expect(page.locator("#mqa-conversation .mqa-turn")).to_have_count(2)
    expect(_turn(page, 2).locator(".mqa-question-text")).to_have_text(text)
    expect(_newest_reply(page)).to_have_class(re.compile("mqa-answer|mqa-abstain"))


def test_thumbs_are_stored_and_exported(page: Page, ui_url: str, settings: Settings, tmp_path: Path) -> None:
    comment = "Exactly the minute <b>I</b> needed"
    page.goto(ui_url)
    _ask(page, FIRST_QUESTION)
    _newest_reply(page)
    quotes = [_folded(text) for text in _turn(page, 1).locator(".mqa-quote").all_inner_texts()]
    rating = _turn(page, 1).locator(".mqa-rating")
    rating.get_by_label("Comment (optional)").fill(comment)

    rating.get_by_role("button", name="Helpful", exact=True).click()

    expect(rating).to_contain_text("Thank you: your rating (helpful) was recorded.")
    expect(page.locator("#mqa-conversation .mqa-sr-only[role=status]")).to_have_text("Thank you: your rating was recorded.")
    out = tmp_path / "feedback.jsonl"
    exported = subprocess.run(
        [sys.executable, "-m", "minutes_qa.cli", "feedback", "export", "--out", str(out), "--index", str(settings.index.index_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = [record for record in records if record["feedback"]["comment"] == comment]
    assert len(mine) == 1, records
    record = mine[0]
    assert record["feedback"]["rating"] == "up" and record["feedback"]["asked"] == FIRST_QUESTION
    assert record["question"] == FIRST_QUESTION and record["gold"], record
    # The gold offered is what the member saw cited (shown folded, bullet dropped, long ones shortened).
    shown = [quote.removesuffix(" …") for quote in quotes]
    assert all(any(_words(gold["quote"]).startswith(q) for q in shown) for gold in record["gold"]), (record, shown)


def _words(quote: str) -> str:
    """A quote as the page shows it: white space folded, a list bullet dropped."""
    return re.sub(r"^[·•]\s+", "", _folded(quote))


def _expected_copy(answer: dict, n: int) -> str:
    """Reference, newline, each quote cited from that source in curly quotes: written out independently."""
    citation = next(c for c in answer["citations"] if c["n"] == n)
    passage = next(p for p in answer["passages"] if p["id"] == citation["passage_id"])
    quotes = [c["quote"] for c in answer["citations"] if c["passage_id"] == citation["passage_id"]]
    return passage["source"]["reference"] + "".join(f"\n\u201c{_words(quote)}\u201d" for quote in quotes)


def test_copy_reference_copies_exactly_the_reference_and_quote(page: Page, ui_url: str, service: _Service) -> None:
    answer = httpx.post(f"{service.url}/ask", json={"question": FIRST_QUESTION}, timeout=60).json()
    assert answer["passages"][0]["source"]["reference"], answer["passages"][0]["source"]
    expected = _expected_copy(answer, 1)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui_url)
    page.goto(ui_url)
    _ask(page, FIRST_QUESTION)
    source = _newest_reply(page).locator("li.mqa-source").first

    source.get_by_role("button", name="Copy reference 1: the reference and its quote").click()

    expect(source.locator(".mqa-copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == expected

    # The document view shows where the quote sits and copies the same reference and quote.
    with page.context.expect_page() as opened:
        source.get_by_role("link", name="Open the highlighted passage").click()
    view = opened.value
    view.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url)
    expect(view.locator("mark#cited")).to_be_visible()
    cited = view.locator("section.cited")
    expect(cited).to_contain_text(answer["passages"][0]["source"]["reference"])
    expect(cited.locator("dt").first).to_have_text("Heading")
    view.get_by_role("button", name="Copy reference").click()
    expect(view.locator("#copy-status")).to_have_text("Copied")
    citation = answer["citations"][0]
    assert view.evaluate("navigator.clipboard.readText()") == _expected_copy(
        {**answer, "citations": [citation]}, 1
    )


def test_a_real_answer_with_a_council_has_its_meeting_heading_bolded(hostile_service: _Service) -> None:
    client = MinutesClient(hostile_service.url, 60)
    try:
        answer = client.ask(HOSTILE_QUESTION)
    finally:
        client.close()
    # The service heads the meeting's sentences "Committee, date (Council): "; the UI must bold exactly that.
    ending = f"({HOSTILE_COUNCIL}): "
    assert not answer.abstained and ending in answer.answer, answer.answer
    heading = next(part for part in answer.answer.split("\n\n") if ending in part).split(ending)[0] + ending[:-2]

    html = render_conversation([Turn(HOSTILE_QUESTION, Filters(), answer=answer)], hostile_service.url)

    assert f'<strong class="mqa-meeting">{escape(heading)}:</strong> ' in html


def test_a_real_response_with_a_direct_answer_shows_it_first(hostile_service: _Service) -> None:
    body = httpx.post(f"{hostile_service.url}/ask", json={"question": HOSTILE_QUESTION}, timeout=60).json()
    assert "direct_answer" in body  # the contract's field, not yet filled by the read path
    quote = body["citations"][0]["quote"]
    words = quote[quote.index("rise by") : quote.index(SCRIPT_TEXT) + len(SCRIPT_TEXT)]  # hostile, as quoted
    body["direct_answer"] = {"text": words, "citation": 1}
    answer = AskResponse.model_validate(body)

    html = render_conversation([Turn(HOSTILE_QUESTION, Filters(), answer=answer)], hostile_service.url)

    cite_url = escape(citation_url(answer, answer.citations[0], hostile_service.url) or "")
    assert (
        f'<p class="mqa-direct"><strong>Answer:</strong> <span class="mqa-direct-text">{escape(words)}</span> '
        f'<a class="mqa-cite" href="{cite_url}"'
    ) in html
    assert html.index("mqa-direct") < html.index("mqa-answer-text") and "<script" not in html
