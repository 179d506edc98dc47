"""Two screen heuristics: "this is the privacy policy" and "this is the app's main interface".

**Policy page** (:func:`is_policy_screen`), looked for in the foreground window:

* native text: a heading naming the privacy policy (``policy_titles``, in a label of at most
  :data:`TITLE_LIMIT` characters, or at the start of the first paragraph) and long text (paragraphs of
  :data:`PARAGRAPH` characters or more, :data:`LONG_TEXT` characters in all or three paragraphs) that
  reads like a policy (two different ``policy_body_words``);
* a WebView page (the WebView fills :data:`WEBVIEW_SHARE` of the window): the page's title (the
  WebView's own label) or a heading above it (the toolbar) names the privacy policy. WebView pages often
  expose little or no text, so no text length is required; the policy URL in the captured traffic
  corroborates them. A WebView page that names nothing is not a policy screen, but
  :func:`is_webview_screen` tells the caller to look at the traffic.

**Main interface** (:func:`looks_like_main`), looked for in the app's largest window, which must be in
the foreground and not covered by another window of the app (a consent or ad dialog over the home
page is not "reached"). The first heuristic that holds names the result:

1. ``bottom navigation``: 3-5 sibling items in the bottom quarter of the window, side by side (same top
   within :data:`ROW_TOLERANCE` px, no overlap) spanning most of its width, each one clickable or
   selectable (or with such a descendant), at least three with a short label (首页/发现/消息/我的).
2. ``tab layout``: a TabLayout/TabWidget (or a horizontal scroller) in the top 40% of the window with 3 or
   more labelled tabs, one selected, on a page without a "navigate up" button.
3. ``toolbar + content``: a Toolbar (class, or resource id toolbar/title_bar/action_bar) at the top, a
   scrollable content area below it covering 40% of the window, no "navigate up" or back button and no
   policy heading.
"""

from __future__ import annotations

from itertools import pairwise

from appaudit.device.ui.hierarchy import Hierarchy, Node
from appaudit.device.ui.lexicon import UiLexicon, load_ui_lexicon
from appaudit.device.ui.selectors import foreground_window, target_label, window_order

TITLE_LIMIT = 30
PARAGRAPH = 40
LONG_TEXT = 200
ROW_TOLERANCE = 24
TAB_LABEL_LIMIT = 8
WEBVIEW_SHARE = 0.6  # a WebView page, not a WebView in a dialog
_TOOLBAR_IDS = ("toolbar", "title_bar", "titlebar", "action_bar", "actionbar", "top_bar", "topbar", "header")


def is_policy_screen(h: Hierarchy) -> bool:
    """Does the foreground window show the privacy policy itself (native text or a WebView)?"""
    lex = load_ui_lexicon()
    window = foreground_window(h, lex)
    if window is None:
        return False
    labelled = [(n, n.label) for n in window.walk() if n.label]
    titles = [n for n, label in labelled if len(label) <= TITLE_LIMIT and lex.policy_titles.matches(label)]
    for webview in (n for n in window.walk() if _is_webview(n) and n.area >= WEBVIEW_SHARE * window.area):
        if lex.policy_titles.matches(webview.label) or any(t.bounds[3] <= webview.bounds[1] + 8 for t in titles):
            return True  # the page's title, or a heading above the page (the toolbar), names the policy
    titled = bool(titles)
    paragraphs = [label for _, label in labelled if len(label) >= PARAGRAPH]
    if not paragraphs:
        return False
    titled = titled or lex.policy_titles.matches(paragraphs[0][:TITLE_LIMIT])
    long_text = sum(len(p) for p in paragraphs) >= LONG_TEXT or len(paragraphs) >= 3
    body_words = set(lex.policy_body_words.find(" ".join(paragraphs)))
    return titled and long_text and len(body_words) >= 2


def _is_webview(node: Node) -> bool:
    return "webview" in node.cls.lower()


def is_webview_screen(h: Hierarchy) -> bool:
    """Is the foreground a page that is mostly a WebView (:data:`WEBVIEW_SHARE` of the screen)? Such a
    page may be the policy even when nothing on it says so; the URL in the captured traffic has to tell."""
    window = foreground_window(h)
    x1, y1, x2, y2 = h.screen
    screen = (x2 - x1) * (y2 - y1)
    return window is not None and any(_is_webview(n) and n.area >= WEBVIEW_SHARE * screen for n in window.walk())


