"""Present is not used: how the app uses each embedded SDK, from the static call graph.

Usage values, strongest first:

- ``initialised_at_startup``: an initialisation call (or, for SDKs without a catalogued init call,
  any call into the SDK) is reachable at start-up with no recognised consent check;
- ``initialised_at_startup_guarded``: reachable at start-up, but every path passes a recognised
  consent check (the static signal for "initialised after consent");
- ``initialised_later``: the initialisation is reachable from the app's components, but not at
  start-up (for example from the consent dialog's "agree" callback);
- ``reachable``: the SDK's code can run, but no initialisation call was found;
- ``embedded``: its classes are in the APK, but nothing reachable calls them;
- ``inconclusive``: the reachability search hit its budget before finding a use.
"""

from __future__ import annotations

from dataclasses import replace

from appaudit.evidence.model import ManifestEvidence, SdkHit, StartupEvidence
from appaudit.static.startup import StartupAnalyser

_INIT_KINDS = ("sdk_init", "sdk_call")


def annotate_usage(
    sdks: tuple[SdkHit, ...], startup: StartupEvidence, analyser: StartupAnalyser, manifest: ManifestEvidence
) -> tuple[SdkHit, ...]:
    """Return ``sdks`` with ``usage`` and ``usage_evidence`` filled in."""
    if not sdks:
        return sdks
    at_startup: dict[str, list[str]] = {}
    guarded: dict[str, list[str]] = {}
    for f in startup.findings:
        if f.kind in _INIT_KINDS:
            text = " → ".join(f.chain)
            if f.guard is None:
                at_startup.setdefault(f.target, []).append(f"start-up chain: {text}")
            else:
                guarded.setdefault(f.target, []).append(
                    f"start-up chain: {text}; guarded by {f.guard.condition} in {f.guard.method}"
                )
    reached, exhausted = analyser.reachable_from_components(manifest)
    init_sites: dict[str, list[str]] = {}
    used: dict[str, str] = {}
    for node in reached:
        for hit in analyser.hits_in(node):
            if hit.kind in _INIT_KINDS:
                site = f"{hit.callee} called from {_ref(analyser, node)}"
                init_sites.setdefault(hit.target, []).append(site)
        owner = analyser.owner_of_node(node)
        if owner is not None and owner not in used:
            used[owner] = f"{_ref(analyser, node)} is reachable from the app's components"
    out = []
    for sdk in sdks:
        if sdk.sdk_id in at_startup:
            usage, evidence = "initialised_at_startup", at_startup[sdk.sdk_id]
        elif sdk.sdk_id in guarded:
            usage, evidence = "initialised_at_startup_guarded", guarded[sdk.sdk_id]
        elif sdk.sdk_id in init_sites:
            usage, evidence = "initialised_later", sorted(init_sites[sdk.sdk_id])
        elif sdk.sdk_id in used:
            usage, evidence = "reachable", [used[sdk.sdk_id]]
        elif exhausted:
            usage, evidence = "inconclusive", ["the reachability search hit its budget before finding a use"]
        else:
            usage, evidence = "embedded", ["no reachable code calls into this SDK"]
        out.append(replace(sdk, usage=usage, usage_evidence=tuple(evidence[:5])))
    return tuple(out)


def _ref(analyser: StartupAnalyser, node: int) -> str:
    cls, name, proto = analyser.program.node_key(node)
    return f"{cls}->{name}{proto}"
