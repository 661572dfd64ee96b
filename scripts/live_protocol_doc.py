"""Write the live stream's JSON Schema, generated from its models, into docs/live-protocol.md.

    .venv/bin/python scripts/live_protocol_doc.py          # rewrite the generated section
    .venv/bin/python scripts/live_protocol_doc.py --check  # exit 1 if the doc is out of date

The models are ``groundstation.telemetry.messages`` and ``groundstation.api.live_protocol``;
tests/unit/telemetry/test_live_protocol_doc.py fails while the committed doc differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from groundstation.api.live_protocol import with_schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "live-protocol.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, change nothing")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    wanted = with_schema(text)
    if text == wanted:
        return 0
    if args.check:
        print(f"{DOC} is out of date: run scripts/live_protocol_doc.py", file=sys.stderr)
        return 1
    DOC.write_text(wanted, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
