"""What Gradio's own components do not say to a screen reader, added in the browser.

Gradio gives no way to set ARIA attributes on its date pickers or layout blocks, so a small
script in the page's <head> adds them: names for the date inputs and their calendar buttons
(an unnamed button is a WCAG 4.1.2 failure), and landmarks for the question form and the
filters. Gradio renders and re-renders its components after load, so the script watches the
page and labels whatever appears; it only ever adds attributes that are missing.
"""

from __future__ import annotations

import json

# elem_id of a gr.DateTime -> the words its label shows.
DATE_FIELDS = {"mqa-since": "Meetings from", "mqa-until": "Meetings until"}
# elem_id of a layout block -> (ARIA role, accessible name).
LANDMARKS = {"mqa-ask-row": ("search", "Ask the minutes"), "mqa-filters": ("region", "Filters")}

_SCRIPT = """
(() => {
  const dates = %(dates)s, landmarks = %(landmarks)s;
  const give = (element, name, value) => {
    if (element && !element.hasAttribute(name)) element.setAttribute(name, value);
  };
  const label = () => {
    for (const [id, name] of Object.entries(dates)) {
      const field = document.getElementById(id);
      if (!field) continue;
      give(field.querySelector('input'), 'aria-label', name + ', a date written YYYY-MM-DD');
      give(field.querySelector('button'), 'aria-label', 'Choose the date: ' + name);
    }
    for (const [id, [role, name]] of Object.entries(landmarks)) {
      const block = document.getElementById(id);
      give(block, 'role', role);
      give(block, 'aria-label', name);
    }
  };
  new MutationObserver(label).observe(document.documentElement, {childList: true, subtree: true});
  label();
})();
"""


def accessibility_head() -> str:
    """The ``<script>`` for ``launch(head=...)`` that names Gradio's unnamed controls and landmarks."""
    script = _SCRIPT % {"dates": json.dumps(DATE_FIELDS), "landmarks": json.dumps(LANDMARKS)}
    return f"<script>{script}</script>"
