"""What a screen is (``appaudit.device.ui.classify``): consent prompts, permission dialogs, policy pages,
the main interface; and the keyword lexicon behind them. Fixtures: see ``test_ui_hierarchy``."""

from __future__ import annotations

import re
import time

import pytest
from test_ui_hierarchy import SHOP, dump, fixture_text, load, node, with_attrs

from appaudit.device.ui import lexicon as lexicon_module
from appaudit.device.ui.classify import ScreenAnalysis, analyse, is_policy_screen, looks_like_main, visible_texts
from appaudit.device.ui.consent import ACKNOWLEDGE, AGREE, REFUSE, WEAK_REFUSE, role_of
from appaudit.device.ui.hierarchy import Hierarchy, parse_dump
from appaudit.device.ui.lexicon import load_ui_lexicon
from appaudit.device.ui.selectors import Selector, clickable_targets
from appaudit.device.ui.state import state_id
from appaudit.errors import DataFileError
from appaudit.evidence.device import ConsentPrompt
from appaudit.knowledge.permissions import load_permission_table

READER, VIDEO, NEWS = "com.example.reader", "com.example.video", "com.example.news"
GOOGLE_PC, AOSP_PC = "com.google.android.permissioncontroller", "com.android.permissioncontroller"
FRAME = "android.widget.FrameLayout"
CHECKBOX = f"{READER}:id/cb_agree"
V = "android.view.View"


def analysed(name: str, package: str = SHOP) -> ScreenAnalysis:
    return analyse(load(name), package)


def described(selectors: tuple[Selector, ...]) -> list[str]:
    return [s.describe() for s in selectors]


@pytest.mark.parametrize(
    ("fixture", "package", "kind", "foreground"),
    [
        ("consent_dialog_cn.xml", SHOP, "consent_prompt", SHOP),
        ("consent_fullscreen_webview.xml", SHOP, "consent_prompt", SHOP),
        ("consent_prechecked.xml", READER, "consent_prompt", READER),
        ("consent_acknowledge_only.xml", VIDEO, "consent_prompt", VIDEO),
        ("consent_dialog_en.xml", NEWS, "consent_prompt", NEWS),
        ("consent_webview_h5.xml", SHOP, "consent_prompt", SHOP),
        ("permission_location.xml", SHOP, "permission_dialog", GOOGLE_PC),
        ("permission_phone.xml", SHOP, "permission_dialog", AOSP_PC),
        ("main_bottom_nav.xml", SHOP, "main", SHOP),
        ("mine_page.xml", SHOP, "main", SHOP),
        ("settings_page.xml", SHOP, "other", SHOP),
        ("policy_native.xml", SHOP, "policy", SHOP),
        ("policy_webview.xml", SHOP, "policy", SHOP),
        ("icon_buttons.xml", SHOP, "other", SHOP),
        ("splash_countdown_5.xml", SHOP, "other", SHOP),
        ("trailer_tty.xml", SHOP, "other", SHOP),
    ],
)
def test_every_fixture_is_classified(fixture: str, package: str, kind: str, foreground: str) -> None:
    analysis = analysed(fixture, package)
    assert (analysis.kind, analysis.package) == (kind, foreground)
    assert (analysis.consent is not None) == (kind == "consent_prompt")
    assert bool(analysis.permissions) == (kind == "permission_dialog")


# --------------------------------------------------------------------------- consent prompts


def test_chinese_consent_dialog_over_the_app() -> None:
    a = analysed("consent_dialog_cn.xml")
    assert a.consent == ConsentPrompt(
        policy_links=("《用户协议》", "《隐私政策》"),
        agree_labels=("同意",),
        refuse_labels=("不同意",),
        prechecked=(),
        acknowledge_only=False,
    )
    assert (a.agree, a.refuse) == (Selector(text="同意"), Selector(text="不同意"))
    assert described(a.policy_links) == ['text="《用户协议》"', 'text="《隐私政策》"']
    assert a.prechecked == () and a.unticked == ()
    assert a.texts[:2] == ("用户协议与隐私政策", a.texts[1]) and a.texts[1].startswith("欢迎使用示例商城")
    assert a.texts[-1] == "85%"  # the status bar comes last


