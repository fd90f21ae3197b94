"""Label consistency audit: where an asset's words disagree with the vocabulary or with each other.

Each asset's current file is read (read-only): IPTC IIM 2:25 Keywords, XMP dc:subject and Windows
XPKeywords *separately* (exiv2 through pyexiv2; the metadata reader merges them, which hides
disagreements), the merged keywords the reader sees, the audio genre (ID3 TCON, Vorbis GENRE, MP4
©gen), the file name, and the JSON-LD the library publishes (`export jsonld`, from the catalog).

Kinds (severity):

* ``iptc-xmp-mismatch`` (0.7): IPTC Keywords and XMP dc:subject (or XPKeywords) both hold
  keywords, but not the same ones. Readers that prefer one standard see other keywords than
  readers that prefer the other.
* ``alt-label-used`` (0.6): a keyword or genre names a concept, but not by its preferred label
  (an alternative label, another spelling of the preferred one, a hidden misspelling).
* ``jsonld-mismatch`` (0.55): the keywords the JSON-LD publishes differ from the file's (the
  catalog normalized them at ingest, or the file changed since it was indexed).
* ``not-in-vocabulary`` (0.5): a keyword the vocabulary does not know.
* ``genre-not-in-vocabulary`` (0.45): the same for an audio/video genre.
* ``filename-disagrees`` (0.35): the file name names concepts, the keywords name concepts, and not
  one of the file name's is the same as, broader or narrower than one of the keywords'. Kept
  conservative: a file name that only adds a concept the keywords lack is not a finding.

Without a vocabulary (no LIBRARY/taxonomy.yaml) only the two consistency checks run.
ID3 comments are free text, not labels: they are not checked.

`fix_labels` (`audit labels --fix`) writes the preferred labels into every keyword tag through
`Library.edit_metadata` (atomic, verified, re-ingested): terms the vocabulary knows become their
preferred labels, unknown terms are kept (dropping them would lose a person's data), duplicates
go. IPTC and XMP then hold the same list. When the merged keywords are already canonical but the
standards still disagree (the merged reading hides it), the fix forces the write (verified). A
file whose keywords
are right but whose catalog record is stale is re-indexed. Formats that cannot be written (GIF,
HEIC, video) are reported, the rest go on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyexiv2

from mediaground.audit.findings import Finding, Report, count_by_kind
from mediaground.catalog import Catalog
from mediaground.describe import describe, spaces_by_id
from mediaground.errors import MediagroundError
from mediaground.metadata.jsonld import to_jsonld
from mediaground.metadata.read import _redecode  # one reading of exiv2 text everywhere
from mediaground.metadata.read import read_metadata
from mediaground.taxonomy.normalize import load_library_vocabulary, taxonomy_path
from mediaground.taxonomy.vocab import Vocabulary

if TYPE_CHECKING:  # fix_labels works through the Library's public API; the Library never imports this
    from mediaground.library import Library

__all__ = ["audit_labels", "fix_labels", "read_keyword_tags", "LABEL_KINDS"]

SEVERITY = {"iptc-xmp-mismatch": 0.7, "alt-label-used": 0.6, "jsonld-mismatch": 0.55, "not-in-vocabulary": 0.5,
            "genre-not-in-vocabulary": 0.45, "filename-disagrees": 0.35}
LABEL_KINDS = tuple(SEVERITY)


# ---------------------------------------------------------------- reading the tags one by one


def _words(value: Any, sep: str | None = None) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for part in (item.split(sep) if sep else [item]):
            part = part.replace("\x00", "").strip()
            if part and not part.startswith('type="') and part not in out:
                out.append(part)
    return out


def read_keyword_tags(path: str, fmt: str | None) -> dict[str, list[str] | None]:
    """{"iptc": [...], "xmp": [...], "xp": [...]} as stored in the file (None: that block could not
    be read; [] : no keywords there). Read-only."""
    out: dict[str, list[str] | None] = {"iptc": None, "xmp": None, "xp": None}
    if (fmt or "").lower() == "gif":
        return out
    try:
        try:
            img = pyexiv2.Image(os.fspath(path))
        except UnicodeEncodeError:
            with open(path, "rb") as fh:
                img = pyexiv2.ImageData(fh.read())
    except Exception:  # not something exiv2 opens
        return out
    try:
        for name, read, key, sep in (
                ("iptc", lambda: img.read_iptc(encoding="latin-1"), "Iptc.Application2.Keywords", None),
                ("xmp", lambda: img.read_xmp(encoding="latin-1"), "Xmp.dc.subject", None),
                ("xp", lambda: img.read_exif(encoding="latin-1"), "Exif.Image.XPKeywords", ";")):
            try:
                out[name] = _words(_redecode(read().get(key)), sep)
            except Exception:
                out[name] = None
    finally:
        img.close()
    return out


# ---------------------------------------------------------------- the audit


def _fmt_list(items: list[str]) -> str:
    return "[" + ", ".join(repr(i) for i in items) + "]" if items else "(none)"


def _filename_concepts(vocab: "Vocabulary", path: str | None) -> list[tuple[str, str]]:
    """(concept id, the words that named it) for the file name, longest phrases first."""
    if not path:
        return []
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)  # camelCase
    words = [w for w in re.split(r"[\W_\d]+", stem) if len(w) >= 2]
    found: list[tuple[str, str]] = []
    used = [False] * len(words)
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            if any(used[i:i + n]):
                continue
            phrase = " ".join(words[i:i + n])
            concept = vocab.lookup(phrase)
            if concept is not None:
                found.append((concept.id, phrase))
                for k in range(i, i + n):
                    used[k] = True
    return found


def audit_labels(catalog: Catalog, library_root: Path, vocab: Vocabulary | None = None,
                 check_jsonld: bool = True) -> Report:
    """Audit every file's labels (see the module docstring); each file is read as it is now.
    `vocab` defaults to the library's."""
    if vocab is None:
        vocab = load_library_vocabulary(library_root)
    findings: list[Finding] = []
    checked = unreadable = files = 0
    formats: dict[str, tuple[str, str]] = {}
    spaces = spaces_by_id(catalog) if check_jsonld else None  # read once, not per file
    for file in catalog.files.iter():
        files += 1
        asset_id, path = file.asset_id, file.path
        if asset_id not in formats:
            asset = catalog.assets.get(asset_id)
            formats[asset_id] = (asset.kind, asset.format)
        kind, fmt = formats[asset_id]
        if not file.current or not os.path.exists(path):
            unreadable += 1
            continue
        checked += 1
        rec = read_metadata(path, fmt, kind)
        tags = read_keyword_tags(path, fmt) if kind == "image" else {"iptc": None, "xmp": None, "xp": None}

        def add(kind_: str, detail: str, **extra: Any) -> None:
            findings.append(Finding(asset_id, path, kind_, detail, SEVERITY[kind_], extra=extra, file_id=file.file_id))

        # IPTC vs XMP (vs XPKeywords)
        iptc, xmp, xp = tags["iptc"] or [], tags["xmp"] or [], tags["xp"] or []
        if iptc and xmp and set(iptc) != set(xmp):
            add("iptc-xmp-mismatch",
                f"IPTC Keywords {_fmt_list(iptc)} ≠ XMP dc:subject {_fmt_list(xmp)} (only in IPTC: "
                f"{_fmt_list([k for k in iptc if k not in xmp])}; only in XMP: {_fmt_list([k for k in xmp if k not in iptc])})",
                iptc=iptc, xmp=xmp)
        if xp and (xmp or iptc) and set(xp) != set(xmp or iptc):
            other, name = (xmp, "XMP dc:subject") if xmp else (iptc, "IPTC Keywords")
            add("iptc-xmp-mismatch", f"Windows XPKeywords {_fmt_list(xp)} ≠ {name} {_fmt_list(other)}",
                xp=xp, **({"xmp": xmp} if xmp else {"iptc": iptc}))

        # the vocabulary
        file_keywords = list(rec.keywords)
        if vocab is not None:
            where: dict[str, list[str]] = {}
            for std, words in (("XMP", xmp), ("IPTC", iptc), ("XPKeywords", xp)):
                for w in words:
                    where.setdefault(w, []).append(std)
            for w in file_keywords:
                where.setdefault(w, where.get(w) or ["keywords"])
            for term, stds in where.items():
                m = vocab.match(term)
                src = "/".join(stds)
                if m is None:
                    add("not-in-vocabulary", f"keyword {term!r} ({src}) is not in the vocabulary", term=term,
                        fields=stds)
                elif not m.is_preferred:
                    role = {"alt": "an alternative label", "hidden": "a hidden (misspelled) label",
                            "pref-variant": "another spelling of the preferred label"}[m.how]
                    add("alt-label-used", f"keyword {term!r} ({src}) is {role} of {m.concept.id!r}; the preferred "
                        f"label is {m.concept.label!r}", term=term, preferred=m.concept.label, concept=m.concept.id,
                        fields=stds)
            if rec.genre:
                for g in [x.strip() for x in rec.genre.split(";") if x.strip()]:
                    m = vocab.match(g)
                    if m is None:
                        add("genre-not-in-vocabulary", f"genre {g!r} is not in the vocabulary", term=g, fields=["genre"])
                    elif not m.is_preferred:
                        add("alt-label-used", f"genre {g!r} names {m.concept.id!r}; the preferred label is "
                            f"{m.concept.label!r}", term=g, preferred=m.concept.label, concept=m.concept.id,
                            fields=["genre"])
            keyword_concepts = {c.id for w in file_keywords if (c := vocab.lookup(w)) is not None}
            named = _filename_concepts(vocab, path)
            if named and keyword_concepts and not any(vocab.related(f, k) for f, _ in named for k in keyword_concepts):
                labels = sorted(vocab[k].label for k in keyword_concepts)
                add("filename-disagrees",
                    f"the file name names {', '.join(repr(vocab[f].label) + f' (from {w!r})' for f, w in named)}, "
                    f"the keywords name {', '.join(map(repr, labels))}: neither is the other or broader/narrower",
                    filename_concepts=[f for f, _ in named], keyword_concepts=sorted(keyword_concepts))

        # what the library publishes
        if check_jsonld:
            try:
                published = to_jsonld(describe(catalog, asset_id, file, spaces)).get("keywords") or []
            except Exception as exc:  # noqa: BLE001 - a broken record is a finding elsewhere, not a crash here
                published = None
                add("jsonld-mismatch", f"the JSON-LD could not be built: {type(exc).__name__}: {exc}")
            if published is not None:
                published = [published] if isinstance(published, str) else list(published)
                if set(published) != set(file_keywords):
                    add("jsonld-mismatch",
                        f"JSON-LD keywords {_fmt_list(published)} ≠ the file's {_fmt_list(file_keywords)}",
                        jsonld=published, file=file_keywords)

    counts = count_by_kind(findings)
    path = taxonomy_path(library_root)
    summary = {"assets": files, "checked": checked, "no_file": unreadable,
               "vocabulary": str(path) if vocab is not None else None,
               "concepts": len(vocab) if vocab is not None else 0,
               "assets_with_findings": len({f.asset_id for f in findings}), "findings_by_kind": counts}
    return Report("labels", findings, summary)


