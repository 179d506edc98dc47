"""The report as a person sees it: real headless Chromium (Playwright) on reports of the fixture apps.

Each report is produced by the real CLI: static scans of the fixture APKs, the hostile-strings APK,
and the demo's full simulated audit (a real mitmdump, the simulated device, agree/refuse/ignore
runs). Every page must render without console errors, network requests or dialogs; a screenshot of
each is saved under build/test-artifacts/ (or $APPAUDIT_TEST_ARTIFACTS).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from appaudit.report.i18n import catalog

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "fixtures" / "apps"
VERDICT_LABELS = {
    "en": {"violation": "violation", "pass": "pass", "needs_review": "needs review", "inconclusive": "inconclusive",
           "not_assessed": "not assessed", "error": "error"},
    "zh": {"violation": "违规", "pass": "通过", "needs_review": "需人工复核", "inconclusive": "无法判定",
           "not_assessed": "未评估", "error": "出错"},
}  # fmt: skip


def _appaudit(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "appaudit", "-q", *args], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> the report's directory (report.html, verdicts.json beside it)."""
    base = tmp_path_factory.mktemp("reports")
    out = {}
    for name, apk in (
        ("compliant", APPS / "compliant" / "compliant.apk"),
        ("violating", APPS / "violating" / "violating.apk"),
        ("hostile", APPS / "hostile-strings" / "hostile-strings.apk"),
    ):
        _appaudit("scan", str(apk), "-o", str(base / name))
        out[name] = base / name
    _appaudit("demo", "-o", str(base / "demo"))
    out["demo"] = base / "demo"
    return out


def _verdicts(folder: Path) -> dict[str, str]:
    data = json.loads((folder / "verdicts.json").read_text(encoding="utf-8"))
    return {r["item_id"]: r["verdict"] for r in data["results"]}


@pytest.mark.parametrize("name", ["compliant", "violating", "hostile", "demo"])
def test_report_renders_cleanly_and_shows_the_expected_verdicts(open_page, reports, name):
    folder = reports[name]
    s = open_page(folder / "report.html", width=1366, height=900)
    s.screenshot("first-screen")
    s.page.screenshot(path=str(s.screenshot("full-page")), full_page=True)
    s.assert_clean()
    expected = _verdicts(folder)
    assert len(expected) == 31
    for lang in ("zh", "en"):
        s.page.click(f'label[for="lang-{lang}"]')
        body = s.page.locator(f'.l10n[data-lang="{lang}"]')
        assert body.is_visible()
        items = body.locator("article[data-item]")
        assert items.count() == 31
        shown = {}
        for i in range(items.count()):
            article = items.nth(i)
            item_id = article.get_attribute("data-item")
            badge = article.locator(".item-verdict .badge").inner_text().strip()
            shown[item_id] = article.get_attribute("data-verdict")
            assert badge == VERDICT_LABELS[lang][shown[item_id]], (lang, item_id, badge)
        assert shown == expected, lang
        # The verdict counts of the first screen add up to the 31 items and match verdicts.json.
        chips = body.locator(".answer .count-chip")
        total = {c.get_attribute("data-verdict"): int(c.locator(".n").inner_text()) for c in chips.all()}
        assert sum(total.values()) == 31
        for verdict, n in total.items():
            assert n == sum(1 for v in expected.values() if v == verdict), (lang, verdict)
    s.assert_clean()


def test_language_switch_by_mouse_and_keyboard(open_page, reports):
    s = open_page(reports["violating"] / "report.html")
    page = s.page
    zh, en = page.locator('.l10n[data-lang="zh"]'), page.locator('.l10n[data-lang="en"]')
    assert zh.is_visible() and not en.is_visible()  # Chinese first
    assert page.locator("#zh-overview h2").inner_text() == catalog()["Does this app comply?"]
    page.click('label[for="lang-en"]')
    assert en.is_visible() and not zh.is_visible()
    assert en.locator("#en-overview h2").inner_text() == "Does this app comply?"
    s.screenshot("english")
    # Keyboard: the radios are real form controls; arrow keys move between them.
    page.focus("#lang-en")
    page.keyboard.press("ArrowLeft")
    assert page.is_checked("#lang-zh") and zh.is_visible() and not en.is_visible()
    # The visible body says which language it is in.
    assert zh.get_attribute("lang") == "zh-CN" and en.get_attribute("lang") == "en"
    # The official rule text is Chinese in both languages.
    official = en.locator("#en-item-III-1 dd.official").inner_text()
    assert official == zh.locator("#zh-item-III-1 dd.official").inner_text() and "同意" in official
    s.assert_clean()


