"""The page header: which app this is (label, package, version, hashes, signer) and the run."""

from __future__ import annotations

from appaudit.evidence.model import AppIdentity, EvidenceBundle, Signing
from appaudit.report.i18n import pick, tr
from appaudit.report.view.availability import part_availability
from appaudit.report.view.cells import clip, human_size, na
from appaudit.report.view.model import Cell, Fact, Header

# The heading shows at most this much of the label; the identity facts show all of it.
HEADING_CHARS = 160

# The identity facts, in order (English message ids); the facts about the run (input file, tool, time) follow them.
_IDENTITY_LABELS = (
    "App label",
    "Package",
    "Version",
    "APK SHA-256",
    "Signer certificate SHA-256",
    "File size",
    "DEX files",
    "Min / target SDK",
)


def build_header(bundle: EvidenceBundle) -> Header:
    """The header; without identity evidence it names the input file and says so."""
    app = bundle.app
    avail = part_availability(bundle, "identity", present=app is not None)
    if app is None:
        cells = (
            na(),
            na(),
            na(),
            _hash_cell(bundle.input.sha256),
            na(),
            Cell(text=human_size(bundle.input.size)),
            na(),
            na(),
        )
        return Header(
            title=bundle.input.file_name,
            subtitle=tr("App identity not collected"),
            facts=tuple(_facts(bundle, cells)),
            availability=avail,
        )
    facts = _facts(bundle, _identity_cells(app))
    if app.native_abis:
        facts.insert(7, Fact(tr("Native ABIs"), Cell(chips=app.native_abis)))
    split = ""
    if app.split_name:
        split = tr("split APK “{name}”", name=app.split_name)
    elif app.is_split_base:
        split = tr("base APK that requires splits (not analysed here)")
    if split:
        facts.insert(3, Fact(tr("Split"), Cell(text=split, css="warn-text")))
    return Header(
        title=clip(app.label, HEADING_CHARS)[0] if app.label else app.package,
        subtitle=app.package,
        facts=tuple(facts),
        availability=avail,
    )


def _facts(bundle: EvidenceBundle, identity: tuple[Cell, ...]) -> list[Fact]:
    tool = f"{bundle.tool.name} {bundle.tool.version}"
    if bundle.tool.androguard_version:
        tool += f" (androguard {bundle.tool.androguard_version})"
    return [Fact(tr(label), cell) for label, cell in zip(_IDENTITY_LABELS, identity, strict=True)] + [
        Fact(tr("Input file"), Cell(text=bundle.input.file_name, mono=True)),
        Fact(tr("Tool"), Cell(text=tool)),
        Fact(tr("Evidence collected at"), Cell(text=bundle.created_at)),
    ]


def _identity_cells(app: AppIdentity) -> tuple[Cell, ...]:
    version = app.version_name or tr("not declared")
    if app.version_code:
        version += f" (versionCode {app.version_code})"
    dex_names = ", ".join(d.name for d in app.dex_files)
    return (
        Cell(text=app.label) if app.label else na(tr("no label declared")),
        Cell(text=app.package, mono=True),
        Cell(text=version),
        _hash_cell(app.apk_sha256),
        _signer_cell(app.signing),
        Cell(text=human_size(app.file_size)),
        Cell(text=str(app.dex_count), sub=clip(dex_names, 120)[0], title=dex_names),
        Cell(text=f"{_sdk(app.min_sdk)} / {_sdk(app.target_sdk)}"),
    )


def _hash_cell(sha256: str) -> Cell:
    return Cell(text=sha256, mono=True, css="hash")


def _signer_cell(signing: Signing) -> Cell:
    note = _signing_note(signing)
    certs = signing.certificates
    if not certs:
        return Cell(text=tr("no signer certificate found"), css="na", sub=note)
    return Cell(
        items=tuple(c.sha256 for c in certs),
        title="\n".join(
            tr(
                "{subject} — issued by {issuer}, valid {not_before} to {not_after}",
                subject=c.subject,
                issuer=c.issuer,
                not_before=c.not_before,
                not_after=c.not_after,
            )
            for c in certs
        ),
        mono=True,
        css="hash",
        sub=note,
    )


def _sdk(level: int | None) -> str:
    return str(level) if level is not None else tr("not declared")


def _signing_note(signing: Signing) -> str:
    schemes = signing.schemes
    parts = [tr("schemes: {schemes}", schemes=", ".join(schemes)) if schemes else tr("no signature scheme recognised")]
    if signing.verified is None:
        parts.append(tr("signatures not cryptographically verified by appaudit"))
    elif signing.verified:
        parts.append(tr("signatures verified"))
    else:
        parts.append(tr("SIGNATURE VERIFICATION FAILED"))
    if signing.note:
        parts.append(signing.note)
    return pick("; ", "；").join(parts)