# ---------------------------------------------------------------- fixing


def _dedupe(items: list[str]) -> list[str]:
    seen, out = set(), []
    for i in items:
        if i.casefold() not in seen:
            seen.add(i.casefold())
            out.append(i)
    return out


def _canonical(vocab: "Vocabulary | None", terms: list[str]) -> list[str]:
    if vocab is None:
        return _dedupe(terms)
    return _dedupe([(vocab.preferred(t) or t) for t in terms])


def fix_labels(lib: "Library", report: Report | None = None, vocab: Vocabulary | None = None,
               dry_run: bool = True) -> list[dict[str, Any]]:
    """Write the canonical labels into the files of the assets `report` found (a fresh audit when
    None). Dry run by default: returns the plan without writing. One entry per file:
    {"asset_id", "path", "action" (write | resync | reindex | none), "edits", "changes", "error"?}.
    Files are written and re-ingested through the Library (`edit_metadata`, `ingest`)."""
    if vocab is None:
        vocab = load_library_vocabulary(lib.root)
    if report is None:
        report = audit_labels(lib.catalog, lib.root, vocab)
    results: list[dict[str, Any]] = []
    fixable = {"iptc-xmp-mismatch", "alt-label-used", "jsonld-mismatch"}
    by_file: dict[tuple[str, str], set[str]] = {}
    for f in report.findings:
        by_file.setdefault((f.asset_id, f.path), set()).add(f.kind)
    for (asset_id, path), kinds in sorted(by_file.items()):
        if not kinds & fixable:
            continue
        asset = lib.catalog.assets.get(asset_id)
        entry: dict[str, Any] = {"asset_id": asset_id, "path": path, "action": "none", "edits": {}, "changes": [],
                                 "kinds": sorted(kinds)}
        results.append(entry)
        if asset is None or not path or not os.path.exists(path):
            entry["error"] = "no file on disk"
            continue
        try:
            rec = read_metadata(path, asset.format, asset.kind)
            edits: dict[str, Any] = {}
            if rec.keywords:
                canonical = _canonical(vocab, rec.keywords)
                if sorted(canonical) != sorted(rec.keywords) or "iptc-xmp-mismatch" in kinds:
                    edits["keywords"] = canonical
            if rec.genre and asset.kind == "audio" and vocab is not None:
                genre = "; ".join(_canonical(vocab, [g.strip() for g in rec.genre.split(";") if g.strip()]))
                if genre != rec.genre:
                    edits["genre"] = genre
            entry["edits"] = edits
            if edits:
                out = lib.edit_metadata(path, edits=edits, dry_run=dry_run)
                entry["changes"] = out["changes"]
                entry["action"] = "write"
                if not out["changes"] and "keywords" in edits and "iptc-xmp-mismatch" in kinds:
                    entry["action"] = "resync"
                    entry["changes"] = [{"field": "keywords", "old": {"iptc": _tag(report, path, "iptc"),
                                                                      "xmp": _tag(report, path, "xmp")},
                                         "new": edits["keywords"]}]
                    if not dry_run:
                        _resync(lib, path, edits["keywords"])
            if entry["action"] == "none" and "jsonld-mismatch" in kinds:
                entry["action"] = "reindex"  # the file is right; the catalog's copy is stale
                if not dry_run:
                    lib.ingest([path], workers=0)
        except MediagroundError as exc:
            entry["error"] = str(exc)
    return results


def _tag(report: Report, path: str, std: str) -> list[str] | None:
    for f in report.findings:
        if f.path == path and f.kind == "iptc-xmp-mismatch" and std in f.extra:
            return f.extra[std]
    return None


def _resync(lib: "Library", path: str, keywords: list[str]) -> None:
    """The merged keywords are already right but IPTC and XMP disagree: rewrite them anyway
    (forced, verified), so each tag holds exactly `keywords`."""
    lib.edit_metadata(path, edits={"keywords": list(keywords)}, force=True)