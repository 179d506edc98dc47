"""Parse a policy document (HTML or plain text, any common encoding) into quotable sentences and tables.

The document's plain text is its blocks (headings, paragraphs, list items, table rows with cells joined
by " | ") joined by newlines; every :class:`PolicySentence` has offsets into that text, which
:attr:`ParsedPolicy.plain_text` holds, so ``plain_text[s.start:s.end] == s.text``. Hostile input
(huge, binary, broken markup, mixed encodings) gives a result with notes, never an exception.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from appaudit.evidence.policy_text import PolicySentence, PolicyText
from appaudit.policy.blocks import HEADING, ROW, Block
from appaudit.policy.classify import detect_language, is_privacy_policy
from appaudit.policy.encoding import decode_document
from appaudit.policy.html_blocks import read_html
from appaudit.policy.lexicon import load_policy_lexicon
from appaudit.policy.sentences import split_sentences
from appaudit.policy.text_blocks import read_text

MAX_INPUT_BYTES = 5 * 1024 * 1024  # larger documents are cut here (the longest real policies are ~300 KB)
MAX_SENTENCES = 20_000
BINARY_SHARE = 0.05  # above this share of control bytes the input is binary (text has almost none)
TEXT_BAD_SHARE = 0.3  # above this share of replaced or control characters the decoded text is garbage
_HTML_SIGN = re.compile(
    r"<(?:!doctype|html|head|body|meta|title|p|div|span|table|tr|td|h[1-6]|br|ul|ol|li|section|article|strong|b)\b",
    re.IGNORECASE,
)
_BAD_CHAR = re.compile(r"[\ufffd\x00-\x08\x0e-\x1f]")


@dataclass(frozen=True)
class PolicyTable:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_sentences: tuple[str, ...]  # the sentence id of each row (the row is a sentence, cells joined by " | ")
    section: str | None
    header_sentence: str | None = None  # the sentence id of the header row, when the table has one


@dataclass(frozen=True)
class ParsedPolicy:
    text: PolicyText
    tables: tuple[PolicyTable, ...]
    headings: tuple[str, ...]
    notes: tuple[str, ...] = ()  # what was cut or could not be read
    plain_text: str = ""  # the text the sentence offsets point into
    # Per sentence (same order as text.sentences): the headings it sits under, outermost first.
    section_paths: tuple[tuple[str, ...], ...] = ()


def parse_policy(
    data: bytes, *, doc_id: str, source: str, location: str, content_type: str | None = None
) -> ParsedPolicy:
    """Parse one document; see the module docstring."""
    notes: list[str] = []
    sha256 = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_INPUT_BYTES:
        notes.append(f"document is {len(data):,} bytes; only the first {MAX_INPUT_BYTES:,} were read")
        data = _cut(data, MAX_INPUT_BYTES)
    blocks, title = _blocks(data, content_type, notes)
    return _assemble(blocks, title, notes, doc_id=doc_id, source=source, location=location, sha256=sha256)


def _cut(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes, ending at a line break or tag end so no multi-byte character is split."""
    head = data[:limit]
    floor = max(0, limit - 65536)
    boundary = max(head.rfind(b"\n", floor), head.rfind(b">", floor))
    if boundary >= 0:
        return head[: boundary + 1]
    # No boundary: drop a trailing partial UTF-8 character (at worst a few bytes of another encoding).
    for back in range(1, min(4, len(head)) + 1):
        byte = head[-back]
        if byte < 0x80:
            break
        if byte >= 0xC0:  # a lead byte: its sequence needs 2, 3 or 4 bytes
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return head[:-back] if back < needed else head
    return head


