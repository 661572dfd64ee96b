"""The packet's cover sheet: one bilingual (中文 / English) HTML page to print and file.

It lists what the manifest lists, in words: the incident, who exported the packet and when, the
station key's fingerprint, and every file with its SHA-256, size, source and collection time.
Plain HTML with inline styles, no script and nothing fetched, so it opens the same anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from groundstation.evidence.canonical import iso_utc

if TYPE_CHECKING:
    from groundstation.evidence.packet import PacketFacts

_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:2em;color:#111}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;width:100%;font-size:.85em}
td,th{border:1px solid #999;padding:.25em .4em;vertical-align:top;text-align:left}
code{font-size:.85em;word-break:break-all}.k{width:14em;background:#f3f3f3}
"""


def _source(source: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in source.items() if v not in (None, ""))


def _row(label_zh: str, label_en: str, value: str) -> str:
    return f'<tr><th class="k">{label_zh} / {label_en}</th><td>{escape(value)}</td></tr>'


def cover_html(facts: PacketFacts, entries: Sequence[dict[str, Any]], key_fp: str) -> str:
    """The cover sheet of a packet with these manifest `entries`."""
    inc = facts.incident
    head = "".join(
        [
            _row("事件编号", "Incident", f"#{facts.incident_id} {inc.get('type', '')}"),
            _row("状态", "Status", str(inc.get("status", ""))),
            _row("位置", "Position", f"{inc.get('lat_deg')}, {inc.get('lon_deg')} (WGS84)"),
            _row("报告时间", "Reported at", str(inc.get("created_at", ""))),
            _row("描述", "Description", str(inc.get("description", ""))),
            _row("导出人", "Exported by", facts.exported_by),
            _row("导出时间", "Exported at (UTC)", iso_utc(facts.exported_at)),
            _row("工作站", "Station", facts.station),
            _row("工作站公钥指纹", "Station key fingerprint (SHA-256)", key_fp),
        ]
    )
    rows = "".join(
        "<tr>"
        f"<td><code>{escape(e['path'])}</code><br>{escape(e.get('description') or '')}</td>"
        f"<td><code>{escape(e['sha256'])}</code></td>"
        f"<td>{e['size_bytes']}</td>"
        f"<td>{escape(_source(e['source']))}</td>"
        f"<td>{escape(e['collected_at'] or '')}</td>"
        f"<td>{len(e.get('history') or [])}</td>"
        "</tr>"
        for e in entries
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in facts.notes)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>电子证据封存包 / Sealed evidence packet #{facts.incident_id}</title>
<style>{_STYLE}</style></head><body>
<h1>电子证据封存包 / Sealed evidence packet — 事件 / incident #{facts.incident_id}</h1>
<table>{head}</table>
<h2>文件清单 / Files</h2>
<table><tr><th>文件 / File</th><th>SHA-256</th><th>字节 / Bytes</th>
<th>来源 / Source</th><th>收集时间 / Collected (UTC)</th><th>处理记录 / Handling entries</th></tr>
{rows}</table>
<h2>说明 / Notes</h2>
<ul>{notes}
<li>本页本身列于 manifest.json 中；manifest.json 由工作站私钥签名（manifest.sig，Ed25519）。
This page is itself listed in manifest.json, which the station signed (manifest.sig, Ed25519).</li>
<li>校验 / To verify: <code>ecopatrol evidence verify 文件.zip --public-key 工作站公钥.pem</code>;
指纹须与存档一致 / the key's fingerprint must match the one on file.</li>
</ul></body></html>
"""
