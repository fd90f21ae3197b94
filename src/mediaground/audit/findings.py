"""Audit findings and reports: one shape for every audit, three renderings.

A :class:`Report` is a list of :class:`Finding` (worst first) plus a summary dict. It renders as a
terminal table (:meth:`Report.to_table`), as JSON for machines (:meth:`Report.to_json`) and as a
standalone HTML page with embedded thumbnails (:meth:`Report.to_html`). Asset text (alt text,
captions, file names) is hostile: the HTML escapes every piece of it.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Callable

from PIL import Image, ImageOps

from mediaground.catalog import Catalog
from mediaground.store.content import ContentStore


@dataclass
class Finding:
    asset_id: str
    path: str | None
    kind: str
    detail: str
    severity: float  # 0..1, higher is worse
    extra: dict[str, Any] = field(default_factory=dict)  # machine-readable extras (e.g. a suggestion)
    file_id: int | None = None  # the file whose tags this is about (None: about the asset's pixels/sound)

    def to_dict(self) -> dict[str, Any]:
        out = {"asset_id": self.asset_id, "file_id": self.file_id, "path": self.path, "kind": self.kind,
               "detail": self.detail, "severity": round(float(self.severity), 4)}
        out.update(self.extra)
        return out


def count_by_kind(findings: list[Finding]) -> dict[str, int]:
    """How many findings of each kind (a report's summary says this)."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def _order(f: Finding) -> tuple:
    return (-f.severity, f.kind, f.path or "", f.asset_id)


@dataclass
class Report:
    name: str
    findings: list[Finding]
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.findings = sorted(self.findings, key=_order)  # worst first, stable and deterministic

    def kinds_for(self, asset_id: str) -> set[str]:
        return {f.kind for f in self.findings if f.asset_id == asset_id}

    # --- machines -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"audit": self.name, "findings": [f.to_dict() for f in self.findings], "summary": self.summary}

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    # --- terminals ------------------------------------------------------------------------
    def to_table(self, width: int | None = None, limit: int | None = None) -> str:
        """A plain-text table, worst first, cut to the terminal width; then the summary."""
        width = width or shutil.get_terminal_size((120, 24)).columns
        rows = self.findings if limit is None else self.findings[:limit]
        head = ("SEV", "KIND", "ASSET", "PATH", "DETAIL")
        body = [(f"{f.severity:.2f}", f.kind, f.asset_id[:12], _short_path(f.path), _one_line(f.detail))
                for f in rows]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(4)]
        widths[3] = min(widths[3], 40)
        lines = []
        for r in [head, *body]:
            cells = [r[i][: widths[i]].ljust(widths[i]) for i in range(4)]
            line = "  ".join(cells + [r[4]])
            lines.append(line[: max(width, 40)])
        if not body:
            lines = [f"{self.name}: no findings"]
        elif limit is not None and len(self.findings) > limit:
            lines.append(f"... and {len(self.findings) - limit} more")
        lines.append("")
        lines.extend(_summary_lines(self.summary))
        return "\n".join(lines)

    # --- people ---------------------------------------------------------------------------
    def to_html(self, thumbnail_for: Callable[[str], bytes | None] | None = None, title: str | None = None) -> str:
        """A standalone page: inline CSS, thumbnails as data: URIs, every asset string escaped."""
        e = html.escape
        title = title or f"mediaground {self.name} audit"
        thumbs: dict[str, str | None] = {}

        def thumb(asset_id: str) -> str:
            if asset_id not in thumbs:
                data = None
                if thumbnail_for is not None:
                    try:
                        data = thumbnail_for(asset_id)
                    except Exception:  # a broken file must not break the report
                        data = None
                thumbs[asset_id] = _data_uri(data) if data else None
            uri = thumbs[asset_id]
            if uri is None:
                return '<div class="nothumb">no preview</div>'
            return f'<img src="{uri}" alt="" width="96">'  # decorative: the row says what it is

        counts = count_by_kind(self.findings)
        rows = []
        for f in self.findings:
            sev = max(0.0, min(1.0, float(f.severity)))
            rows.append(
                "<tr>"
                f"<td>{thumb(f.asset_id)}</td>"
                f'<td class="sev" style="--s:{sev:.3f}">{sev:.2f}</td>'
                f'<td><span class="kind">{e(f.kind)}</span></td>'
                f'<td class="detail">{e(f.detail)}</td>'
                f'<td class="path"><code>{e(f.path or "")}</code><br><code class="id">{e(f.asset_id)}</code></td>'
                "</tr>")
        summary = "".join(f"<li>{e(line)}</li>" for line in _summary_lines(self.summary))
        kinds = "".join(f"<li><b>{e(k)}</b>: {n}</li>" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        table = ("<table><thead><tr><th>Preview</th><th>Severity</th><th>Kind</th><th>Detail</th><th>File</th>"
                 f"</tr></thead><tbody>{''.join(rows)}</tbody></table>") if rows else "<p>No findings.</p>"
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{e(title)}</title>
<style>
body{{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;background:#fafafa}}
h1{{font-size:1.4em}} table{{border-collapse:collapse;width:100%;background:#fff}}
th,td{{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}}
th{{background:#f0f0f0;position:sticky;top:0}}
td.sev{{font-weight:bold;color:rgb(calc(120 + 135 * var(--s)), calc(140 - 110 * var(--s)), 40)}}
.kind{{font-family:monospace;background:#eef;padding:1px 4px;border-radius:3px;white-space:nowrap}}
td.detail{{max-width:40em;overflow-wrap:anywhere}} td.path code{{font-size:12px;overflow-wrap:anywhere}}
code.id{{color:#888}} img{{border-radius:4px;max-height:96px;object-fit:cover}}
.nothumb{{width:96px;height:64px;background:#eee;color:#999;font-size:11px;display:flex;align-items:center;justify-content:center}}
</style></head><body>
<h1>{e(title)}</h1>
<p>{len(self.findings)} finding(s), worst first.</p>
<ul>{kinds}</ul>
<h2>Summary</h2><ul>{summary}</ul>
{table}
</body></html>
"""


def _data_uri(data: bytes) -> str:
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/webp" if data[8:12] == b"WEBP" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _short_path(path: str | None) -> str:
    if not path:
        return "-"
    parts = path.split(os.sep)
    return os.sep.join(parts[-2:]) if len(parts) > 2 else path


def _summary_lines(summary: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for key, value in summary.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            lines.append(f"{prefix}{key}:")
            for sub, d in value.items():
                lines.append(f"{prefix}  {sub}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in d.items()))
        elif isinstance(value, dict):
            lines.append(f"{prefix}{key}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()))
        else:
            lines.append(f"{prefix}{key}: {_fmt(value)}")
    return lines


def _fmt(v: Any) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def library_thumbnails(catalog: Catalog, store: ContentStore, size: int = 160) -> Callable[[str], bytes | None]:
    """asset_id -> JPEG bytes of a small preview (from the current file, else the stored original),
    made in memory: a report never writes into the library. None for non-images or unreadable files."""

    def thumbnail_for(asset_id: str) -> bytes | None:
        asset = catalog.assets.get(asset_id)
        if asset is None or asset.kind != "image":
            return None
        sources = [p for p in catalog.files.current_paths(asset_id) if os.path.exists(p)]
        sources += [str(store.path(v.file_sha256)) for v in catalog.versions.of_asset(asset_id)]
        for src in sources:
            try:
                with Image.open(src) as im:
                    im.draft("RGB", (size, size))
                    im = ImageOps.exif_transpose(im).convert("RGB")
                    im.thumbnail((size, size))
                    buf = io.BytesIO()
                    im.save(buf, "JPEG", quality=80)
                    return buf.getvalue()
            except Exception:
                continue
        return None

    return thumbnail_for