def _blocks(data: bytes, content_type: str | None, notes: list[str]) -> tuple[list[Block], str | None]:
    if not data.strip():
        notes.append("empty document")
        return [], None
    if data.startswith(b"%PDF-"):
        notes.append("a PDF file: its text must be extracted before it can be read")
        return [], None
    sample_bytes = data[:65536]
    wide = sample_bytes.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16/32 with a BOM has NUL bytes
    if not wide and sum(1 for b in sample_bytes if b < 9 or 13 < b < 32) > BINARY_SHARE * len(sample_bytes):
        notes.append("binary content (control bytes); no text read")
        return [], None
    decoded = decode_document(data, content_type)
    notes.extend(decoded.notes)
    text = decoded.text
    sample = text[:100_000]
    if sample and len(_BAD_CHAR.findall(sample)) > TEXT_BAD_SHARE * len(sample):
        notes.append("binary or undecodable content; no text read")
        return [], None
    is_html = (content_type or "").lower().startswith(("text/html", "application/xhtml")) or bool(
        _HTML_SIGN.search(text[:65536])
    )
    if not is_html:
        return read_text(text), None
    try:
        reader = read_html(text)
    except Exception as exc:  # html.parser is lenient, but a failure must not lose the document
        notes.append(f"HTML could not be parsed ({type(exc).__name__}); read as plain text")
        return read_text(re.sub(r"<[^>]{0,1000}>", " ", text)), None
    return reader.blocks, reader.title


def _assemble(
    blocks: list[Block], title: str | None, notes: list[str], *, doc_id: str, source: str, location: str, sha256: str
) -> ParsedPolicy:
    parts: list[str] = []
    offset = 0
    sentences: list[PolicySentence] = []
    paths: list[tuple[str, ...]] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the open sections
    headings: list[str] = []
    tables: dict[int, tuple[list[str], list[tuple[str, ...]], list[str], str | None]] = {}
    header_ids: dict[int, str] = {}
    for block in blocks:
        if len(sentences) >= MAX_SENTENCES:
            notes.append(f"more than {MAX_SENTENCES:,} sentences; the rest of the document was not read")
            break
        if parts:
            parts.append("\n")
            offset += 1
        start = offset
        parts.append(block.text)
        offset += len(block.text)
        if block.kind == HEADING:
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            path = tuple(h for _, h in stack)
            stack.append((block.level, block.text))
            headings.append(block.text)
        else:
            path = tuple(h for _, h in stack)
        spans = [(0, len(block.text))] if block.kind in (HEADING, ROW) else split_sentences(block.text)
        first_id = f"{doc_id}.s{len(sentences)}"
        for rel_start, rel_end in spans[: MAX_SENTENCES - len(sentences)]:
            sentences.append(
                PolicySentence(
                    id=f"{doc_id}.s{len(sentences)}",
                    text=block.text[rel_start:rel_end],
                    start=start + rel_start,
                    end=start + rel_end,
                    section=path[-1] if path else None,
                )
            )
            paths.append(path)
        if block.kind == ROW and block.table is not None:
            headers, rows, ids, _ = tables.setdefault(block.table, ([], [], [], path[-1] if path else None))
            if block.header and not rows and not headers:
                headers.extend(block.cells)
                header_ids[block.table] = first_id
            elif not block.header or rows:
                rows.append(block.cells)
                ids.append(first_id)
    plain = "".join(parts)
    lexicon = load_policy_lexicon()
    title = title or next((b.text for b in blocks[:5] if b.kind == HEADING and b.level == 1), None)
    title = title or next((b.text for b in blocks[:1] if b.kind == HEADING), None)
    policy, reason = is_privacy_policy(title, headings, plain, lexicon)
    if not policy and plain:
        notes.append(f"not read as a privacy policy: {reason}")
    text = PolicyText(
        id=doc_id,
        source=source,
        location=location,
        sha256=sha256,
        chars=len(plain),
        sentences=tuple(sentences),
        title=title,
        language=detect_language(plain, lexicon),
        is_privacy_policy=policy,
    )
    policy_tables = tuple(
        PolicyTable(tuple(h), tuple(r), tuple(i), section, header_ids.get(k))
        for k, (h, r, i, section) in sorted(tables.items())
    )
    return ParsedPolicy(text, policy_tables, tuple(headings), tuple(notes), plain, tuple(paths))
