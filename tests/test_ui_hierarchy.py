"""Reading uiautomator dumps (``appaudit.device.ui.hierarchy``), canonical state ids (``state``) and
tap targets (``selectors``).

Fixtures in ``fixtures/ui/`` are hand-written dumps in the real format (pretty-printed as uiautomator2
writes them, or on one line as ``adb exec-out uiautomator dump /dev/tty`` does):

================================  ==========================================================================
consent_dialog_cn.xml             示例商城 splash, consent dialog as a second window (不同意/同意, 《…》 links),
                                  status bar on top
consent_fullscreen_webview.xml    full-screen consent page, text in a WebView, 暂不使用/同意并继续
consent_prechecked.xml            first-run page, 我已阅读并同意 box ticked on arrival, 开始使用
consent_acknowledge_only.xml      dialog whose only button is 我知道了
consent_dialog_en.xml             English AlertDialog, DISAGREE/AGREE, Privacy Policy link
consent_webview_h5.xml            H5 consent dialog in a WebView (choices not clickable), native 关闭 icon
permission_location.xml           Android 13 location dialog, com.google.android.permissioncontroller (zh)
permission_phone.xml              phone dialog, com.android.permissioncontroller (en), one line
main_bottom_nav.xml               home page, bottom navigation 首页/发现/消息/我的
mine_page.xml                     我的 page with 设置 (row and unlabelled gear icon)
settings_page.xml                 设置: 隐私政策 entry, 清除缓存/注销账号/退出登录
policy_native.xml                 privacy policy as native text
policy_webview.xml                privacy policy in a WebView showing only 加载中…
icon_buttons.xml                  icon-only buttons (content-desc, resource id, nothing)
splash_countdown_5/3.xml          splash ad, 跳过 5 at 12:01 and 跳过 3 at 12:02
trailer_tty.xml                   one-line dump followed by "UI hierchary dumped to: /dev/tty"
error_idle_state.xml              the "ERROR: could not get idle state." output
================================  ==========================================================================
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from appaudit.device.driver import DeviceError
from appaudit.device.ui import hierarchy as hierarchy_module
from appaudit.device.ui.hierarchy import MAX_DUMP_CHARS, MAX_NODES, DumpError, Hierarchy, Node, parse_dump
from appaudit.device.ui.selectors import (
    MAX_TARGETS,
    Selector,
    clickable_targets,
    is_unsafe,
    node_at,
    selector_for,
    tap_point,
    unsafe_targets,
    window_order,
)
from appaudit.device.ui.state import REPEAT_CAP, mask, state_id

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ui"
SHOP = "com.example.shop"
HEADER = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def load(name: str) -> Hierarchy:
    return parse_dump((FIXTURES / name).read_bytes())


def find(h: Hierarchy, **fields: str) -> Node:
    found = Selector(**fields).find_all(h)
    assert len(found) == 1, f"{fields}: {len(found)} matches"
    return found[0]


# --------------------------------------------------------------------------- a small dump writer for inline cases


def node(
    cls: str = "android.widget.TextView",
    bounds: tuple[int, int, int, int] = (0, 0, 1080, 2400),
    *children: str,
    pkg: str = SHOP,
    **attrs: object,
) -> str:
    """One ``<node>`` in uiautomator's attribute order; keyword names use ``_`` for ``-``."""
    values: dict[str, object] = {
        "index": 0, "text": "", "resource-id": "", "class": cls, "package": pkg, "content-desc": "",
        "checkable": False, "checked": False, "clickable": False, "enabled": True, "focusable": False,
        "focused": False, "scrollable": False, "long-clickable": False, "password": False, "selected": False,
    }  # fmt: skip
    values.update({key.replace("_", "-"): value for key, value in attrs.items()})
    rendered = " ".join(
        f"{key}={quoteattr(str(value).lower() if isinstance(value, bool) else str(value))}"
        for key, value in values.items()
    )
    x1, y1, x2, y2 = bounds
    opening = f'<node {rendered} bounds="[{x1},{y1}][{x2},{y2}]"'
    return f"{opening}>{''.join(children)}</node>" if children else f"{opening} />"


