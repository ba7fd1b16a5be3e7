"""The UI's look: a system-font theme (no web fonts: it runs offline) and the conversation's CSS.

Colours come from Gradio's theme variables where one fits, so light and dark mode both read well.
Every text colour meets WCAG 2.2 AA contrast (4.5:1) on the background it is drawn on, and every
control shows a visible focus outline: the browser tests check both with axe-core.
"""

from __future__ import annotations

import gradio as gr

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    """Gradio's default theme with local fonts (the default one fetches Google Fonts) and AA contrast.

    The default's subdued text (slate 400 on white, 2.6:1), placeholder and teal 500 accent and
    button (2.5:1 against white) are below AA; darker shades in light mode, lighter ones in dark mode.
    """
    return gr.themes.Default(primary_hue="teal", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS).set(
        body_text_color_subdued="*neutral_600",  # 7.6:1 on white
        body_text_color_subdued_dark="*neutral_400",
        input_placeholder_color="*neutral_500",  # 4.8:1 on white
        input_placeholder_color_dark="*neutral_400",
        color_accent="*primary_700",  # 5.5:1 on white; dark mode's lighter accent is in CSS below
        color_accent_soft_dark="*neutral_800",  # subdued text on it 5.7:1
        button_primary_background_fill="*primary_700",  # white text 5.5:1
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
    )