def test_full_screen_consent_page_with_a_webview() -> None:
    a = analysed("consent_fullscreen_webview.xml")
    assert a.consent is not None
    assert (a.consent.agree_labels, a.consent.refuse_labels) == (("同意并继续",), ("暂不使用",))
    assert a.consent.policy_links == ("《示例商城隐私政策》",)
    assert (a.agree, a.refuse) == (Selector(text="同意并继续"), Selector(text="暂不使用"))
    assert described(a.policy_links) == ['text="《示例商城隐私政策》"']


def test_pre_ticked_consent_box() -> None:
    a = analysed("consent_prechecked.xml", READER)
    assert a.consent is not None
    assert a.consent.prechecked == ("我已阅读并同意《用户协议》和《隐私政策》",)
    assert a.prechecked == (Selector(resource_id=CHECKBOX),)
    assert a.unticked == ()
    assert a.agree == Selector(text="开始使用") and a.consent.agree_labels == ("开始使用",)
    assert a.refuse is None and a.consent.refuse_labels == ()
    assert a.consent.policy_links == ("《用户协议》", "《隐私政策》")
    assert a.policy_links == ()  # spans inside one TextView: named, not tappable


def test_a_clickable_consent_statement_is_not_a_link_but_its_spans_are() -> None:
    raw = with_attrs(fixture_text("consent_prechecked.xml"), f"{READER}:id/tv_protocol", clickable=True)
    a = analyse(parse_dump(raw), READER)
    assert a.consent is not None and a.consent.policy_links == ("《用户协议》", "《隐私政策》")
    assert a.policy_links == ()


def test_a_link_and_the_same_span_in_the_text_are_one_link() -> None:
    raw = fixture_text("consent_dialog_cn.xml").replace('text="《隐私政策》"', 'text="查看《隐私政策》"')
    a = analyse(parse_dump(raw), SHOP)
    assert a.consent is not None and a.consent.policy_links == ("《用户协议》", "查看《隐私政策》")
    assert described(a.policy_links) == ['text="《用户协议》"', 'text="查看《隐私政策》"']


def test_unticked_consent_box_is_reported_for_ticking() -> None:
    raw = with_attrs(fixture_text("consent_prechecked.xml"), CHECKBOX, checked=False)
    a = analyse(parse_dump(raw), READER)
    assert a.kind == "consent_prompt" and a.consent is not None
    assert a.consent.prechecked == () and a.prechecked == ()
    assert a.unticked == (Selector(resource_id=CHECKBOX),)


def test_an_image_drawn_tick_counts_as_a_box() -> None:
    """Many apps draw the agreement box as an ImageView whose selected state is the tick."""
    image = with_attrs(
        fixture_text("consent_prechecked.xml"),
        CHECKBOX,
        **{"class": "android.widget.ImageView"},
        checkable=False,
        checked=False,
    )
    unticked = analyse(parse_dump(image), READER)
    assert unticked.unticked == (Selector(resource_id=CHECKBOX),) and unticked.prechecked == ()
    ticked = analyse(parse_dump(with_attrs(image, CHECKBOX, selected=True)), READER)
    assert ticked.consent is not None and ticked.consent.prechecked == ("我已阅读并同意《用户协议》和《隐私政策》",)
    assert ticked.prechecked == (Selector(resource_id=CHECKBOX),)


def test_login_page_with_a_ticked_box_is_reported_but_never_agreed() -> None:
    raw = fixture_text("consent_prechecked.xml").replace('text="开始使用"', 'text="登录"')
    a = analyse(parse_dump(raw), READER)
    assert a.kind == "consent_prompt" and a.consent is not None
    assert a.consent.prechecked == ("我已阅读并同意《用户协议》和《隐私政策》",)
    assert a.agree is None and a.consent.agree_labels == ()


