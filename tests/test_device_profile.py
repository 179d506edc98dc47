"""Device profiles: the example files load, every key maps to a PI type, bad input names the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appaudit.errors import InputError
from appaudit.knowledge.pi_types import load_pi_taxonomy
from appaudit.traffic.profile import PI_TYPE_OF_KEY, DeviceProfile, load_profile, parse_profile

PROFILES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"
EMULATOR = PROFILES / "emulator.json"


def test_emulator_profile_loads_with_the_emulator_values() -> None:
    profile = load_profile(EMULATOR)
    assert profile.imei == ("358240051111110",)
    assert profile.imsi == "310260000000000"
    assert profile.iccid == "89014103211118510720"
    assert len(profile.android_id or "") == 16
    assert profile.locations == ((39.9042, 116.4074),)
    assert "com.appaudit.canary.alpha" in profile.packages
    assert profile.custom and profile.custom_pi_types["contact_1"] == "contacts"


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.json")), ids=lambda p: p.name)
def test_every_example_profile_loads(path: Path) -> None:
    profile = load_profile(path)
    assert profile.keys()
    names = [v.name for v in profile.values()]
    assert len(names) == len(set(names))


def test_every_key_maps_to_a_pi_type_of_the_taxonomy() -> None:
    taxonomy = load_pi_taxonomy()
    assert set(PI_TYPE_OF_KEY.values()) <= set(taxonomy.ids())
    assert set(PI_TYPE_OF_KEY) | {"custom", "custom_pi_types", "description"} == set(DeviceProfile.__dataclass_fields__)


def test_every_key_is_documented_in_the_module_docstring() -> None:
    import appaudit.traffic.profile as module

    for key in [*PI_TYPE_OF_KEY, "custom", "description"]:
        assert f"``{key}``" in (module.__doc__ or ""), key


def test_values_are_named_for_reports() -> None:
    profile = parse_profile(json.dumps({"imei": ["358240051111110", "867530041234566"], "custom": {"c1": "canary-1"}}))
    assert [(v.name, v.pi_type) for v in profile.values()] == [
        ("imei[0]", "imei"),
        ("imei[1]", "imei"),
        ("canary:c1", "canary_other"),
    ]


def test_null_means_absent() -> None:
    profile = parse_profile('{"imei": null, "imsi": "460001234567890"}')
    assert profile.imei == () and profile.keys() == ("imsi",)


def test_profile_is_hashable_and_read_only() -> None:
    profile = load_profile(EMULATOR)
    assert hash(profile) == hash(load_profile(EMULATOR))
    with pytest.raises(TypeError):
        profile.custom["x"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("document", "key"),
    [
        pytest.param('{"imei": ["12345"]}', "imei[0]", id="imei-too-short"),
        pytest.param('{"imei": "358240051111110"}', "imei", id="imei-not-a-list"),
        pytest.param('{"imei": []}', "imei", id="empty-list"),
        pytest.param('{"imei": ["000000000000000"]}', "imei[0]", id="imei-all-zeros"),
        pytest.param('{"imei": ["358240051111110", "358240051111110"]}', "imei[1]", id="imei-twice"),
        pytest.param('{"imsi": ""}', "imsi", id="empty-string"),
        pytest.param('{"imsi": 460001234567890}', "imsi", id="number-instead-of-string"),
        pytest.param('{"iccid": "8986 0012"}', "iccid", id="iccid-with-space"),
        pytest.param('{"android_id": "xyz12345"}', "android_id", id="android-id-not-hex"),
        pytest.param('{"gaid": "00000000-0000-0000-0000-000000000000"}', "gaid", id="gaid-limit-ad-tracking"),
        pytest.param('{"gaid": "not-a-uuid"}', "gaid", id="gaid-not-uuid"),
        pytest.param('{"wifi_mac": "02:00:00:00:00:00"}', "wifi_mac", id="android-fake-mac"),
        pytest.param('{"bluetooth_mac": "4c:49:e3:12:ab"}', "bluetooth_mac", id="mac-five-octets"),
        pytest.param('{"serial": "unknown"}', "serial", id="serial-unknown"),
        pytest.param('{"phone_number": "+86 139 1234 5678"}', "phone_number", id="phone-with-spaces"),
        pytest.param('{"locations": [[200, 116.4]]}', "locations[0]", id="latitude-200"),
        pytest.param('{"locations": [[39.9, -181]]}', "locations[0]", id="longitude-181"),
        pytest.param('{"locations": [[0, 0]]}', "locations[0]", id="null-island"),
        pytest.param('{"locations": [["39.9", "116.4"]]}', "locations[0]", id="location-strings"),
        pytest.param('{"locations": [[39.9, true]]}', "locations[0]", id="location-boolean"),
        pytest.param('{"locations": [39.9, 116.4]}', "locations[0]", id="location-not-a-pair"),
        pytest.param('{"packages": ["not a package"]}', "packages[0]", id="package-shape"),
        pytest.param('{"accounts": [" padded@x.com"]}', "accounts[0]", id="account-whitespace"),
        pytest.param('{"custom": {"c": "short"}}', "custom.c", id="custom-too-short"),
        pytest.param('{"custom": {"bad name": "canary-1"}}', "custom.bad name", id="custom-name"),
        pytest.param(
            '{"custom": {"c": {"value": "canary-1", "pi_type": "nope"}}}', "custom.c.pi_type", id="custom-type"
        ),
        pytest.param('{"custom": {"c": {"value": "canary-1", "kind": "x"}}}', "custom.c", id="custom-extra-key"),
        pytest.param('{"custom": {}}', "custom", id="custom-empty"),
        pytest.param('{"imeii": ["358240051111110"]}', "imeii", id="unknown-key"),
        pytest.param('{"imsi": "460001234567890", "imsi": "460001234567891"}', "imsi", id="duplicate-key"),
    ],
)
def test_bad_values_raise_input_error_naming_the_key(document: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_profile(document, "p.json")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("p.json: ")
    assert key in message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param("{}", id="no-value"),
        pytest.param('{"description": "only a description"}', id="description-only"),
        pytest.param('{"locations": [[NaN, 1]]}', id="nan"),
    ],
)
def test_unusable_documents_raise_input_error(text: str) -> None:
    with pytest.raises(InputError, match=r"^p\.json: "):
        parse_profile(text, "p.json")


def test_unreadable_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read device profile"):
        load_profile(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"binary\.json"):
        load_profile(binary)
