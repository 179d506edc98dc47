"""Who receives a flow: the app itself (first party), a named SDK vendor, or an unknown third party.

Hosts are grouped by registrable domain (the Public Suffix List, bundled offline by the maintained
``publicsuffixlist`` package), so ``alog.umeng.com`` and ``ulogs.umeng.com`` are one receiver.

Order of evidence, strongest first:
1. the SDK database's vendor domains (a host inside a vendor domain is that SDK's, even if the app also
   names it: an SDK endpoint is a third party however the app reaches it);
2. first-party domains: the ones the auditor passes (``--first-party``), the domain the package name
   implies (``com.example.app`` → ``example.com``), and the registrable domains of endpoints the static
   scan attributed to the app;
3. everything else is an unknown third party. IP literals are their own "domain".
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.traffic import Destination
from appaudit.knowledge.sdk_db import SdkDatabase


@functools.cache
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def registrable_domain(host: str) -> str:
    """``alog.umeng.com`` → ``umeng.com``; an IP address or a bare suffix is returned as is."""
    name = normalise_host(host)
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    return _psl().privatesuffix(name) or name


@dataclass(frozen=True)
class Attributor:
    """Attributes hosts, with the first-party domains and the SDK database fixed at construction."""

    first_party: frozenset[str]  # registrable domains
    sdk_db: SdkDatabase

    def destination(self, host: str) -> Destination:
        name = normalise_host(host)
        domain = registrable_domain(name)
        owner = self.sdk_db.sdk_for_host(name)
        if owner is not None:
            return Destination(name, domain, "sdk", owner.id, owner.vendor)
        if domain in self.first_party:
            return Destination(name, domain, "first_party")
        return Destination(name, domain, "third_party")


def first_party_domains(bundle: EvidenceBundle | None, extra: Iterable[str] = ()) -> frozenset[str]:
    """The app's own registrable domains: the auditor's, the package's, and first-party endpoints'."""
    from appaudit.static.endpoints import app_domain

    domains = {registrable_domain(d) for d in extra if d.strip()}
    if bundle is not None and bundle.app is not None:
        implied = app_domain(bundle.app.package)
        if implied:
            domains.add(registrable_domain(implied))
    if bundle is not None:
        domains.update(registrable_domain(e.host) for e in bundle.endpoints if e.party == "first_party")
    return frozenset(domains)


def build_attributor(bundle: EvidenceBundle | None, sdk_db: SdkDatabase, first_party: Iterable[str] = ()) -> Attributor:
    return Attributor(first_party_domains(bundle, first_party), sdk_db)