def test_acknowledge_only_dialog() -> None:
    a = analysed("consent_acknowledge_only.xml", VIDEO)
    assert a.consent == ConsentPrompt(
        policy_links=("《隐私政策》",),
        agree_labels=("我知道了",),
        refuse_labels=(),
        prechecked=(),
        acknowledge_only=True,
    )
    assert a.agree == Selector(text="我知道了") and a.refuse is None


def test_acknowledgement_beside_a_refusal_is_a_real_choice() -> None:
    raw = fixture_text("consent_acknowledge_only.xml")
    ok = re.search(r'<node [^>]*:id/dialog_ok"[^>]*/>', raw)
    assert ok is not None
    refuse = node("android.widget.Button", (180, 1560, 900, 1600), pkg=VIDEO, text="不同意", clickable=True)
    a = analyse(parse_dump(raw.replace(ok[0], ok[0] + refuse)), VIDEO)
    assert a.consent is not None
    assert a.consent.acknowledge_only is False
    assert (a.consent.agree_labels, a.consent.refuse_labels) == (("我知道了",), ("不同意",))
    assert (a.agree, a.refuse) == (Selector(text="我知道了"), Selector(text="不同意"))


def test_english_consent_dialog() -> None:
    a = analysed("consent_dialog_en.xml", NEWS)
    assert a.consent is not None
    assert (a.consent.agree_labels, a.consent.refuse_labels) == (("AGREE",), ("DISAGREE",))
    assert a.consent.policy_links == ("Privacy Policy", "Terms of Service")
    assert (a.agree, a.refuse) == (Selector(text="AGREE"), Selector(text="DISAGREE"))
    assert not a.consent.acknowledge_only


def test_h5_consent_in_a_webview_with_unclickable_choices() -> None:
    a = analysed("consent_webview_h5.xml")
    assert a.consent is not None
    assert (a.consent.agree_labels, a.consent.refuse_labels) == (("同意",), ("不同意",))
    assert (a.agree, a.refuse) == (Selector(text="同意"), Selector(text="不同意"))  # explicit refusal beats 关闭
    assert a.consent.policy_links == ("《隐私政策》",)


def test_close_icon_is_the_refusal_when_there_is_no_other() -> None:
    raw = fixture_text("consent_webview_h5.xml").replace('text="不同意"', 'text=""')
    a = analyse(parse_dump(raw), SHOP)
    assert a.consent is not None
    assert a.consent.refuse_labels == ("关闭",) and a.refuse == Selector(content_desc="关闭")
    assert a.consent.agree_labels == ("同意",) and not a.consent.acknowledge_only


def test_icon_close_known_only_by_resource_id() -> None:
    raw = (
        fixture_text("consent_webview_h5.xml")
        .replace('text="不同意"', 'text=""')
        .replace('content-desc="关闭"', 'content-desc=""')
    )
    a = analyse(parse_dump(raw), SHOP)
    assert a.consent is not None and a.refuse == Selector(resource_id=f"{SHOP}:id/iv_close")


def test_refuse_words_are_tested_before_agree_words() -> None:
    lex = load_ui_lexicon()
    assert role_of("不同意并退出", lex) == REFUSE
    assert role_of("暂不同意", lex) == REFUSE
    assert role_of("Disagree", lex) == REFUSE
    assert role_of("Don’t agree", lex) == REFUSE
    assert role_of("同意并继续", lex) == AGREE
    assert role_of("I Agree", lex) == AGREE
    assert role_of("取消", lex) == WEAK_REFUSE
    assert role_of("好的", lex) == ACKNOWLEDGE
    assert role_of("好友", lex) is None  # exact list: 好 does not match inside a word
    assert role_of("设置", lex) is None