def dump(*windows: str, rotation: int = 0) -> str:
    return f'{HEADER}<hierarchy rotation="{rotation}">{"".join(windows)}</hierarchy>'


def with_attrs(raw: str, resource_id: str, **attrs: object) -> str:
    """``raw`` with attributes of the one node whose resource-id is ``resource_id`` changed."""
    tags = re.findall(rf'<node [^>]*resource-id="{re.escape(resource_id)}"[^>]*>', raw)
    assert len(tags) == 1, f"{resource_id}: {len(tags)} nodes"
    tag = tags[0]
    for key, value in attrs.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        tag, count = re.subn(rf' {key.replace("_", "-")}="[^"]*"', f" {key.replace('_', '-')}={quoteattr(text)}", tag)
        assert count == 1, key
    return raw.replace(tags[0], tag)


def rows(count: int, label: str = "推荐商品") -> Iterable[str]:
    for i in range(count):
        y = 200 + 120 * i
        yield node(
            "android.widget.LinearLayout",
            (0, y, 1080, y + 120),
            node(bounds=(40, y + 20, 800, y + 100), text=label, resource_id=f"{SHOP}:id/tv_title"),
            resource_id=f"{SHOP}:id/item",
            clickable=True,
        )


def list_page(count: int) -> str:
    return dump(
        node(
            "android.widget.FrameLayout",
            (0, 0, 1080, 2400),
            node("androidx.recyclerview.widget.RecyclerView", (0, 200, 1080, 2400), *rows(count), scrollable=True),
        )
    )


# --------------------------------------------------------------------------- parsing


def test_parses_every_field_of_a_node() -> None:
    h = load("consent_dialog_cn.xml")
    assert h.rotation == 0
    assert [w.package for w in h.windows] == [SHOP, SHOP, "com.android.systemui"]
    assert h.packages() == (SHOP, "com.android.systemui")
    agree = find(h, text="同意")
    assert (agree.index, agree.resource_id, agree.cls, agree.package) == (
        1,
        f"{SHOP}:id/btn_agree",
        "android.widget.Button",
        SHOP,
    )
    assert (agree.clickable, agree.enabled, agree.focusable, agree.checkable, agree.checked) == (
        True,
        True,
        True,
        False,
        False,
    )
    assert (agree.scrollable, agree.long_clickable, agree.password, agree.selected, agree.focused) == (
        False,
        False,
        False,
        False,
        False,
    )
    assert agree.bounds == (540, 1600, 990, 1780)
    assert agree.center == (765, 1690)
    assert agree.window == 1
    assert agree.children == ()
    assert agree.label == "同意"
    scroll = find(h, cls="android.widget.ScrollView")
    assert scroll.scrollable and len(scroll.children) == 1
    assert h.node_count == len(list(h.nodes())) == 24
    assert not h.truncated


def test_nodes_are_depth_first_in_document_order_with_parents() -> None:
    h = load("settings_page.xml")
    nodes = list(h.nodes())
    assert [n.window for n in nodes] == sorted(n.window for n in nodes)
    row = find(h, resource_id=f"{SHOP}:id/row_privacy_policy")
    title = row.children[0]
    assert nodes.index(title) == nodes.index(row) + 1
    assert h.parent(title) is row
    assert h.position(title) == nodes.index(title)
    assert h.depth(title) == h.depth(row) + 1
    assert list(h.ancestors(title))[-1] is h.windows[0]
    assert h.parent(h.windows[0]) is None


