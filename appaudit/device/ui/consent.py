"""Finding a consent prompt on a screen: its policy links, its choices and any pre-ticked box.

Where: the app's topmost window (a dialog is its own window over the app; a full-screen consent page is
the only window).

What makes a prompt: choices, and policy words that read as a request for consent.

* **Choices** are short labels (at most :data:`CHOICE_LIMIT` characters, no policy word, no 《》) of
  clickable nodes, or of labels inside a small clickable container (a row or a button made of a
  TextView). Each is sorted by the first list that matches, refuse words first (不同意 contains 同意):
  ``refuse_labels``, ``weak_refuse_labels`` (取消, 退出), ``agree_labels``, ``acknowledge_labels``
  (好的, 我知道了), ``proceed_labels`` (开始使用), ``close_labels`` (an icon whose content-desc is 关闭,
  or an unlabelled clickable whose resource id says close). When no clickable choice is found, labels
  that are exactly a choice word count even if not clickable (H5 pages in a WebView often expose none).
* **Policy words** (``policy_words``) count strongly in a sentence (a label of
  :data:`SENTENCE_LIMIT` characters or more), inside 《》, or on a screen with a WebView; a bare short
  mention (a settings row "隐私政策") counts only beside an explicit agree or refuse choice, so a
  confirmation dialog over a settings page is not a prompt. 同意/不同意 over a WebView with no readable
  text is a prompt too.
* **Consent boxes**: a checkable node (or an icon whose resource id says agree/check/tick, whose
  ``selected`` state is the tick) labelled by, or next to, a consent statement (``consent_statement``:
  我已阅读并同意…) or a policy word. A box ticked on arrival is ``prechecked``.

The choice offered: refuse is the first refuse choice (explicit before weak); agree the first agree
choice, else an acknowledgement (then ``acknowledge_only`` when there is no refuse choice: no real choice
is offered), else, on a page with a consent box, the proceed button. A close icon is the refuse choice
only beside an explicit agree choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from appaudit.device.ui.hierarchy import Hierarchy, Node
from appaudit.device.ui.lexicon import UiLexicon, normalise
from appaudit.device.ui.selectors import Selector, selector_for
from appaudit.evidence.device import ConsentPrompt

CHOICE_LIMIT = 20  # a choice label is short: "不同意并退出", "Agree and continue"
SENTENCE_LIMIT = 12  # a label this long that names a policy is a sentence asking for consent
LINK_LIMIT = 30  # a clickable label naming a policy and no longer than this is a link to it
MAX_BOXES = 20  # checkable controls examined per screen
BUTTON_DEPTH = 4  # a button's label sits at most this many levels inside the clickable node
CONTAINER_LABELS = 3  # a clickable ancestor with more labelled nodes than this is a panel, not a button
_BRACKETED = re.compile(r"《[^《》]{1,30}》")
_CHECKBOX_CLASSES = ("checkbox", "switch", "checkedtextview", "radiobutton", "togglebutton")

# Choice roles, in the order a label is tested against them.
REFUSE, WEAK_REFUSE, AGREE, ACKNOWLEDGE, PROCEED, CLOSE = "refuse", "weak_refuse", "agree", "ack", "proceed", "close"


@dataclass(frozen=True)
class Choice:
    role: str
    label: str
    node: Node  # the node to tap (the clickable one when the label sits inside it)


@dataclass(frozen=True)
class ConsentBox:
    node: Node
    label: str  # the statement beside it
    ticked: bool


@dataclass(frozen=True)
class ConsentFinding:
    """A consent prompt found on one screen, with selectors the driver can tap."""

    prompt: ConsentPrompt
    agree: Selector | None
    refuse: Selector | None
    policy_links: tuple[Selector, ...]
    prechecked: tuple[Selector, ...]
    unticked: tuple[Selector, ...]  # consent boxes to tick before the proceed button works


def find_consent(h: Hierarchy, scope: Node, lex: UiLexicon) -> ConsentFinding | None:
    """The consent prompt in window ``scope`` of ``h``, or None when the window does not ask for consent."""
    nodes = list(scope.walk())
    labelled = [(n, n.label) for n in nodes if n.label]
    mentions = [(n, label) for n, label in labelled if lex.policy_words.matches(label)]
    webview = any("webview" in n.cls.lower() for n in nodes)
    choices = _choices(h, scope, labelled, lex)
    boxes = _consent_boxes(h, scope, lex)
    roles = {c.role for c in choices}
    explicit = bool(roles & {REFUSE, AGREE})
    strong = any(len(label) >= SENTENCE_LIMIT or _BRACKETED.search(label) for _, label in mentions) or (
        webview and bool(mentions)
    )
    asks = strong or (bool(mentions) and explicit) or (webview and {REFUSE, AGREE} <= roles)
    offers = bool(roles & {REFUSE, WEAK_REFUSE, AGREE, ACKNOWLEDGE}) or (bool(boxes) and bool(mentions))
    if not (asks and offers):
        return None
    return _finding(h, choices, boxes, mentions, lex)


def _finding(
    h: Hierarchy,
    choices: list[Choice],
    boxes: list[ConsentBox],
    mentions: list[tuple[Node, str]],
    lex: UiLexicon,
) -> ConsentFinding:
    def of(*roles: str) -> list[Choice]:
        return [c for role in roles for c in choices if c.role == role]

    refuse_choices, agree_choices = of(REFUSE, WEAK_REFUSE), of(AGREE)
    acknowledge_only = False
    if not agree_choices and of(ACKNOWLEDGE):
        agree_choices = of(ACKNOWLEDGE)
        acknowledge_only = not refuse_choices
    if not agree_choices and boxes:
        agree_choices = of(PROCEED)
    if not refuse_choices and of(AGREE):
        refuse_choices = of(CLOSE)
    links = _policy_links(h, mentions, lex)
    prompt = ConsentPrompt(
        policy_links=tuple(dict.fromkeys(label for label, _ in links)),
        agree_labels=tuple(dict.fromkeys(c.label for c in agree_choices)),
        refuse_labels=tuple(dict.fromkeys(c.label for c in refuse_choices)),
        prechecked=tuple(dict.fromkeys(b.label for b in boxes if b.ticked)),
        acknowledge_only=acknowledge_only,
    )
    return ConsentFinding(
        prompt=prompt,
        agree=selector_for(agree_choices[0].node, h) if agree_choices else None,
        refuse=selector_for(refuse_choices[0].node, h) if refuse_choices else None,
        policy_links=tuple(selector_for(node, h) for _, node in links if node is not None),
        prechecked=tuple(selector_for(b.node, h) for b in boxes if b.ticked),
        unticked=tuple(selector_for(b.node, h) for b in boxes if not b.ticked),
    )


# --------------------------------------------------------------------------- choices


def role_of(label: str, lex: UiLexicon) -> str | None:
    """Which choice a short label offers; refuse words are tested before agree words."""
    tests = (
        (REFUSE, lex.refuse_labels),
        (WEAK_REFUSE, lex.weak_refuse_labels),
        (AGREE, lex.agree_labels),
        (ACKNOWLEDGE, lex.acknowledge_labels),
        (PROCEED, lex.proceed_labels),
        (CLOSE, lex.close_labels),
    )
    return next((role for role, phrases in tests if phrases.matches(label)), None)


def _is_choice_label(label: str, lex: UiLexicon) -> bool:
    return len(label) <= CHOICE_LIMIT and "《" not in label and not lex.policy_words.matches(label)


def _tap_target(h: Hierarchy, node: Node, scope: Node) -> Node | None:
    """The node itself when clickable, else a small clickable ancestor (at most BUTTON_DEPTH levels up)."""
    if node.clickable:
        return node
    for ancestor in islice(h.ancestors(node), BUTTON_DEPTH):
        if ancestor.clickable:
            small = h.labelled_count(ancestor) <= CONTAINER_LABELS
            return ancestor if small and ancestor is not scope else None
    return None


def _choices(h: Hierarchy, scope: Node, labelled: list[tuple[Node, str]], lex: UiLexicon) -> list[Choice]:
    clickable: list[Choice] = []
    loose: list[Choice] = []
    taken: set[Node] = set()
    for node, label in labelled:
        if not _is_choice_label(label, lex):
            continue
        role = role_of(label, lex)
        if role is None:
            continue
        target = _tap_target(h, node, scope)
        if target is not None and target not in taken:
            taken.add(target)
            clickable.append(Choice(role, label, target))
        elif target is None and _exact_choice(label, role, lex):
            loose.append(Choice(role, label, node))
    for node in scope.walk():  # icon-only close buttons: no label anywhere, a resource id that says close
        rid = node.resource_id.rsplit("/", 1)[-1]
        if node.clickable and node not in taken and lex.close_id_words.matches(rid) and not h.labelled_count(node):
            clickable.append(Choice(CLOSE, normalise(rid), node))
    if any(c.role in (REFUSE, AGREE, ACKNOWLEDGE) for c in clickable):
        return clickable
    return clickable + loose


def _exact_choice(label: str, role: str, lex: UiLexicon) -> bool:
    """A non-clickable label counts as a choice only when it is exactly a choice word."""
    phrases = {REFUSE: lex.refuse_labels, AGREE: lex.agree_labels}.get(role)
    if phrases is None:
        return role in (WEAK_REFUSE, ACKNOWLEDGE)  # exact lists already
    key = normalise(label).strip(" .!。！")
    return any(normalise(entry) == key for entry in phrases.entries)


# --------------------------------------------------------------------------- links and boxes


def _policy_links(h: Hierarchy, mentions: list[tuple[Node, str]], lex: UiLexicon) -> list[tuple[str, Node | None]]:
    """(label, node to tap or None): clickable policy labels, then 《…》 spans inside longer labels
    (ClickableSpans of one TextView, which the dump does not show as nodes). A consent statement
    ("我已阅读并同意《隐私政策》", the label of the box) is not a link itself; its spans are."""
    found: list[tuple[str, Node | None]] = []
    seen: set[str] = set()

    def add(label: str, node: Node | None) -> None:
        spans = _BRACKETED.findall(label)
        key = normalise(spans[0] if spans else label).strip("《》")
        if key not in seen:
            seen.add(key)
            found.append((label, node))

    for node, label in mentions:
        if len(label) <= LINK_LIMIT and _clickable_here(h, node) and not lex.consent_statement.matches(label):
            add(label, node)
    for _node, label in mentions:
        for span in _BRACKETED.findall(label):
            add(span, None)
    return found


def _clickable_here(h: Hierarchy, node: Node) -> bool:
    """Clickable itself, or wrapped in a clickable parent that holds nothing else labelled."""
    if node.clickable:
        return True
    parent = h.parent(node)
    return parent is not None and parent.clickable and h.labelled_count(parent) <= 1


def _is_box(node: Node, lex: UiLexicon) -> bool:
    cls = node.cls.lower()
    if node.checkable or any(word in cls for word in _CHECKBOX_CLASSES):
        return True
    rid = node.resource_id.rsplit("/", 1)[-1]
    return bool(rid) and not node.label and node.clickable and lex.checkbox_id_words.matches(rid)


def _consent_boxes(h: Hierarchy, scope: Node, lex: UiLexicon) -> list[ConsentBox]:
    boxes: list[ConsentBox] = []
    candidates = (node for node in scope.walk() if _is_box(node, lex))
    for examined, node in enumerate(candidates):
        if examined >= MAX_BOXES:  # a consent screen has one or two; more is a list of settings (or hostile)
            break
        label = _box_statement(h, node, scope, lex)
        if label:
            boxes.append(ConsentBox(node, label, node.checked or (not node.checkable and node.selected)))
    return boxes


def _states_consent(label: str, lex: UiLexicon) -> bool:
    return lex.consent_statement.matches(label) or lex.policy_words.matches(label)


def _box_statement(h: Hierarchy, box: Node, scope: Node, lex: UiLexicon) -> str:
    """The consent statement a box stands for: its own label, a sibling's, or the label on its right."""
    if box.label and _states_consent(box.label, lex):
        return box.label
    parent = h.parent(box)
    if parent is not None and parent is not scope:
        for node in parent.walk():
            if node is not box and node.label and _states_consent(node.label, lex):
                return node.label
    x1, y1, x2, y2 = box.bounds
    for node in scope.walk():
        nx1, ny1, _, ny2 = node.bounds
        beside = ny1 < y2 and ny2 > y1 and x2 <= nx1 <= x2 + 3 * max(1, x2 - x1)
        if beside and node.label and _states_consent(node.label, lex):
            return node.label
    return ""