def settings_with_confirmation(buttons: tuple[str, str]) -> str:
    """The settings page with an in-window confirmation (no separate window) at the bottom."""
    cancel, ok = buttons
    extra = node(
        "android.widget.LinearLayout",
        (100, 1800, 980, 2100),
        node(bounds=(120, 1820, 960, 1900), text="确定要清除缓存吗？"),
        node("android.widget.Button", (120, 1950, 500, 2080), text=cancel, clickable=True),
        node("android.widget.Button", (560, 1950, 960, 2080), text=ok, clickable=True),
    )
    raw = fixture_text("settings_page.xml")
    anchor = raw.index('<node index="1" text="" resource-id="com.example.shop:id/rv_settings"')
    return raw[:anchor] + extra + raw[anchor:]


def test_a_confirmation_over_a_page_that_mentions_the_policy_is_not_consent() -> None:
    a = analyse(parse_dump(settings_with_confirmation(("取消", "确定"))), SHOP)
    assert a.kind == "other" and a.consent is None


def test_explicit_agree_choice_beside_a_policy_mention_is_consent() -> None:
    a = analyse(parse_dump(settings_with_confirmation(("不同意", "同意"))), SHOP)
    assert a.kind == "consent_prompt"


def test_settings_page_mentioning_the_policy_is_not_consent() -> None:
    a = analysed("settings_page.xml")
    assert a.kind == "other" and a.consent is None and a.agree is None


def test_consent_of_another_app_is_not_this_apps_prompt() -> None:
    assert analysed("consent_dialog_cn.xml", "com.other.app").kind != "consent_prompt"


# --------------------------------------------------------------------------- permission dialogs


def test_location_permission_dialog() -> None:
    a = analysed("permission_location.xml")
    assert a.permissions == ("LOCATION",)
    assert a.permission_message == "要允许“示例商城”获取此设备的位置信息吗？"
    assert a.allow == Selector(resource_id=f"{GOOGLE_PC}:id/permission_allow_foreground_only_button")
    assert a.deny == Selector(resource_id=f"{GOOGLE_PC}:id/permission_deny_button")
    assert a.consent is None and a.agree is None


def test_phone_permission_dialog() -> None:
    a = analysed("permission_phone.xml")
    assert a.permissions == ("PHONE",)
    assert a.allow == Selector(resource_id=f"{AOSP_PC}:id/permission_allow_button")
    assert a.deny == Selector(resource_id=f"{AOSP_PC}:id/permission_deny_button")


def test_permission_dialog_over_a_consent_prompt_wins() -> None:
    consent = load("consent_dialog_cn.xml")
    permission = load("permission_phone.xml")
    both = Hierarchy(0, (*consent.windows, permission.windows[1]))
    assert analyse(both, SHOP).kind == "permission_dialog"


def test_permission_controller_settings_page_is_not_a_dialog() -> None:
    page = node(
        FRAME,
        (0, 0, 1080, 2400),
        node(bounds=(40, 120, 800, 200), text="应用权限"),
        node(
            "android.widget.LinearLayout",
            (0, 300, 1080, 450),
            node(bounds=(40, 340, 800, 420), text="位置信息"),
            clickable=True,
        ),
        pkg=GOOGLE_PC,
    )
    a = analyse(parse_dump(dump(page)), SHOP)
    assert (a.kind, a.package, a.permissions) == ("other", GOOGLE_PC, ())


def test_vendor_permission_dialog_without_aosp_ids_by_label() -> None:
    raw = (
        fixture_text("permission_phone.xml")
        .replace(":id/permission_allow_button", ":id/btn_a")
        .replace(":id/permission_deny_button", ":id/btn_b")
    )
    a = analyse(parse_dump(raw), SHOP)
    assert a.allow == Selector(text="Allow") and a.deny == Selector(text="Don’t allow")