def test_missing_attributes_take_defaults_and_label_falls_back() -> None:
    raw = '<node text=" 标题 "/><node content-desc="返回" hint="x"/><node hint="搜索"/>'
    h = parse_dump(f'<hierarchy rotation="1">{raw}</hierarchy>')
    first, second, third = h.windows
    assert h.rotation == 1
    assert (first.index, first.cls, first.package, first.resource_id, first.bounds) == (0, "", "", "", (0, 0, 0, 0))
    assert first.enabled and not first.clickable and not first.checked
    assert (first.label, second.label, third.label) == ("标题", "返回", "搜索")
    assert [w.window for w in h.windows] == [0, 1, 2]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ("[0,84][1080,2400]", (0, 84, 1080, 2400)),
        ("[-20,0][100,50]", (-20, 0, 100, 50)),
        ("[0,0][abc]", (0, 0, 0, 0)),
        ("", (0, 0, 0, 0)),
        ("[100,100][0,0]", (0, 0, 0, 0)),  # inverted
        ("[0,0][99999999,10]", (0, 0, 0, 0)),  # absurd
    ],
)
def test_malformed_bounds_become_empty(bounds: str, expected: tuple[int, int, int, int]) -> None:
    h = parse_dump(f'<hierarchy rotation="0"><node bounds="{bounds}" /></hierarchy>')
    assert h.windows[0].bounds == expected


def test_trailer_of_adb_exec_out_is_ignored() -> None:
    raw = fixture_text("trailer_tty.xml")
    assert raw.endswith("</hierarchy>UI hierchary dumped to: /dev/tty")  # the fixture is the real shape
    assert "\n" not in raw.strip()
    h = parse_dump(raw)
    assert find(h, resource_id=f"{SHOP}:id/tv_brand").text == "示例商城 & 好物"
    assert find(h, text="进入首页").clickable


def test_leading_noise_before_the_xml_is_ignored() -> None:
    raw = "WARNING: linker: app_process has text relocations.\n" + fixture_text("permission_phone.xml")
    assert parse_dump(raw).packages() == (SHOP, "com.android.permissioncontroller")


def test_idle_state_error_is_retryable() -> None:
    with pytest.raises(DumpError, match="could not get idle state") as info:
        parse_dump((FIXTURES / "error_idle_state.xml").read_bytes())
    assert info.value.retryable
    assert isinstance(info.value, DeviceError)


@pytest.mark.parametrize("raw", ["", b"", "   \n", b"\r\n"])
def test_empty_output_is_retryable(raw: str | bytes) -> None:
    with pytest.raises(DumpError, match="empty") as info:
        parse_dump(raw)
    assert info.value.retryable


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Killed", "not a uiautomator dump"),
        ("<html><body>hello</body></html>", "not a uiautomator dump"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a uiautomator dump"),
        ('<hierarchy rotation="0"><node text="a"></hierarchy>', "malformed"),
        ('<hierarchy rotation="0"><node text="a /></hierarchy>', "malformed"),
        ('<hierarchy rotation="0"><node text="a" /></node></hierarchy>', "malformed"),
        ('<hierarchy rotation="0"><node text="<b>" /></hierarchy>', "malformed"),
        ('<hierarchy rotation="0"><node text="&undefined;" /></hierarchy>', "malformed"),
    ],
)
def test_garbage_is_a_clear_non_retryable_error(raw: str | bytes, message: str) -> None:
    with pytest.raises(DumpError, match=message) as info:
        parse_dump(raw)
    assert not info.value.retryable


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + ']>\n<hierarchy rotation="0"><node text="&lol9;" /></hierarchy>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<hierarchy rotation="0"><node text="&xxe;" /></hierarchy>'
)