def test_timeline_and_dataflow_carry_the_expected_marks(open_page, reports):
    s = open_page(reports["demo"] / "report.html", width=1366, height=900)
    page = s.page
    flow = page.locator('svg[data-figure="zh-dataflow"]')
    assert flow.is_visible()
    assert flow.locator('[data-mark="edge"][data-phase="before_consent"]').count() >= 2  # JPush and Umeng
    described = page.locator(f'[id="{flow.get_attribute("aria-labelledby").split()[1]}"]').text_content()
    assert "JPush" in described and "Umeng" in described  # the picture is also said in words
    timelines = page.locator('svg[data-figure^="zh-timeline-"]')
    assert timelines.count() == 3  # agree, refuse, ignore
    agree = page.locator('svg[data-figure="zh-timeline-agree-1"]')
    assert agree.locator('[data-mark="consent"]').count() == 1
    assert agree.locator('[data-mark="first-screen"]').count() == 1
    consent_x = float(agree.locator('[data-mark="consent"]').first.get_attribute("x1"))
    before = agree.locator('[data-mark="pi"][data-phase="before_consent"]')
    assert before.count() >= 1
    for i in range(before.count()):
        assert float(before.nth(i).get_attribute("cx")) < consent_x
    refuse = page.locator('svg[data-figure="zh-timeline-refuse-1"]')
    assert refuse.locator('[data-mark="exit"]').count() >= 1  # the demo app exits on refusal (IV.2)
    flow.scroll_into_view_if_needed()
    s.screenshot("figures")
    s.assert_clean()


def test_click_path_to_the_policy_is_shown_screen_by_screen(open_page, reports):
    s = open_page(reports["demo"] / "report.html", width=1366, height=900)
    page = s.page
    page.click('label[for="lang-en"]')
    item = page.locator("#en-item-I-3")
    assert item.get_attribute("data-verdict") == "violation"
    steps = item.locator(".ui-path > li")
    assert steps.count() == 5
    assert [steps.nth(i).locator(".ui-action").inner_text().split(" ", 1)[1] for i in range(5)] == [
        "tap “我的”", "tap “设置”", "tap “隐私设置”", "tap “隐私协议”", "tap “隐私政策”",
    ]  # fmt: skip
    for i in range(5):
        assert steps.nth(i).locator('[data-mark="tapped"]').count() == 1
    item.scroll_into_view_if_needed()
    item.screenshot(path=str(s.screenshot("click-path")))
    s.assert_clean()


def test_hostile_strings_neither_run_nor_break_the_layout(open_page, reports):
    s = open_page(reports["hostile"] / "report.html", width=1280, height=900)
    page = s.page
    assert page.evaluate("document.scripts.length") == 0
    for lang in ("zh", "en"):
        page.click(f'label[for="lang-{lang}"]')
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"{lang}: the page scrolls sideways ({width}px)"
        h1 = page.locator(f'.l10n[data-lang="{lang}"] h1')
        assert h1.bounding_box()["height"] < 300, "a very long label must not take over the first screen"
        assert '<script>alert("label")</script>' in h1.inner_text()  # shown as text
        assert "⟨U+202E⟩" in h1.inner_text()  # the override is visible, not obeyed
    s.screenshot("hostile")
    s.assert_clean()  # no dialog, no console error, no request


def test_structure_is_accessible(open_page, reports):
    s = open_page(reports["demo"] / "report.html")
    page = s.page
    for lang in ("zh", "en"):
        page.click(f'label[for="lang-{lang}"]')
        body = page.locator(f'.l10n[data-lang="{lang}"]')
        assert body.locator("h1").count() == 1
        for landmark in ("header", "nav", "main", "footer"):
            assert body.locator(landmark).first.is_visible(), landmark
        for svg in body.locator("svg").all():
            assert svg.get_attribute("role") == "img"
            for ref in svg.get_attribute("aria-labelledby").split():
                assert page.locator(f'[id="{ref}"]').count() == 1, ref
        for img in body.locator("img").all():
            assert img.get_attribute("alt")
        # Heading levels never skip (h2 -> h4 without an h3).
        levels = [int(t[1]) for t in body.locator("h1, h2, h3, h4, h5").evaluate_all("els => els.map(e => e.tagName)")]
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    # The skip link is the first thing Tab reaches after the language switch.
    page.click('label[for="lang-zh"]')
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip", focused
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), "ids must be unique across both languages"
    s.assert_clean()


def test_print_media_hides_navigation_and_switch(open_page, reports):
    s = open_page(reports["violating"] / "report.html")
    page = s.page
    page.emulate_media(media="print")
    assert not page.locator(".lang-switch").is_visible()
    assert not page.locator('.l10n[data-lang="zh"] nav.toc').is_visible()
    assert page.locator('.l10n[data-lang="zh"] article[data-item="III.1"]').is_visible()
    s.assert_clean()


# WCAG 2 contrast of every visible text element against its effective background, in the browser.
_CONTRAST_JS = """
(root) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    if (el.closest('svg')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const s = getComputedStyle(el); if (s.visibility === 'hidden') continue;
    const fg = parse(s.color); const bg = background(el); const a = fg[3] * opacity(el);
    const mixed = [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a));
    const [l1, l2] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    const label = `${el.tagName}.${el.className}: ${ratio.toFixed(2)}`;
    if (ratio < (large ? 3 : 4.5)) bad.push(`${label} "${el.textContent.trim().slice(0, 40)}"`);
  }
  return bad;
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_text_has_readable_contrast(open_page, reports, lang):
    s = open_page(reports["demo"] / "report.html", width=1366, height=900)
    s.page.click(f'label[for="lang-{lang}"]')
    body = s.page.locator(f'.l10n[data-lang="{lang}"]')
    low = body.evaluate(_CONTRAST_JS)
    assert not low, f"{len(low)} text elements below WCAG AA contrast:\n" + "\n".join(low[:25])