@pytest.mark.parametrize(
    ("message", "groups"),
    [
        ("要允许“示例”拍摄照片和录制视频吗？", ("CAMERA",)),
        ("Allow Example to take pictures and record video?", ("CAMERA",)),
        ("要允许“示例”录制音频吗？", ("MICROPHONE",)),
        ("要允许“示例”访问您的通讯录吗？", ("CONTACTS",)),
        ("Allow Example to access your phone call logs?", ("CALL_LOG",)),
        ("要允许“示例”访问您设备上的照片、媒体内容和文件吗？", ("STORAGE",)),
        ("Allow Example to access photos, media, and files on your device?", ("STORAGE",)),
        ("Allow Example to access photos and videos on this device?", ("READ_MEDIA_VISUAL",)),
        ("要允许“示例”发送和查看短信吗？", ("SMS",)),
        ("要允许“示例”向您发送通知吗？", ("NOTIFICATIONS",)),
        (
            "Allow Example to find, connect to, and determine the relative position of nearby devices?",
            ("NEARBY_DEVICES",),
        ),
        ("Allow Example to access your physical activity?", ("ACTIVITY_RECOGNITION",)),
        ("Allow Example to access your calendar?", ("CALENDAR",)),
        ("Allow Example to do something new?", ()),
    ],
)
def test_permission_messages_map_to_groups(message: str, groups: tuple[str, ...]) -> None:
    assert load_ui_lexicon().permission_groups_in(message) == groups


# --------------------------------------------------------------------------- policy pages


def test_native_and_webview_policy_pages() -> None:
    assert is_policy_screen(load("policy_native.xml"))
    assert is_policy_screen(load("policy_webview.xml"))


def test_a_user_agreement_webview_is_not_the_privacy_policy() -> None:
    raw = fixture_text("policy_webview.xml").replace('text="隐私政策"', 'text="用户协议"')
    assert not is_policy_screen(parse_dump(raw))


def test_settings_entry_is_not_the_policy_page() -> None:
    assert not is_policy_screen(load("settings_page.xml"))
    assert not is_policy_screen(load("main_bottom_nav.xml"))


def test_a_policy_entry_inside_another_webview_page_is_not_the_policy() -> None:
    """An H5 page titled 活动中心 that lists a 隐私政策 entry is not the policy page: the heading above the
    WebView decides, not any label on the screen."""
    raw = fixture_text("policy_webview.xml").replace('text="隐私政策"', 'text="活动中心"')
    entry = node(V, (40, 2200, 800, 2300), text="隐私政策", clickable=True)
    with_entry = raw.replace('<node index="0" text="加载中…"', entry + '<node index="0" text="加载中…"')
    assert with_entry != raw
    assert not is_policy_screen(parse_dump(raw))
    assert not is_policy_screen(parse_dump(with_entry))


def test_long_text_without_a_policy_heading_is_not_the_policy() -> None:
    raw = fixture_text("policy_native.xml").replace("隐私政策", "活动规则")
    assert not is_policy_screen(parse_dump(raw))


def test_a_heading_without_policy_text_is_not_the_policy() -> None:
    raw, paragraphs = re.subn(r'text="[^"]{40,}"', 'text=""', fixture_text("policy_native.xml"))
    assert paragraphs == 4
    assert not is_policy_screen(parse_dump(raw))


def test_a_page_titled_like_the_policy_but_not_about_it_is_not_the_policy() -> None:
    chatter = "今天天气晴朗，适合出门散步，傍晚的时候记得带上一件外套，晚上气温会明显下降，注意不要着凉。"
    raw, paragraphs = re.subn(r'text="[^"]{40,}"', f'text="{chatter}"', fixture_text("policy_native.xml"))
    assert paragraphs == 4
    assert not is_policy_screen(parse_dump(raw))


def test_an_untitled_webview_is_flagged_for_the_traffic_to_decide() -> None:
    raw = fixture_text("policy_webview.xml").replace('text="隐私政策"', 'text=""')
    a = analyse(parse_dump(raw), SHOP)
    assert a.kind == "other" and a.webview
    assert analysed("policy_webview.xml").webview
    assert not analysed("settings_page.xml").webview
    assert not analysed("consent_webview_h5.xml").webview  # a WebView in a dialog, not the page


def test_policy_opened_in_a_browser_counts() -> None:
    raw = fixture_text("policy_webview.xml").replace('package="com.example.shop"', 'package="com.android.chrome"')
    assert analyse(parse_dump(raw), SHOP).kind == "policy"