@pytest.mark.parametrize("raw", [BILLION_LAUGHS, XXE, BILLION_LAUGHS.encode("utf-8")], ids=["laughs", "xxe", "bytes"])
def test_hostile_dtd_is_refused_without_expansion(raw: str | bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(DumpError, match="DTD") as info:
        parse_dump(raw)
    assert time.perf_counter() - started < 1.0
    assert not info.value.retryable


@pytest.mark.parametrize(
    "raw",
    [
        BILLION_LAUGHS.split("\n", 1)[1],
        '<!DOCTYPE hierarchy SYSTEM "http://attacker.example/x.dtd"><hierarchy rotation="0"/>',
    ],
    ids=["entities", "external-dtd"],
)
def test_the_parser_itself_refuses_a_dtd(raw: str) -> None:
    """Defence in depth: past the text check, expat's DOCTYPE handler refuses before any declaration is read."""
    with pytest.raises(DumpError, match="DTD"):
        hierarchy_module._Builder().parse(raw)


def test_utf8_bytes_with_chinese_and_bom() -> None:
    raw = fixture_text("consent_dialog_cn.xml").encode("utf-8")
    assert find(parse_dump(raw), resource_id=f"{SHOP}:id/tv_title").text == "用户协议与隐私政策"
    assert find(parse_dump(b"\xef\xbb\xbf" + raw), resource_id=f"{SHOP}:id/tv_title").text == "用户协议与隐私政策"
    utf16 = fixture_text("consent_dialog_cn.xml").encode("utf-16")
    assert find(parse_dump(utf16), resource_id=f"{SHOP}:id/tv_title").text == "用户协议与隐私政策"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    raw = dump(node(text="ok")).encode("utf-8").replace(b"ok", b"o\xffk")
    assert parse_dump(raw).windows[0].text == "o\ufffdk"


def test_control_characters_and_bad_references_are_repaired() -> None:
    raw = dump(node(text="PLACEHOLDER")).replace("PLACEHOLDER", "同意\x07并继续&#1;&#x1F;&#x4E2D;&#20013; & 更多\x00")
    text = parse_dump(raw).windows[0].text
    assert text == "同意\ufffd并继续\ufffd\ufffd中中 & 更多\ufffd"


def test_newer_dumpers_wrapping_windows_in_display_elements() -> None:
    raw = f'<hierarchy rotation="3"><display id="0">{node(text="a")}{node(text="b")}</display></hierarchy>'
    h = parse_dump(raw)
    assert h.rotation == 3
    assert [(w.text, w.window) for w in h.windows] == [("a", 0), ("b", 1)]


def test_a_hierarchy_without_windows_is_valid() -> None:
    h = parse_dump('<hierarchy rotation="0"/>')
    assert h.windows == () and h.packages() == () and list(h.nodes()) == []


def test_huge_dump_is_cut_and_flagged() -> None:
    row = next(iter(rows(1)))  # two nodes
    raw = dump(node("android.widget.FrameLayout", (0, 0, 1080, 2400), row * 25_000))  # 50,001 nodes
    assert raw.count("<node ") == 50_001
    started = time.perf_counter()
    h = parse_dump(raw)
    assert time.perf_counter() - started < 5.0
    assert h.truncated
    assert h.node_count == MAX_NODES == len(list(h.nodes()))
    assert len(state_id(h)) == 16


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 30_000
    raw = '<hierarchy rotation="0">' + '<node class="android.widget.FrameLayout">' * depth + "</node>" * depth
    h = parse_dump(raw + "</hierarchy>")
    assert h.truncated and h.node_count == MAX_NODES
    deepest = list(h.nodes())[-1]
    assert h.depth(deepest) == MAX_NODES - 1
    assert state_id(h) and repr(h.windows[0])
    assert node_at(h, 0, 0) is None  # zero-sized windows contain no point


def test_small_dump_is_not_truncated() -> None:
    assert not load("main_bottom_nav.xml").truncated


def test_input_larger_than_the_limit_is_refused() -> None:
    with pytest.raises(DumpError, match="too large"):
        parse_dump(b" " * (MAX_DUMP_CHARS + 1))


def test_nodes_compare_by_identity() -> None:
    a, b = load("settings_page.xml"), load("settings_page.xml")
    assert a.windows[0] is not b.windows[0] and a.windows[0] != b.windows[0]
    assert state_id(a) == state_id(b)
    assert {a.windows[0]: 1}[a.windows[0]] == 1


# --------------------------------------------------------------------------- state ids


def test_state_id_is_sixteen_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", state_id(load("settings_page.xml")))


def test_countdown_and_clock_do_not_make_new_states() -> None:
    five, three = fixture_text("splash_countdown_5.xml"), fixture_text("splash_countdown_3.xml")
    assert "跳过 5" in five and "跳过 3" in three and "12:01" in five and "12:02" in three
    assert state_id(parse_dump(five)) == state_id(parse_dump(three))


def test_an_in_app_clock_ticking_is_the_same_state() -> None:
    page = dump(node("android.widget.FrameLayout", (0, 0, 1080, 2400), node(text="PLACEHOLDER")))
    ids = {state_id(parse_dump(page.replace("PLACEHOLDER", clock))) for clock in ("12:01", "12:02", "9:59")}
    assert len(ids) == 1
    assert mask("剩余 05:32 秒") == "剩余 #:# 秒"


def test_status_bar_changes_are_not_the_app_state() -> None:
    raw = fixture_text("settings_page.xml")
    with_notification = raw.replace('content-desc="WLAN 信号满格。"', 'content-desc="微信通知：你有一条新消息"')
    assert with_notification != raw
    assert state_id(parse_dump(raw)) == state_id(parse_dump(with_notification))


def test_scrolling_moves_bounds_but_not_the_state() -> None:
    raw = fixture_text("settings_page.xml")
    shifted = re.sub(r"\[(\d+),(\d+)\]", lambda m: f"[{m[1]},{int(m[2]) + 37}]", raw)
    assert shifted != raw
    assert state_id(parse_dump(raw)) == state_id(parse_dump(shifted))


def test_repeated_rows_are_capped() -> None:
    ten, fifty = state_id(parse_dump(list_page(10))), state_id(parse_dump(list_page(50)))
    assert ten == fifty == state_id(parse_dump(list_page(REPEAT_CAP)))
    assert state_id(parse_dump(list_page(1))) != ten


def test_a_dialog_appearing_is_a_new_state() -> None:
    h = load("consent_dialog_cn.xml")
    without_dialog = Hierarchy(h.rotation, (h.windows[0], h.windows[2]))
    assert state_id(h) != state_id(without_dialog)


def test_a_checkbox_toggled_is_a_new_state() -> None:
    ticked = fixture_text("consent_prechecked.xml")
    unticked = with_attrs(ticked, "com.example.reader:id/cb_agree", checked=False)
    assert unticked != ticked
    assert state_id(parse_dump(ticked)) != state_id(parse_dump(unticked))


def test_a_tab_selected_is_a_new_state() -> None:
    home = fixture_text("main_bottom_nav.xml")
    assert state_id(parse_dump(home)) != state_id(load("mine_page.xml"))
    reselected = home.replace('selected="true"', 'selected="false"')
    assert state_id(parse_dump(home)) != state_id(parse_dump(reselected))


def test_different_pages_are_different_states() -> None:
    names = [p.name for p in FIXTURES.glob("*.xml") if p.name not in ("error_idle_state.xml", "splash_countdown_3.xml")]
    ids = {name: state_id(load(name)) for name in names}
    assert len(set(ids.values())) == len(ids), ids


# --------------------------------------------------------------------------- selectors


def test_describe_is_readable_and_quoted() -> None:
    assert Selector(text="同意并继续").describe() == 'text="同意并继续"'
    assert Selector(resource_id="com.x:id/a", nth=2).describe() == 'resource-id="com.x:id/a" nth=2'
    assert Selector(content_desc='say "hi"').describe() == 'content-desc="say \\"hi\\""'
    assert Selector(cls="android.widget.ImageView").describe() == 'class="android.widget.ImageView"'
    assert Selector().describe() == "(empty selector)"
    assert Selector().find(load("settings_page.xml")) is None


def test_nth_counts_matches_in_document_order() -> None:
    h = load("settings_page.xml")
    arrows = Selector(resource_id=f"{SHOP}:id/iv_arrow").find_all(h)
    assert len(arrows) == 8
    assert Selector(resource_id=f"{SHOP}:id/iv_arrow", nth=3).find(h) is arrows[3]
    assert Selector(resource_id=f"{SHOP}:id/iv_arrow", nth=8).find(h) is None


@pytest.mark.parametrize(
    ("fixture", "target", "expected"),
    [
        ("consent_dialog_cn.xml", {"resource_id": f"{SHOP}:id/btn_agree"}, 'text="同意"'),
        ("settings_page.xml", {"resource_id": f"{SHOP}:id/row_privacy_policy"}, 'text="隐私政策"'),
        ("icon_buttons.xml", {"content_desc": "搜索"}, 'content-desc="搜索"'),
        ("icon_buttons.xml", {"resource_id": f"{SHOP}:id/iv_cart"}, f'resource-id="{SHOP}:id/iv_cart"'),
        ("mine_page.xml", {"resource_id": f"{SHOP}:id/iv_setting"}, f'resource-id="{SHOP}:id/iv_setting"'),
        ("splash_countdown_5.xml", {"text": "跳过 5"}, f'resource-id="{SHOP}:id/tv_skip"'),  # digits: not by text
        ("main_bottom_nav.xml", {"resource_id": f"{SHOP}:id/tab_mine"}, 'text="我的"'),
    ],
)
def test_selector_for_picks_the_most_stable_name(fixture: str, target: dict[str, str], expected: str) -> None:
    h = load(fixture)
    assert selector_for(find(h, **target), h).describe() == expected


def test_selector_for_an_anonymous_icon_uses_class_and_position() -> None:
    h = load("icon_buttons.xml")
    anonymous = next(n for n in h.nodes() if n.clickable and not n.label and not n.resource_id)
    selector = selector_for(anonymous, h)
    assert selector == Selector(cls="android.widget.ImageView", nth=2)
    assert selector.find(h) is anonymous


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.xml") if p.name != "error_idle_state.xml"))
def test_every_clickable_node_has_a_selector_that_finds_it(fixture: str) -> None:
    h = load(fixture)
    for n in (n for n in h.nodes() if n.clickable):
        found = selector_for(n, h).find(h)
        assert found is n or any(a is n for a in h.ancestors(found)), (fixture, n)  # row: via its label


# --------------------------------------------------------------------------- hit-testing


def test_window_order_puts_dialogs_above_the_app_and_chrome_on_top() -> None:
    h = load("consent_dialog_cn.xml")
    assert window_order(h) == (2, 1, 0)


def test_window_order_does_not_depend_on_document_order() -> None:
    """uiautomator lists window roots in no reliable z-order: a dialog listed first is still on top."""
    h = load("consent_dialog_cn.xml")
    reordered = Hierarchy(0, (h.windows[1], h.windows[0]))
    assert window_order(reordered) == (0, 1)
    hit = node_at(reordered, 540, 700)
    assert hit is not None and hit.package == SHOP and hit in set(reordered.windows[0].walk())


def test_a_tap_on_the_dialog_area_reaches_the_dialog_not_the_app_below() -> None:
    h = load("consent_dialog_cn.xml")
    ad = find(h, resource_id=f"{SHOP}:id/iv_splash_ad")  # clickable, under the dialog
    assert ad.contains(540, 700)
    hit = node_at(h, 540, 700)
    assert hit is not None and hit.window == 1 and hit is not ad
    assert node_at(h, 765, 1690) is find(h, text="同意")
    assert node_at(h, 540, 300) is ad  # outside the dialog the app is reached
    status = node_at(h, 100, 40)
    assert status is not None and status.package == "com.android.systemui"
    assert node_at(h, 5000, 5000) is None


def test_a_tap_on_a_label_reaches_its_clickable_row() -> None:
    h = load("settings_page.xml")
    label = find(h, text="隐私政策")
    assert not label.clickable
    assert node_at(h, *label.center) is find(h, resource_id=f"{SHOP}:id/row_privacy_policy")


def test_later_siblings_are_on_top() -> None:
    page = dump(
        node(
            "android.widget.FrameLayout",
            (0, 0, 1080, 2400),
            node(
                "android.widget.FrameLayout",
                (0, 0, 1080, 2400),
                node(bounds=(0, 0, 1080, 1000), text="below", clickable=True),
                node(bounds=(500, 500, 700, 700), text="floating", clickable=True),
                node(bounds=(0, 900, 1080, 1100), text="label on top, not clickable"),
            ),
        )
    )
    h = parse_dump(page)
    assert node_at(h, 600, 600) is find(h, text="floating")
    assert node_at(h, 100, 100) is find(h, text="below")
    assert node_at(h, 100, 950) is find(h, text="below")  # the unclickable label passes the touch on
    assert node_at(h, 100, 1050) is find(h, text="label on top, not clickable")  # nothing clickable: swallowed


def test_tap_point_is_the_centre_when_uncovered() -> None:
    h = load("consent_dialog_cn.xml")
    agree = find(h, text="同意")
    assert tap_point(agree, h) == agree.center


def test_tap_point_is_nudged_out_from_under_a_dialog() -> None:
    h = load("consent_dialog_cn.xml")
    ad = find(h, resource_id=f"{SHOP}:id/iv_splash_ad")
    assert node_at(h, *ad.center) is not ad  # the dialog covers its centre
    x, y = tap_point(ad, h)
    assert (x, y) != ad.center and ad.contains(x, y)
    assert node_at(h, x, y) is ad


# --------------------------------------------------------------------------- exploration targets


def labels_of(targets: list[tuple[Selector, Node]]) -> list[str]:
    return [s.describe() for s, _ in targets]


def test_settings_targets_leave_out_unsafe_and_back() -> None:
    h = load("settings_page.xml")
    targets = labels_of(clickable_targets(h, SHOP))
    assert targets == [
        'text="账号与安全"',
        'text="消息通知"',
        'text="隐私设置"',
        'text="隐私政策"',
        'text="用户协议"',
        'text="关于我们"',
    ]
    assert labels_of(unsafe_targets(h, SHOP)) == ['text="清除缓存"', 'text="注销账号"', 'text="退出登录"']


def test_targets_of_a_dialog_are_only_the_dialogs() -> None:
    h = load("consent_dialog_cn.xml")
    assert labels_of(clickable_targets(h, SHOP)) == [
        'text="《用户协议》"',
        'text="《隐私政策》"',
        'text="不同意"',
        'text="同意"',
    ]


def test_no_targets_when_another_package_is_in_front() -> None:
    assert clickable_targets(load("permission_location.xml"), SHOP) == []
    assert clickable_targets(load("settings_page.xml"), "com.other.app") == []


def test_icon_only_buttons_are_named_by_description_or_id() -> None:
    h = load("icon_buttons.xml")
    assert labels_of(clickable_targets(h, SHOP)) == [
        'content-desc="搜索"',
        'content-desc="分享"',
        'content-desc="更多选项"',
        f'resource-id="{SHOP}:id/iv_cart"',
        'class="android.widget.ImageView" nth=2',
    ]
    assert labels_of(unsafe_targets(h, SHOP)) == ['content-desc="删除"']


def test_list_items_differing_only_in_digits_are_one_target() -> None:
    h = load("main_bottom_nav.xml")
    targets = labels_of(clickable_targets(h, SHOP))
    assert sum("item_goods" in t for t in targets) == 1
    assert targets[-4:] == ['text="首页"', 'text="发现"', 'text="消息"', 'text="我的"']
    assert targets == labels_of(clickable_targets(load("main_bottom_nav.xml"), SHOP))  # stable


def test_mine_page_offers_the_settings_row_and_gear() -> None:
    targets = labels_of(clickable_targets(load("mine_page.xml"), SHOP))
    assert 'text="设置"' in targets and f'resource-id="{SHOP}:id/iv_setting"' in targets


def test_targets_are_capped() -> None:
    buttons = (
        node("android.widget.Button", (0, 10 * i, 1080, 10 * i + 10), text=f"入口{chr(0x4E00 + i)}", clickable=True)
        for i in range(MAX_TARGETS + 50)
    )
    h = parse_dump(dump(node("android.widget.FrameLayout", (0, 0, 1080, 2400), *buttons)))
    targets = clickable_targets(h, SHOP)
    assert len(targets) == MAX_TARGETS
    assert targets[0][0] == Selector(text="入口一")


@pytest.mark.parametrize(
    ("label", "resource_id", "unsafe"),
    [
        ("退出登录", "", True),
        ("注销账号", "", True),
        ("立即支付", "", True),
        ("Log out", "", True),
        ("", "com.x:id/btn_logout", True),
        ("", "com.x:id/payButton", True),
        ("显示设置", "com.x:id/display_mode", False),
        ("隐私政策", "com.x:id/row_privacy", False),
        ("Callback settings", "", False),
    ],
)
def test_unsafe_labels_and_ids(label: str, resource_id: str, unsafe: bool) -> None:
    assert is_unsafe(Node(text=label, resource_id=resource_id)) is unsafe
