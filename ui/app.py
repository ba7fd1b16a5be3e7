"""The Gradio front end: a chat over the minutes, with filters and example questions.

It is a pure HTTP client of the service (:mod:`minutes_qa.client`); every answer is drawn by
:mod:`ui.render` as escaped HTML. ``minutes ui`` calls :func:`launch_ui`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from html import escape
from typing import Any

# Gradio phones home for analytics and version checks; this runs offline, on members' data.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (must follow the analytics switch above)
from pydantic import ValidationError  # noqa: E402

from minutes_qa.client import MinutesClient, ServiceError  # noqa: E402
from minutes_qa.contract import (  # noqa: E402
    AskRequest,
    AskResponse,
    DocumentSummary,
    Facets,
    Filters,
    RequestLimits,
    Turn as AskedTurn,  # the UI's own Turn is a shown turn
    problems,
    request_limits,
)
from minutes_qa.settings import UiSettings  # noqa: E402
from minutes_qa.text.dates import human_date  # noqa: E402

from .accessibility import accessibility_head  # noqa: E402
from .examples import MAX_EXAMPLES, example_questions  # noqa: E402
from .render import Turn, announcement, history_of, render_conversation, suggestion  # noqa: E402
from .style import CSS, theme  # noqa: E402

TITLE = "Council minutes assistant"
ALL = ""  # the value of the "All committees" / "All councils" choices: no restriction
# The conversation's own script (gr.HTML's js_on_load, run once; the HTML inside is replaced on
# every update, so clicks are handled by delegation on the block itself):
# - after each answer, bring the start of the newest turn into view inside the conversation box
#   (scrolling to the very bottom would show its sources and hide the answer itself);
# - "Copy reference" copies its button's data-copy text (the clipboard API where the page is a
#   secure context, else a selected hidden textarea) and says "Copied" in its status;
# - the other buttons (ask as typed, suggestions, thumbs) send their turn and choice to
#   :func:`build_app`'s ``act``, which reads everything else from the server-side state.
CONVERSATION_SCRIPT = """
watch('value', () => {
  const box = element.querySelector('.mqa-conversation');
  const turns = element.querySelectorAll('.mqa-turn');
  if (box && turns.length) box.scrollTop = turns[turns.length - 1].offsetTop - 8;
});
const copyText = async (text) => {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const scratch = document.createElement('textarea');
  scratch.value = text;
  scratch.setAttribute('readonly', '');
  scratch.style.position = 'fixed';
  scratch.style.opacity = '0';
  document.body.appendChild(scratch);
  scratch.select();
  const copied = document.execCommand('copy');
  scratch.remove();
  if (!copied) throw new Error('copy refused');
};
element.addEventListener('click', async (event) => {
  const copy = event.target.closest('button.mqa-copy');
  if (copy) {
    const status = copy.nextElementSibling;
    try {
      await copyText(copy.dataset.copy);
      if (status) status.textContent = 'Copied';
    } catch (error) {
      if (status) status.textContent = 'Could not copy: select the quote and copy it instead';
    }
    return;
  }
  const action = event.target.closest('button[data-action]');
  if (!action) return;
  const turn = action.closest('.mqa-turn');
  const comment = turn ? turn.querySelector('textarea.mqa-comment') : null;
  trigger('click', {
    action: action.dataset.action, turn: Number(action.dataset.turn), choice: Number(action.dataset.choice || 0),
    rating: action.dataset.rating || '', comment: comment ? comment.value : '',
  });
});
"""


def build_app(settings: UiSettings, limits: RequestLimits, api_url: str | None = None) -> gr.Blocks:
    """The UI as a ``gr.Blocks``, talking to the service at ``api_url`` (default: settings), checking
    questions and comments against ``limits`` (the service's) before sending them."""
    base_url = (api_url or settings.api_url).rstrip("/")
    client = MinutesClient(base_url, settings.api_timeout_seconds)
    # Questions and comments are checked here as the service checks them, so the member is told at once.

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(
            f"<h1>{TITLE}</h1><p>Answers come only from the council's meeting minutes. Every sentence is "
            "numbered: open a source to read the minutes at that very passage.</p>",
            elem_id="mqa-header",
            elem_classes=["mqa-flush"],
        )
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=480):
                conversation = gr.HTML(
                    render_conversation([], base_url),
                    elem_id="mqa-conversation",
                    elem_classes=["mqa-flush"],
                    js_on_load=CONVERSATION_SCRIPT,
                )
                notice = gr.HTML("", elem_id="mqa-notice", elem_classes=["mqa-flush"])
                with gr.Row(equal_height=True, elem_id="mqa-ask-row"):
                    question = gr.Textbox(
                        label="Your question",
                        show_label=False,
                        placeholder="Ask a question about the minutes, then press Enter",
                        lines=1,
                        max_lines=6,
                        scale=6,
                        elem_id="mqa-question",
                        container=False,
                        autofocus=True,
                    )
                    ask_button = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="mqa-ask")
                # Filled from the service's documents when the page loads; hidden until then.
                with gr.Column(visible=False, elem_id="mqa-examples") as examples:
                    gr.HTML(
                        '<div class="mqa-examples-heading">Not sure what to ask? Try one of these:</div>',
                        elem_classes=["mqa-flush"],
                    )
                    example_buttons = [
                        gr.Button("", size="sm", variant="secondary", elem_classes=["mqa-example"])
                        for _ in range(MAX_EXAMPLES)
                    ]
                new_conversation = gr.Button(
                    "Start a new conversation", size="sm", variant="secondary", elem_id="mqa-new"
                )
            with gr.Column(scale=1, min_width=260, elem_id="mqa-filters"):
                gr.HTML(
                    "<h2>Filters</h2><p>Applied to every question you ask.</p>", elem_id="mqa-filters-heading"
                )
                committee = gr.Dropdown(
                    label="Committee", choices=[("All committees", ALL)], value=ALL, elem_id="mqa-committee"
                )
                council = gr.Dropdown(
                    label="Council", choices=[("All councils", ALL)], value=ALL, visible=False, elem_id="mqa-council"
                )
                since = gr.DateTime(label="Meetings from", include_time=False, type="string", elem_id="mqa-since")
                until = gr.DateTime(label="Meetings until", include_time=False, type="string", elem_id="mqa-until")
                coverage = gr.HTML("", elem_id="mqa-coverage")

        def load_corpus() -> tuple[Any, ...]:
            """Fill filters, examples and the coverage note from what the service has loaded."""
            try:
                facets = client.facets()
                documents = client.documents()
            except ServiceError as error:
                hidden = [gr.update(visible=False)] * (MAX_EXAMPLES + 1)
                return (gr.update(), gr.update(), *hidden, _coverage_down(str(error)))
            questions = example_questions(facets, documents, MAX_EXAMPLES)
            buttons = [
                gr.update(value=questions[slot], visible=True) if slot < len(questions) else gr.update(visible=False)
                for slot in range(MAX_EXAMPLES)
            ]
            return (
                gr.update(choices=[("All committees", ALL), *((name, name) for name in facets.committees)]),
                gr.update(
                    choices=[("All councils", ALL), *((name, name) for name in facets.councils)],
                    visible=bool(facets.councils),
                ),
                gr.update(visible=bool(questions)),
                *buttons,
                _coverage(facets, documents),
            )

        def ask(
            text: str, committee_value: str, council_value: str, since_value: str | None, until_value: str | None,
            history: list[Turn],
        ) -> Iterator[tuple[Any, ...]]:
            """Show the question at once, then its answer, or a message saying why there is none.

            It is asked as a follow-up: the conversation's latest turns go with it.
            """
            try:
                request = ask_request(
                    text, committee_value, council_value, since_value, until_value,
                    history_of(history, limits.max_history_turns), limits,
                )
            except ValueError as error:
                yield gr.update(), history, gr.update(), _notice(str(error))
                return
            asked, filters = request.question, request.filters or Filters()
            pending = [*history, Turn(asked, filters)]
            yield render_conversation(pending, base_url), history, "", ""
            turn = _answer(asked, filters, request.history)
            history = [*history, turn]
            # After a failure the question goes back in the box, ready to ask again.
            yield render_conversation(history, base_url), history, asked if turn.error else "", ""

        def act(
            committee_value: str, council_value: str, since_value: str | None, until_value: str | None,
            history: list[Turn], event: gr.EventData,
        ) -> Iterator[tuple[Any, ...]]:
            """A button inside the conversation: ask as typed, ask a suggestion, or rate an answer."""
            data = event._data if isinstance(event._data, dict) else {}
            index = data.get("turn")
            turn = history[index] if isinstance(index, int) and 0 <= index < len(history) else None
            action = data.get("action")
            choice = data.get("choice")
            asked = suggestion(turn.answer, choice) if turn and turn.answer and isinstance(choice, int) else None
            if turn is None or turn.answer is None or not isinstance(index, int):
                # A stale page's button: nothing it refers to any more (a turn found means index is an int).
                yield gr.update(), history, gr.update(), gr.update()
            elif action == "literal":
                yield from ask_as_typed(history, index)
            elif action == "suggest" and asked is not None:
                yield from ask(asked, committee_value, council_value, since_value, until_value, history)
            elif action == "rate" and data.get("rating") in ("up", "down"):
                yield rate(history, index, turn.answer, data["rating"], str(data.get("comment") or ""))
            else:
                yield gr.update(), history, gr.update(), gr.update()

        def ask_as_typed(history: list[Turn], index: int) -> Iterator[tuple[Any, ...]]:
            """Ask turn ``index`` again exactly as typed, without the conversation; its reply replaces the old."""
            typed = history[index]
            waiting = [*history[:index], Turn(typed.question, typed.filters), *history[index + 1 :]]
            yield render_conversation(waiting, base_url), history, gr.update(), ""
            history = [*history[:index], _answer(typed.question, typed.filters, []), *history[index + 1 :]]
            yield render_conversation(history, base_url, announcement(history[index])), history, gr.update(), ""

        def rate(history: list[Turn], index: int, answer: AskResponse, rating: str, comment: str) -> tuple[Any, ...]:
            """Send a thumbs up or down (and the comment) for turn ``index``'s ``answer``; say how it went."""
            turn = history[index]
            try:
                with request_limits(limits):
                    client.feedback(answer, "up" if rating == "up" else "down", comment)
                rated = replace(turn, rating=rating, rating_error=None)
            except ServiceError as error:
                rated = replace(turn, rating_error=f"Your rating was not recorded. {error}")
            history = [*history[:index], rated, *history[index + 1 :]]
            said = rated.rating_error or "Thank you: your rating was recorded."
            return render_conversation(history, base_url, said), history, gr.update(), ""

        def _answer(text: str, filters: Filters, earlier: list[AskedTurn]) -> Turn:
            try:
                return Turn(text, filters, answer=client.ask(text, filters=filters, history=earlier or None))
            except ServiceError as error:
                return Turn(text, filters, error=str(error))

        def restart() -> tuple[Any, ...]:
            return render_conversation([], base_url), [], "", ""

        inputs = [question, committee, council, since, until, turns]
        outputs = [conversation, turns, question, notice]
        demo.load(
            load_corpus, outputs=[committee, council, examples, *example_buttons, coverage], api_visibility="private"
        )
        question.submit(ask, inputs, outputs, api_visibility="private")
        conversation.click(act, inputs[1:], outputs, api_visibility="private")
        ask_button.click(ask, inputs, outputs, api_visibility="private")
        for button in example_buttons:
            # A button's value is its label: put the example in the box, then ask it.
            button.click(lambda text: text, button, question, api_visibility="private").then(
                ask, inputs, outputs, api_visibility="private"
            )
        new_conversation.click(restart, None, outputs, api_visibility="private")
    return demo