# --------------------------------------------------------------------------- main interface


def test_bottom_navigation_is_the_main_interface() -> None:
    assert looks_like_main(load("main_bottom_nav.xml"), SHOP) == "bottom navigation: 首页/发现/消息/我的"
    assert looks_like_main(load("mine_page.xml"), SHOP) == "bottom navigation: 首页/发现/消息/我的"
    assert analysed("main_bottom_nav.xml").main == "bottom navigation: 首页/发现/消息/我的"


@pytest.mark.parametrize(
    "fixture", ["settings_page.xml", "policy_native.xml", "splash_countdown_5.xml", "consent_dialog_cn.xml"]
)
def test_other_screens_are_not_the_main_interface(fixture: str) -> None:
    assert looks_like_main(load(fixture), SHOP) is None


def test_main_interface_under_a_dialog_or_another_app_is_not_reached() -> None:
    home, consent = load("main_bottom_nav.xml"), load("consent_dialog_cn.xml")
    assert looks_like_main(Hierarchy(0, (home.windows[0], consent.windows[1])), SHOP) is None
    assert looks_like_main(Hierarchy(0, (home.windows[0], load("permission_phone.xml").windows[1])), SHOP) is None
    assert looks_like_main(home, "com.other.app") is None


def tab_page(*, back: bool, selected: bool = True) -> Hierarchy:
    tabs = [
        node(bounds=(40 + 200 * i, 250, 200 + 200 * i, 330), text=label, clickable=True, selected=selected and i == 0)
        for i, label in enumerate(("推荐", "关注", "热门"))
    ]
    bar = (
        [node("android.widget.ImageButton", (0, 84, 150, 230), content_desc="转到上一层级", clickable=True)]
        if back
        else []
    )
    return parse_dump(
        dump(
            node(
                FRAME,
                (0, 0, 1080, 2400),
                *bar,
                node(
                    "com.google.android.material.tabs.TabLayout",
                    (0, 240, 1080, 340),
                    node("android.widget.LinearLayout", (0, 240, 1080, 340), *tabs),
                ),
                node("androidx.viewpager.widget.ViewPager", (0, 340, 1080, 2400), scrollable=True),
            )
        )
    )


def test_top_tab_layout_is_the_main_interface() -> None:
    assert looks_like_main(tab_page(back=False), SHOP) == "tab layout: 推荐/关注/热门"
    assert looks_like_main(tab_page(back=True), SHOP) is None
    assert looks_like_main(tab_page(back=False, selected=False), SHOP) is None


def toolbar_page(title: str, *, back: bool) -> Hierarchy:
    up = (
        [node("android.widget.ImageButton", (0, 84, 150, 230), content_desc="Navigate up", clickable=True)]
        if back
        else []
    )
    return parse_dump(
        dump(
            node(
                FRAME,
                (0, 0, 1080, 2400),
                node(
                    "android.view.ViewGroup",
                    (0, 84, 1080, 230),
                    *up,
                    node(bounds=(180, 120, 600, 200), text=title),
                    resource_id=f"{SHOP}:id/toolbar",
                ),
                node("androidx.recyclerview.widget.RecyclerView", (0, 230, 1080, 2400), scrollable=True),
            )
        )
    )


def test_toolbar_with_content_is_the_main_interface() -> None:
    assert looks_like_main(toolbar_page("示例笔记", back=False), SHOP) == "toolbar + content"
    assert looks_like_main(toolbar_page("示例笔记", back=True), SHOP) is None
    assert looks_like_main(toolbar_page("隐私政策", back=False), SHOP) is None


# --------------------------------------------------------------------------- evidence texts


def test_texts_are_capped_and_dialog_first() -> None:
    many = parse_dump(
        dump(node(FRAME, (0, 0, 1080, 2400), *(node(bounds=(0, i, 10, i + 1), text=f"第{i}行") for i in range(30))))
    )
    assert len(visible_texts(many)) == 20
    assert analyse(many, SHOP).texts == tuple(f"第{i}行" for i in range(20))
    assert analysed("permission_location.xml").texts[0] == "要允许“示例商城”获取此设备的位置信息吗？"


