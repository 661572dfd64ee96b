"""docs/live-protocol.md carries the JSON Schema of the live stream's models, as generated."""

from __future__ import annotations

from pathlib import Path

from groundstation.api.live_protocol import DOC_BEGIN, DOC_END, SERVER_MESSAGE_TYPES, with_schema

DOC = Path(__file__).resolve().parents[3] / "docs" / "live-protocol.md"


def test_the_committed_doc_matches_the_models():
    """The doc's generated section is what the models give now (else run
    scripts/live_protocol_doc.py)."""
    text = DOC.read_text(encoding="utf-8")
    assert text.count(DOC_BEGIN) == 1
    assert text.count(DOC_END) == 1
    assert with_schema(text) == text, "docs/live-protocol.md is stale: scripts/live_protocol_doc.py"


def test_the_doc_tables_name_every_message_type():
    """Every message type the models define has a row in the doc's table of messages."""
    text = DOC.read_text(encoding="utf-8")
    for type_ in SERVER_MESSAGE_TYPES:
        assert f"| `{type_}` |" in text, type_


def test_regenerating_replaces_the_section_and_keeps_the_prose():
    """Rewriting an out-of-date section keeps everything around it, and is idempotent."""
    stale = f"# prose\n\n{DOC_BEGIN}\n\nold schema\n\n{DOC_END}\n\nmore prose\n"
    fresh = with_schema(stale)
    assert fresh.startswith("# prose\n\n")
    assert fresh.endswith(f"{DOC_END}\n\nmore prose\n")
    assert "old schema" not in fresh
    assert '"ServerMessage"' in fresh
    assert with_schema(fresh) == fresh