CSS = """
.gradio-container { max-width: 1200px !important; margin: 0 auto !important; }
/* A clear outline on whatever has keyboard focus (WCAG 2.4.7), never hidden by Gradio's resets. */
.gradio-container a:focus-visible, .gradio-container button:focus-visible,
.gradio-container input:focus-visible, .gradio-container textarea:focus-visible,
.gradio-container [tabindex]:focus-visible {
  outline: 3px solid var(--color-accent) !important; outline-offset: 2px !important;
}
/* Gradio's theme has no dark value for the accent: a lighter teal keeps links readable there. */
.dark { --color-accent: var(--primary-400); }
/* Read by screen readers, not shown. */
.mqa-sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
/* Main-column HTML blocks line up with the inputs below them, without Gradio's inset. */
.mqa-flush > .html-container { padding: 0 !important; }
#mqa-header h1 { font-size: 1.6rem; margin: 0.2rem 0 0.1rem; }
#mqa-header p { margin: 0; color: var(--body-text-color-subdued); }

.mqa-conversation {
  position: relative; max-height: 64vh; min-height: 320px; overflow-y: auto;
  padding: 0.75rem; border: 1px solid var(--border-color-primary); border-radius: 12px;
  background: var(--background-fill-secondary);
}
.mqa-conversation p { margin: 0.35rem 0; line-height: 1.55; }
.mqa-turn { margin-bottom: 1.1rem; }
.mqa-who {
  font-size: 0.72rem; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase;
  color: var(--body-text-color-subdued); margin-bottom: 0.2rem;
}
.mqa-question {
  margin-left: auto; max-width: 80%; width: fit-content; padding: 0.55rem 0.9rem;
  border-radius: 12px 12px 2px 12px; background: var(--color-accent-soft);
  border: 1px solid var(--border-color-accent-subdued);
}
.mqa-question-text { font-weight: 600; white-space: pre-wrap; overflow-wrap: anywhere; }
.mqa-filters-note { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.mqa-reply {
  margin-top: 0.5rem; max-width: 92%; padding: 0.7rem 1rem; border-radius: 12px 12px 12px 2px;
  background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  overflow-wrap: anywhere;
}
.mqa-meeting { display: block; margin-top: 0.25rem; }
.mqa-conversation p.mqa-direct {
  margin: 0.1rem 0 0.6rem; padding: 0.45rem 0.75rem; font-size: 1.05rem; border-radius: 6px;
  background: var(--color-accent-soft); border-left: 4px solid var(--color-accent);
}
a.mqa-cite, span.mqa-cite {
  font-size: 0.78em; font-weight: 700; vertical-align: super; text-decoration: none;
  color: var(--color-accent); padding: 0 0.1em;
}
a.mqa-cite:hover { text-decoration: underline; }
.mqa-sources-heading {
  margin-top: 0.8rem; padding-top: 0.5rem; border-top: 1px solid var(--border-color-primary);
  font-weight: 600; font-size: 0.85rem;
}
ol.mqa-sources { list-style: none; padding: 0; margin: 0.3rem 0 0; }
li.mqa-source { margin: 0.55rem 0 0; padding: 0; }
.mqa-source-meta { font-size: 0.85rem; font-weight: 600; display: flex; align-items: flex-start; gap: 0.4rem; }
.mqa-n {
  display: inline-flex; align-items: center; justify-content: center; min-width: 1.4rem; height: 1.4rem;
  border-radius: 999px; background: var(--button-primary-background-fill); color: var(--button-primary-text-color);
  font-size: 0.75rem; font-weight: 700;
}
.mqa-source-title { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 0.1rem 0 0 1.8rem; }
.mqa-conversation blockquote.mqa-quote {
  margin: 0.3rem 0 0.25rem 1.8rem !important; padding: 0.1rem 0.7rem !important; font-size: 0.88rem;
  border-left: 3px solid var(--color-accent); color: var(--body-text-color); white-space: normal; font-style: normal;
}
.mqa-links { margin-left: 1.8rem; font-size: 0.85rem; display: flex; gap: 1.2rem; flex-wrap: wrap; }
.mqa-links a { color: var(--link-text-color); }
.mqa-abstain { border-left: 4px solid var(--color-orange-500, #f97316); }
.mqa-abstain-heading { font-weight: 700; }
.mqa-tips-heading { margin-top: 0.5rem !important; font-weight: 600; font-size: 0.9rem; }
ul.mqa-tips { margin: 0.2rem 0 0 1.2rem; font-size: 0.9rem; }
.mqa-error { border-left: 4px solid var(--color-red-500, #ef4444); }
.mqa-error-text { font-weight: 600; }
.mqa-pending { color: var(--body-text-color-subdued); font-style: italic; }
.mqa-welcome { padding: 1.5rem 1rem; text-align: center; color: var(--body-text-color-subdued); }
.mqa-welcome-title { font-size: 1.1rem; font-weight: 600; color: var(--body-text-color); }
/* Buttons inside the conversation: plain HTML (Gradio's own buttons cannot live in an answer). */
.mqa-conversation button.mqa-action, .mqa-conversation button.mqa-copy {
  font: inherit; font-size: 0.85rem; cursor: pointer; border-radius: 999px; padding: 0.25rem 0.8rem;
  color: var(--body-text-color); background: var(--background-fill-primary);
  border: 1px solid var(--border-color-accent, var(--color-accent));
}
.mqa-conversation button.mqa-action:hover, .mqa-conversation button.mqa-copy:hover { background: var(--color-accent-soft); }
.mqa-conversation button.mqa-copy { padding: 0.05rem 0.6rem; font-size: 0.8rem; }
.mqa-copied { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.mqa-answered-as {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.8rem; margin: 0 0 0.5rem;
  font-size: 0.88rem; color: var(--body-text-color-subdued);
}
.mqa-answered-as p { margin: 0 !important; }
.mqa-answered-label { font-weight: 600; }
.mqa-interpreted { color: var(--body-text-color); font-style: italic; }
.mqa-next-heading, .mqa-rate-heading { margin-top: 0.7rem !important; font-weight: 600; font-size: 0.85rem; }
ul.mqa-suggestions { list-style: none; padding: 0; margin: 0.2rem 0 0; display: flex; flex-wrap: wrap; gap: 0.35rem; }
ul.mqa-suggestions button { text-align: left; }
.mqa-rating { max-width: 92%; margin: 0.3rem 0 0; padding: 0 0.2rem; font-size: 0.85rem; }
.mqa-comment-label { display: block; color: var(--body-text-color-subdued); }
textarea.mqa-comment {
  display: block; width: 100%; max-width: 36rem; margin: 0.15rem 0 0.35rem; font: inherit; font-size: 0.85rem;
  color: var(--body-text-color); background: var(--background-fill-primary);
  border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.3rem 0.5rem;
}
.mqa-thumbs { display: flex; gap: 0.5rem; }
.mqa-rated { color: var(--body-text-color-subdued); }
.mqa-rating-error { font-weight: 600; color: var(--color-red-700, #b91c1c); }
.dark .mqa-rating-error { color: var(--color-red-400, #f87171); }

/* The notice slot takes no room until there is something to say. */
#mqa-notice:not(:has(.mqa-notice)) { display: none; }
.mqa-notice {
  padding: 0.45rem 0.8rem; border-radius: 8px; font-weight: 600;
  background: var(--color-red-50, #fef2f2); color: var(--color-red-700, #b91c1c);
  border: 1px solid var(--color-red-200, #fecaca);
}
.mqa-coverage { font-size: 0.85rem; color: var(--body-text-color-subdued); line-height: 1.5; }
.mqa-coverage.mqa-down { color: var(--color-red-700, #b91c1c); font-weight: 600; }
.mqa-examples-heading { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 0.2rem 0 0; }
#mqa-examples { gap: 0.35rem !important; }
#mqa-examples button.mqa-example {
  width: fit-content !important; max-width: 100%; white-space: normal; text-align: left; justify-content: flex-start;
  font-weight: 400; border-radius: 999px; padding: 0.3rem 0.9rem;
}
#mqa-new { width: fit-content !important; align-self: flex-start; margin-top: 0.4rem; }
#mqa-filters-heading h2 { margin: 0; font-size: 1.05rem; }
#mqa-filters-heading p { margin: 0.1rem 0 0; font-size: 0.85rem; color: var(--body-text-color-subdued); }
"""