# --------------------------------------------------------------------------- lexicon


def test_lexicon_lists_classify_their_own_entries() -> None:
    lex = load_ui_lexicon()
    for entry in lex.refuse_labels.entries:
        assert role_of(entry, lex) == REFUSE, entry
    for entry in lex.weak_refuse_labels.entries:
        assert role_of(entry, lex) in (REFUSE, WEAK_REFUSE), entry
    for entry in lex.agree_labels.entries:
        assert role_of(entry, lex) == AGREE, entry
    for entry in lex.acknowledge_labels.entries:
        assert role_of(entry, lex) == ACKNOWLEDGE, entry


def test_lexicon_permission_groups_exist_in_the_permission_table() -> None:
    known = {p.group for p in load_permission_table() if p.group}
    named = {g.name for g in load_ui_lexicon().permission_groups}
    assert named <= known, named - known
    assert {"LOCATION", "PHONE", "CAMERA", "MICROPHONE", "CONTACTS", "STORAGE", "SMS"} <= named


def test_lexicon_covers_the_documented_words() -> None:
    lex = load_ui_lexicon()
    for word in ("隐私政策", "隐私协议", "个人信息保护", "用户协议", "服务协议", "隐私权政策", "privacy policy"):
        assert lex.policy_words.matches(word), word
    for word in (
        "退出登录",
        "注销账号",
        "删除",
        "支付",
        "购买",
        "卸载",
        "清除缓存",
        "logout",
        "delete",
        "pay",
        "buy",
        "uninstall",
    ):
        assert lex.unsafe_labels.matches(word), word
    assert lex.permission_packages == {
        GOOGLE_PC,
        AOSP_PC,
        "com.android.packageinstaller",
        "com.google.android.packageinstaller",
    }


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"description": "d", "source": "s", "entries": []}, "non-empty list"),
        ({"description": "d", "source": "s", "entries": ["同意", "同意"]}, "duplicate"),
        ({"description": "d", "entries": ["a"]}, "'source'"),
        ({"description": "d", "source": "s", "entries": ["a"], "match": "regex"}, "match must be"),
        ({"description": "d", "source": "s", "entries": ["a"], "extra": 1}, "unknown key"),
        ("just a string", "must be a mapping"),
    ],
)
def test_malformed_lexicon_sections_are_rejected(section: object, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        lexicon_module._phrases("ui_lexicon.yaml", "agree_labels", section)


# --------------------------------------------------------------------------- hostile sizes


def hostile_dumps() -> dict[str, str]:
    """20,000-node screens built to make quadratic code crawl: a clickable chain, overlapping buttons."""
    depth = 20_000
    opening = f'<node class="{FRAME}" package="{SHOP}" clickable="true" bounds="[0,0][1080,2400]">'
    button = node("android.widget.Button", (0, 0, 1080, 2400), text="同意", clickable=True)
    span = node(bounds=(0, 0, 1080, 2400), text="请阅读《隐私政策》了解我们如何收集您的信息", clickable=True)
    box = node("android.widget.CheckBox", (0, 0, 60, 60), checkable=True, checked=True)
    return {
        "chain": f'<hierarchy rotation="0">{opening * depth}{"</node>" * depth}</hierarchy>',
        "overlapping": dump(node(FRAME, (0, 0, 1080, 2400), (button + span + box) * 6_666)),
    }


@pytest.mark.parametrize("name", ["chain", "overlapping"])
def test_hostile_screens_are_analysed_in_bounded_time(name: str) -> None:
    h = parse_dump(hostile_dumps()[name])
    assert h.node_count >= 19_990
    started = time.perf_counter()
    analysis = analyse(h, SHOP)
    targets = clickable_targets(h, SHOP)
    assert len(state_id(h)) == 16
    assert time.perf_counter() - started < 8.0
    assert analysis.kind in ("consent_prompt", "other")
    assert len(targets) <= 200
