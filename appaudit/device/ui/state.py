"""Canonical UI states: one id per screen a user would call "the same screen".

The id is a hash of the sorted multiset of node signatures. A signature keeps what makes a screen
different to a user (package, class, resource id, text and description, clickable/checked/selected)
and drops what changes while the screen stays the same:

* bounds and index (a scroll, an animation, a different device);
* digits (a ticking clock "12:01"/"12:02", a countdown "跳过 5"/"跳过 3", a badge count): every run of
  digits becomes ``#``; texts are cut to :data:`TEXT_LIMIT` characters;
* repetition: each signature counts at most :data:`REPEAT_CAP` times, so a list showing 10 or 50
  identical rows is one state;
* the status bar, navigation bar and keyboards (``system_chrome_packages`` of the lexicon), unless they
  are all there is.

A dialog appearing adds signatures, a checkbox toggled changes one, a different page changes many: each
is a new state.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from appaudit.device.ui.hierarchy import Hierarchy, Node
from appaudit.device.ui.lexicon import UiLexicon, load_ui_lexicon

TEXT_LIMIT = 40
REPEAT_CAP = 3
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def mask(text: str) -> str:
    """Text as the state id sees it: digits masked, whitespace collapsed, cut to TEXT_LIMIT characters."""
    return _DIGITS.sub("#", _SPACE.sub(" ", text.strip()))[:TEXT_LIMIT]


def signature(node: Node) -> str:
    flags = f"{int(node.clickable)}{int(node.checked)}{int(node.selected)}"
    return "\x1f".join((node.package, node.cls, node.resource_id, mask(node.text), mask(node.content_desc), flags))


def state_windows(h: Hierarchy, lexicon: UiLexicon | None = None) -> tuple[Node, ...]:
    """The windows that make up the state: all but the system chrome (unless nothing else is shown)."""
    chrome = (lexicon or load_ui_lexicon()).system_chrome_packages
    app = tuple(w for w in h.windows if w.package not in chrome)
    return app or h.windows


def state_id(h: Hierarchy) -> str:
    """A stable 16-hex-digit id of the canonical state of ``h``."""
    counts = Counter(signature(node) for root in state_windows(h) for node in root.walk())
    rows = sorted(f"{sig}\x1e{min(n, REPEAT_CAP)}" for sig, n in counts.items())
    digest = hashlib.sha256("\n".join(rows).encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()[:16]
