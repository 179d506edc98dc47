"""What a screen is: a consent prompt, a system permission dialog, the privacy policy, the app's main
interface, or something else; with what the driver needs to act on it and the evidence to keep.

Tested in this order, the first that holds wins:

1. ``permission_dialog``: the foreground window belongs to the permission controller
   (``permission_packages``) and shows its grant dialog (a ``permission_message``, or both an allow and
   a deny button; the controller's other screens are not dialogs). Shown over a consent prompt it still
   wins: it is what the user faces, and one before consent is direct evidence for item III.1.
2. ``consent_prompt``: the app's topmost window asks for consent (see :mod:`.consent`).
3. ``policy``: the foreground window shows the privacy policy (:func:`is_policy_screen`; any package,
   since apps open policies in a browser too).
4. ``main``: :func:`looks_like_main`.
5. ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.device.ui.consent import find_consent
from appaudit.device.ui.hierarchy import Hierarchy, Node
from appaudit.device.ui.lexicon import Phrases, UiLexicon, load_ui_lexicon
from appaudit.device.ui.screens import is_policy_screen, is_webview_screen, looks_like_main
from appaudit.device.ui.selectors import Selector, foreground_window, selector_for, window_order
from appaudit.evidence.device import ConsentPrompt

__all__ = ["ScreenAnalysis", "analyse", "is_policy_screen", "is_webview_screen", "looks_like_main", "visible_texts"]

CONSENT_PROMPT = "consent_prompt"
PERMISSION_DIALOG = "permission_dialog"
POLICY = "policy"
MAIN = "main"
OTHER = "other"
KINDS = (CONSENT_PROMPT, PERMISSION_DIALOG, POLICY, MAIN, OTHER)
TEXT_COUNT = 20  # labels kept as evidence
TEXT_LIMIT = 120  # characters kept of each


@dataclass(frozen=True)
class ScreenAnalysis:
    kind: str  # "consent_prompt" | "permission_dialog" | "policy" | "main" | "other"
    package: str  # the foreground (topmost non-chrome window's) package
    texts: tuple[str, ...]  # visible labels, topmost window first, for evidence
    consent: ConsentPrompt | None = None  # for kind == consent_prompt
    agree: Selector | None = None
    refuse: Selector | None = None
    policy_links: tuple[Selector, ...] = ()  # tappable links to a policy on the prompt
    prechecked: tuple[Selector, ...] = ()  # consent boxes ticked on arrival
    permissions: tuple[str, ...] = ()  # permission_dialog: groups named by the message (LOCATION, PHONE, ...)
    allow: Selector | None = None  # permission_dialog buttons
    deny: Selector | None = None
    unticked: tuple[Selector, ...] = ()  # consent boxes to tick before ``agree`` (a proceed button) works
    main: str | None = None  # kind == main: the heuristic that recognised it
    permission_message: str = ""  # permission_dialog: the message as shown
    webview: bool = False  # the foreground is mostly a WebView (a policy page may say nothing on screen)


def analyse(h: Hierarchy, app_package: str) -> ScreenAnalysis:
    """Classify the screen ``h`` for the app ``app_package`` (see the module docstring for the order)."""
    lex = load_ui_lexicon()
    foreground = foreground_window(h, lex)
    package = foreground.package if foreground is not None else ""
    texts = visible_texts(h, lex)
    webview = is_webview_screen(h)
    if foreground is not None and package in lex.permission_packages:
        dialog = _permission_dialog(h, foreground, texts, lex)
        if dialog is not None:
            return dialog
    scope = _app_window(h, app_package, lex)
    if scope is not None and scope is foreground:
        found = find_consent(h, scope, lex)
        if found is not None:
            return ScreenAnalysis(
                CONSENT_PROMPT,
                package,
                texts,
                consent=found.prompt,
                agree=found.agree,
                refuse=found.refuse,
                policy_links=found.policy_links,
                prechecked=found.prechecked,
                unticked=found.unticked,
                webview=webview,
            )
    if is_policy_screen(h):
        return ScreenAnalysis(POLICY, package, texts, webview=webview)
    main = looks_like_main(h, app_package)
    if main:
        return ScreenAnalysis(MAIN, package, texts, main=main, webview=webview)
    return ScreenAnalysis(OTHER, package, texts, webview=webview)


def visible_texts(h: Hierarchy, lexicon: UiLexicon | None = None) -> tuple[str, ...]:
    """The first labels a user sees: topmost window first (system chrome last), document order, no repeats."""
    lex = lexicon or load_ui_lexicon()
    order = sorted(window_order(h, lex), key=lambda i: h.windows[i].package in lex.system_chrome_packages)
    seen: dict[str, None] = {}
    for i in order:
        for node in h.windows[i].walk():
            label = " ".join(node.label.split())[:TEXT_LIMIT]
            if label:
                seen.setdefault(label)
                if len(seen) >= TEXT_COUNT:
                    return tuple(seen)
    return tuple(seen)


def _app_window(h: Hierarchy, app_package: str, lex: UiLexicon) -> Node | None:
    """The app's topmost window (any non-chrome window when no package is given)."""
    for i in window_order(h, lex):
        window = h.windows[i]
        if (window.package == app_package) if app_package else window.package not in lex.system_chrome_packages:
            return window
    return None


def _permission_dialog(h: Hierarchy, window: Node, texts: tuple[str, ...], lex: UiLexicon) -> ScreenAnalysis | None:
    """The grant dialog of the permission controller; None for its other screens (app permission lists)."""
    nodes = list(window.walk())
    message = next((n.label for n in nodes if _id_name(n) == "permission_message" and n.label), "")
    allow = _button(h, nodes, lex.permission_allow_ids, lex.permission_allow_labels)
    deny = _button(h, nodes, lex.permission_deny_ids, lex.permission_deny_labels)
    if not message and (allow is None or deny is None):
        return None
    named = lex.permission_groups_in(message or " ".join(n.label for n in nodes if n.label))
    return ScreenAnalysis(
        PERMISSION_DIALOG,
        window.package,
        texts,
        permissions=named,
        allow=allow,
        deny=deny,
        permission_message=message,
    )


def _id_name(node: Node) -> str:
    return node.resource_id.rsplit("/", 1)[-1] if ":id/" in node.resource_id else ""


def _button(h: Hierarchy, nodes: list[Node], ids: tuple[str, ...], labels: Phrases) -> Selector | None:
    """The first button by resource id preference, else by label (vendor dialogs without AOSP ids)."""
    for wanted in ids:
        node = next((n for n in nodes if _id_name(n) == wanted and n.enabled), None)
        if node is not None:  # by resource id: the same in every language
            by_id = Selector(resource_id=node.resource_id)
            return by_id if by_id.find(h) is node else selector_for(node, h)
    for wanted in labels.entries:
        node = next((n for n in nodes if n.clickable and n.label and wanted in labels.find(n.label)), None)
        if node is not None:
            return selector_for(node, h)
    return None