def main_window(h: Hierarchy, app_package: str, lex: UiLexicon | None = None) -> Node | None:
    """The app's largest window, when it is in the foreground and nothing of the app covers it."""
    lex = lex or load_ui_lexicon()
    foreground = foreground_window(h, lex)
    if foreground is None or foreground.package != app_package:
        return None
    own = [h.windows[i] for i in window_order(h, lex) if h.windows[i].package == app_package]
    largest = max(own, key=lambda w: w.area)
    return largest if largest is own[0] else None


def looks_like_main(h: Hierarchy, app_package: str) -> str | None:
    """A short name of the heuristic that says this is the app's main interface, else None."""
    lex = load_ui_lexicon()
    window = main_window(h, app_package, lex)
    if window is None or window.area == 0:
        return None
    tabs = _bottom_navigation(h, window)
    if tabs:
        return "bottom navigation: " + "/".join(tabs)
    if _has_back(window, lex):
        return None
    tabs = _tab_layout(h, window)
    if tabs:
        return "tab layout: " + "/".join(tabs)
    if _toolbar_with_content(window, lex):
        return "toolbar + content"
    return None


def _short(label: str) -> bool:
    return 0 < len(label) <= TAB_LABEL_LIMIT


def _interactive(node: Node) -> bool:
    return any(n.clickable or n.selected or n.checkable for n in node.walk())


def _bottom_navigation(h: Hierarchy, window: Node) -> list[str]:
    wx1, wy1, wx2, wy2 = window.bounds
    width, height = wx2 - wx1, wy2 - wy1
    for parent in window.walk():
        items = [c for c in parent.children if c.area > 0]
        if not 3 <= len(items) <= 5:
            continue
        tops = [c.bounds[1] for c in items]
        if min(tops) < wy1 + 0.75 * height or max(tops) - min(tops) > ROW_TOLERANCE:
            continue
        if any(c.bounds[3] - c.bounds[1] > 0.2 * height or c.bounds[2] - c.bounds[0] > width / 2 for c in items):
            continue
        ordered = sorted(items, key=lambda c: c.bounds[0])
        if any(a.bounds[2] > b.bounds[0] for a, b in pairwise(ordered)):
            continue
        if ordered[-1].bounds[2] - ordered[0].bounds[0] < 0.6 * width or not all(map(_interactive, items)):
            continue
        labels = [target_label(c, h) for c in ordered]
        if sum(1 for label in labels if _short(label)) >= 3:
            return [label for label in labels if label]
    return []


def _tab_layout(h: Hierarchy, window: Node) -> list[str]:
    wy1, wy2 = window.bounds[1], window.bounds[3]
    for node in window.walk():
        cls = node.cls.lower()
        is_tabs = "tablayout" in cls or "tabwidget" in cls or ("horizontalscrollview" in cls and node.scrollable)
        if not is_tabs or node.bounds[1] > wy1 + 0.4 * (wy2 - wy1):
            continue
        row = node.children
        while len(row) == 1:  # TabLayout wraps its tabs in a SlidingTabIndicator
            row = row[0].children
        labels = [target_label(t, h) for t in row]
        if sum(1 for label in labels if _short(label)) >= 3 and any(n.selected for t in row for n in t.walk()):
            return [label for label in labels if label]
    return []


def _has_back(window: Node, lex: UiLexicon) -> bool:
    top = window.bounds[1] + 0.15 * (window.bounds[3] - window.bounds[1])
    return any(
        n.bounds[1] < top and n.label and (lex.back_labels.matches(n.label) or lex.close_labels.matches(n.label))
        for n in window.walk()
    )


def _toolbar_with_content(window: Node, lex: UiLexicon) -> bool:
    wy1, wy2 = window.bounds[1], window.bounds[3]
    height = wy2 - wy1
    toolbars = [
        n
        for n in window.walk()
        if n.bounds[1] < wy1 + 0.2 * height
        and ("toolbar" in n.cls.lower() or n.resource_id.rsplit("/", 1)[-1].lower() in _TOOLBAR_IDS)
    ]
    if not toolbars or any(lex.policy_titles.matches(n.label) for t in toolbars for n in t.walk() if n.label):
        return False
    bottom = max(t.bounds[3] for t in toolbars)
    return any(n.scrollable and n.bounds[1] >= bottom - 1 and n.area >= 0.4 * window.area for n in window.walk())
