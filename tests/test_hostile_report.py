"""The report of an APK whose every string attacks it (fixtures/apps/hostile-strings) stays inert.

The app's label, version name, <queries> packages, string resources, DEX constants and bundled
privacy policy carry markup, script URLs, entities, bidi overrides and very long runs (see the
fixture's EXPECTED.md). These tests read the generated report.html without a browser: nothing is
executable, nothing links anywhere, and the hostile text is still shown to the reader, escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from appaudit.cli import main
from appaudit.report.visible_text import visible

APK = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "hostile-strings" / "hostile-strings.apk"

LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis"
LABEL_START = '<script>alert("label")</script>"\'&<b>bold</b> \u202eevil\u202c ' + LONG_WORD
VERSION = "6.6.6\"<b>'&amp;</title></style><script>alert('version')</script>"

# Text the report must show as it is (HTML-decoded text of the page), with where it comes from.
SHOWN = {
    "label": LABEL_START,
    "label-long-run": (LONG_WORD * 67)[:3000],
    "label-cjk-run": "超长应用名称没有任何空格" * 25,
    "version-name": VERSION,  # "&amp;" is five characters of data: it must not be decoded
    "queries-package": "com.evil.</style><script>alert('queries')</script>",
    "queries-package-attribute": 'com.evil."onmouseover=alert(1)".javascript:alert(1)',
    "long-activity-name": "com.appaudit.fixture.hostile." + "VeryLongActivityNameWithoutAnyBreakOpportunity" * 6,
    "policy-title": "隐私政策 </title><script>alert('title')</script> \u202elmth.yciloP",
    "policy-heading": "一、我们收集的个人信息 <script>alert('h2')</script>",
    "policy-sdk-row": "<script>alert('sdk')</script>统计SDK",
    "policy-table-breakout": "恶意</td></tr></table>科技有限公司",
    "consent-string": "<a href=\"javascript:alert('consent')\">点击查看</a><img src=x onerror=alert('consent')>",
    "consent-title": "用户协议与隐私政策 </title></style><script>alert('consent title')</script>",
    "dex-policy-string": "</style><script>alert('dex style')</script> 隐私政策",
    "dex-script-url": "javascript:alert(document.cookie)//隐私政策",
    "entities-in-url": "privacy?q=&quot;&gt;&lt;script&gt;alert",  # entities as data, never decoded
}

URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "srcset", "poster", "data", "background", "cite", "ping", "xlink:href"}
)
EXECUTABLE_ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "link"}
)
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides and isolates
ISOLATING = re.compile(r"unicode-bidi\s*:\s*(isolate|isolate-override|plaintext)", re.IGNORECASE)
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class Tree(HTMLParser):
    """The report as a tree (it is generated, so well-formed); text and attribute values are decoded."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.elements: list[Element] = []
        self._open = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self._open)
        self._open.children.append(element)
        self.elements.append(element)
        if tag not in VOID:
            self._open = element

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        node: Element | None = self._open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self._open = node.parent

    def handle_data(self, data):
        self._open.children.append(data)

    def text_nodes(self) -> list[tuple[str, Element]]:
        found: list[tuple[str, Element]] = []

        def walk(element: Element) -> None:
            for child in element.children:
                if isinstance(child, str):
                    found.append((child, element))
                else:
                    walk(child)

        walk(self.root)
        return found


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "out"
    result = CliRunner().invoke(main, ["-q", "scan", str(APK), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.fixture(scope="module")
def html(report) -> str:
    return report.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tree(html) -> Tree:
    return Tree(html)


@pytest.fixture(scope="module")
def page_text(tree) -> str:
    return tree.root.text()


def test_scan_of_the_hostile_app_succeeds(report):
    assert report.is_file()
    assert (report.parent / "evidence.json").is_file()


def test_there_is_no_script_at_all(html, tree):
    assert not re.search(r"<\s*script", html, re.IGNORECASE), "a <script could only come from the APK's data"
    found = {e.tag for e in tree.elements} & EXECUTABLE_ELEMENTS
    assert not found, found
    handlers = [(e.tag, name) for e in tree.elements for name in e.attrs if name.lower().startswith("on")]
    assert not handlers, handlers
    refresh = [e.attrs for e in tree.elements if e.tag == "meta" and e.attrs.get("http-equiv", "").lower() == "refresh"]
    assert not refresh, refresh


def test_data_never_closes_the_raw_text_elements(html, tree):
    # Every <title> (the page's, and SVG figures') and <style> is closed exactly once: a "</title>"
    # or "</style>" from the data would add a closing tag and end the element early.
    for tag in ("title", "style"):
        opened = len(re.findall(rf"<{tag}\b", html, re.IGNORECASE))
        closed = len(re.findall(rf"</{tag}\s*>", html, re.IGNORECASE))
        assert opened == closed == sum(e.tag == tag for e in tree.elements), tag
    assert sum(e.tag == "title" and e.parent.tag == "head" for e in tree.elements) == 1
    csp = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert len(csp) == 1 and "default-src 'none'" in csp[0], csp


def test_markup_in_the_label_is_not_markup(tree):
    bold = [e for e in tree.elements if e.tag == "b" and e.text() == "bold"]
    assert not bold, "the label's <b>bold</b> became an element"


@pytest.mark.parametrize(("where", "text"), list(SHOWN.items()), ids=list(SHOWN))
def test_hostile_text_is_shown_escaped_not_dropped(page_text, where, text):
    # Invisible and direction-changing characters are shown as ⟨U+XXXX⟩ tokens; everything else verbatim.
    assert visible(text) in page_text, f"{where}: the report dropped or altered {text[:80]!r}"


def test_entities_in_the_data_are_escaped_again(html):
    # Decoding them once would turn data into markup; the source must carry "&amp;quot;" etc.
    assert "&amp;quot;&amp;gt;&amp;lt;script&amp;gt;" in html
    assert "&amp;amp;&lt;/title&gt;&lt;/style&gt;" in html  # the version name's "&amp;"


def test_no_url_attribute_carries_a_script_url_or_leaves_the_page(tree):
    for element in tree.elements:
        for name, value in element.attrs.items():
            if name.lower() not in URL_ATTRIBUTES:
                continue
            compact = re.sub(r"[\x00-\x20]", "", value).lower()
            assert not compact.startswith(("javascript:", "vbscript:", "data:text/html")), (element.tag, name, value)
            if name == "href":
                assert value.startswith("#"), f"an href leaves the page: {value!r}"
            else:
                assert compact.startswith("data:image/"), (element.tag, name, value)


def test_script_urls_from_the_apk_are_only_text(tree, page_text):
    assert "javascript:alert(document.cookie)" in page_text
    assert 'com.evil."onmouseover=alert(1)".javascript:alert(1)' in page_text


def _isolating_selectors(tree: Tree) -> list[tuple[str | None, set[str]]]:
    """(tag, classes) of the last compound of every CSS selector whose rule isolates bidi text."""
    css = "".join(e.text() for e in tree.elements if e.tag == "style")
    selectors: list[tuple[str | None, set[str]]] = []
    for selector_list, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if not ISOLATING.search(body):
            continue
        for selector in selector_list.split(","):
            last = re.split(r"[\s>+~]+", selector.strip())[-1]
            tag = re.match(r"^[a-zA-Z][a-zA-Z0-9]*", last)
            selectors.append((tag.group(0).lower() if tag else None, set(re.findall(r"\.([\w-]+)", last))))
    return selectors


def _isolated(element: Element, selectors: list[tuple[str | None, set[str]]]) -> bool:
    if element.tag == "bdi" or "dir" in element.attrs:  # HTML isolates both
        return True
    return any((tag is None or tag == element.tag) and classes <= element.classes for tag, classes in selectors)


def test_bidi_overrides_are_neutralised_or_isolated(tree):
    """Every text node with a bidi control is either free of it (shown as an escape) or isolated.

    The element directly holding the text must isolate it (<bdi>, a dir attribute, or a class whose
    CSS rule sets unicode-bidi: isolate or plaintext), so that an override the APK never closes
    cannot reorder what follows. <title> cannot isolate: there the control must be neutralised.
    """
    selectors = _isolating_selectors(tree)
    leaking = []
    for text, holder in tree.text_nodes():
        if not BIDI_CONTROLS.search(text) or holder.tag in ("style",):
            continue
        if holder.tag == "title" or not _isolated(holder, selectors):
            leaking.append(f"<{holder.tag} class={holder.attrs.get('class', '')!r}>: {text[:60]!r}")
    assert not leaking, f"{len(leaking)} text nodes with unisolated bidi controls:\n" + "\n".join(leaking[:20])