def ask_request(
    text: str | None, committee: str | None, council: str | None, since: str | None, until: str | None,
    history: list[dict[str, str]], limits: RequestLimits,
) -> AskRequest:
    """The question box and filter controls as the service's request, validated by the contract
    against ``limits``; ValueError with the contract's readable message if it is invalid."""
    filters = {
        "committee": committee or None, "council": council or None,
        "since": _parse_date(since, "Meetings from"), "until": _parse_date(until, "Meetings until"),
    }
    try:
        with request_limits(limits):
            return AskRequest.model_validate({"question": (text or "").strip(), "filters": filters, "history": history})
    except ValidationError as error:
        raise ValueError(problems(error)) from None


def launch_ui(
    settings: UiSettings, limits: RequestLimits, api_url: str | None = None, host: str | None = None,
    port: int | None = None,
) -> None:
    """Serve the UI until interrupted (``minutes ui``)."""
    demo = start_ui(settings, limits, api_url, host, port)
    print(f"Minutes UI: {demo.local_url}  (asking the service at {(api_url or settings.api_url).rstrip('/')})", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    demo.block_thread()


def start_ui(
    settings: UiSettings, limits: RequestLimits, api_url: str | None = None, host: str | None = None,
    port: int | None = None,
) -> gr.Blocks:
    """Start serving the UI in the background and return it; ``close()`` stops it."""
    base_url = (api_url or settings.api_url).rstrip("/")
    _warn_if_down(MinutesClient(base_url, settings.api_timeout_seconds))
    demo = build_app(settings, limits, base_url)
    # Each answer is CPU work in the service; more parallel asks would only queue there instead.
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=host or settings.ui_host,
        server_port=port or settings.ui_port,
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
        footer_links=[],
        theme=theme(),
        css=CSS,
        head=accessibility_head(),
    )
    return demo


def _warn_if_down(client: MinutesClient) -> None:
    # Not fatal: the service may start after the UI; members then see the same message in the page.
    try:
        client.health()
    except ServiceError as error:
        print(f"Warning: {error}", file=sys.stderr, flush=True)
    finally:
        client.close()


def _parse_date(value: str | None, label: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"'{label}' must be a date written YYYY-MM-DD, for example 2018-02-13.") from None


def _notice(message: str) -> str:
    return f'<div class="mqa-notice" role="alert">{escape(message)}</div>'


def _coverage(facets: Facets, documents: list[DocumentSummary]) -> str:
    """'Minutes loaded: 5 documents from 2 committees, meetings from … to ….'"""
    text = f"Minutes loaded: {_count(len(documents), 'document')}"
    if facets.committees:
        text += f" from {_count(len(facets.committees), 'committee')}"
    if facets.earliest and facets.latest:
        text += f", meetings from {human_date(facets.earliest)} to {human_date(facets.latest)}"
    return f'<div class="mqa-coverage">{escape(text)}.</div>'


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _coverage_down(message: str) -> str:
    return (
        f'<div class="mqa-coverage mqa-down" role="alert">{escape(message)} '
        "Filters and example questions appear when it is running: reload this page then.</div>"
    )
