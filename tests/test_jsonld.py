"""The JSON-LD mirror: schema.org documents that expand cleanly against the shipped schema.org
context (no network), use only real schema.org terms, and say what the embedded tags say."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pyld import jsonld as pyld_jsonld  # a test dependency: these tests must not skip without it

from conftest import make_image, set_caption, tone, write_wav
from mediaground.metadata import jsonld as mj
from mediaground.metadata.jsonld import (
    OfflineDocumentError, check, expand, iso_duration, looks_like_organization, offline_document_loader,
    schema_terms, schema_vocabulary, to_jsonld, write_export,
)

S = "http://schema.org/"
SHIPPED = Path(mj.__file__).parent / "schemaorg"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No test here may reach the network: pyld's default (requests) loader and sockets raise."""
    def default_loader(url, options=None):
        raise AssertionError(f"pyld's default document loader was used for {url}")

    def no_connect(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(pyld_jsonld, "_default_document_loader", default_loader)
    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(socket, "create_connection", no_connect)


# ---------------------------------------------------------------- helpers

SHA = hashlib.sha256(b"photo bytes").hexdigest()

IMAGE = {
    "asset_id": "0123456789abcdef01234567",
    "kind": "image", "format": "jpeg", "mime": "image/jpeg", "width": 4000, "height": 3000, "duration": None,
    "paths": ["/photos/old/playa.jpg", "/photos/2024/playa.jpg"],
    "current_paths": ["/photos/2024/playa.jpg"],
    "file_sha256": SHA,
    "metadata": {
        "title": "La Caleta al atardecer",
        "caption": "Bañistas en la playa de la Caleta, Cádiz",
        "alt_text": "A beach at sunset",
        "extended_description": "Low sun over calm water; about twenty bathers stand at the shoreline.",
        "keywords": ["playa", "Cádiz", "sunset, golden hour"],
        "creator": ["Ana Núñez", "The White House", "Acme Images Ltd."],
        "credit": "Ana Núñez / Acme",
        "copyright": "© 2024 Ana Núñez",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "licensor_url": "https://acme.example/license/123",
        "date_created": "2024-05-06T07:08:09+02:00",
        "gps_lat": 36.5297, "gps_lon": -6.3103, "gps_alt": -12.5,
        "city": "Cádiz", "state": "Andalucía", "country": "España", "country_code": "ES",
        "location": "Playa de la Caleta",
        "camera_make": "Canon",
        "sources": {"caption": "xmp:dc:description"},
        "warnings": [],
    },
    "labels": [{"label": "seashore", "score": 0.9}],
    "audio": None,
    "transcript": [],
}

AUDIO = {
    "asset_id": "89abcdef0123456789abcdef",
    "kind": "audio", "format": "mp3", "mime": "audio/mpeg", "width": None, "height": None, "duration": 93.5,
    "paths": ["/sounds/interview.mp3"], "current_paths": ["/sounds/interview.mp3"],
    "file_sha256": "11" * 32,
    "metadata": {"title": "Interview", "artist": "Radio Cádiz", "creator": ["Radio Cádiz"], "genre": "Speech",
                 "comment": "Recorded on the beach", "duration": 93.49, "copyright": "2024 Radio Cádiz"},
    "audio": {"duration": 93.5, "language": "en", "silent": False},
    "transcript": [{"chunk_id": "c1", "start": 0.0, "end": 4.0, "text": " Hello from the beach. "},
                   {"chunk_id": "c2", "start": 4.0, "end": 9.0, "text": "The tide is coming in."}],
}

VIDEO = {
    "asset_id": "fedcba9876543210fedcba98",
    "kind": "video", "format": "mp4", "mime": "video/mp4", "width": 1920, "height": 1080, "duration": 3723.25,
    "paths": ["/videos/launch.mp4"], "current_paths": ["/videos/launch.mp4"],
    "file_sha256": "22" * 32,
    "metadata": {"caption": "Launch day", "keywords": ["rocket"], "creator": ["NASA"], "date_created": "2024-01-02"},
    "audio": {"duration": 3723.25},
    "transcript": [{"chunk_id": "v1", "start": 1.0, "end": 2.0, "text": "Liftoff."}],
}


def _values(expanded_node: dict, term: str) -> list:
    return [v.get("@value", v.get("@id", v)) for v in expanded_node.get(S + term, [])]


def _one(expanded_node: dict, term: str):
    values = _values(expanded_node, term)
    assert len(values) == 1, (term, values)
    return values[0]


def _predicates_and_types(node, preds: set, types: set) -> None:
    if isinstance(node, list):
        for n in node:
            _predicates_and_types(n, preds, types)
    elif isinstance(node, dict):
        types.update(node.get("@type", []) if isinstance(node.get("@type"), list) else [])
        for key, value in node.items():
            if not key.startswith("@"):
                preds.add(key)
                _predicates_and_types(value, preds, types)


def _compact_keys(node, keys: set) -> None:
    if isinstance(node, list):
        for n in node:
            _compact_keys(n, keys)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                keys.add(key)
                _compact_keys(value, keys)


def assert_schema_org(doc: dict) -> dict:
    """Expand `doc` offline; every predicate and type must be http://schema.org/<known term>, no
    compact key may be dropped, and `check` must find nothing. Returns the expanded top node."""
    expanded = expand(doc)
    preds: set[str] = set()
    types: set[str] = set()
    _predicates_and_types(expanded, preds, types)
    terms = schema_terms()
    for iri in preds | types:
        assert iri.startswith(S), iri
        assert iri[len(S):] in terms, f"{iri} is not a schema.org term"
    keys: set[str] = set()
    _compact_keys(doc, keys)
    assert {S + k for k in keys} == preds, "expansion dropped or invented properties"
    assert check(doc) == []
    return expanded[0]


def _exiftool(path: Path, *args: str) -> dict:
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    out = subprocess.run([exe, "-j", "-n", "-G1", *args, str(path)], capture_output=True, check=True)
    return json.loads(out.stdout.decode("utf-8"))[0]


# ---------------------------------------------------------------- the shipped vocabulary and loader

def test_shipped_context_is_schema_orgs_own_file_and_terms_come_with_provenance():
    vocab = schema_vocabulary()
    ctx_bytes = (SHIPPED / "schemaorgcontext.jsonld").read_bytes()
    assert vocab["release"] == "12.0"
    assert hashlib.sha256(ctx_bytes).hexdigest() == vocab["source"]["context_sha256"]
    context = json.loads(ctx_bytes)["@context"]
    assert context["@vocab"] == S and context["schema"] == S
    terms = schema_terms()
    assert len(terms) > 2500
    assert {"ImageObject", "AudioObject", "VideoObject", "MediaObject", "Person", "Organization", "Place",
            "PostalAddress", "GeoCoordinates", "QuantitativeValue", "caption", "creditText", "copyrightNotice",
            "acquireLicensePage", "license", "contentLocation", "transcript", "encodingFormat", "sha256"} <= terms
    # every term but the documented later additions is defined by the shipped 12.0 context itself
    assert vocab["later_terms"] == ["sha256"]
    assert "sha256" not in context
    assert terms - set(context) == {"sha256"}
    assert vocab["properties"]["sha256"]["domain"] == ["MediaObject"]
    # attic terms (test-only, retired) are not "real" terms
    assert "stupidProperty" in context and "stupidProperty" not in terms


@pytest.mark.parametrize("url", ["https://schema.org", "http://schema.org", "https://schema.org/",
                                 "http://schema.org/", "https://schema.org/docs/jsonldcontext.jsonld",
                                 "https://www.schema.org/docs/jsonldcontext.json"])
def test_offline_loader_serves_the_schema_org_context(url):
    remote = offline_document_loader()(url, {})
    assert remote["documentUrl"] == url and remote["contentType"] == "application/ld+json"
    assert remote["document"]["@context"]["ImageObject"] == {"@id": "schema:ImageObject"}
    remote["document"]["@context"].clear()  # callers get a copy: the next load is whole again
    assert offline_document_loader()(url, {})["document"]["@context"]["@vocab"] == S


@pytest.mark.parametrize("url", ["https://example.org/context.jsonld", "https://schema.org/Person",
                                 "https://schema.org.evil.example/", "ftp://schema.org/", "file:///etc/passwd"])
def test_offline_loader_refuses_everything_else(url):
    with pytest.raises(OfflineDocumentError, match="offline"):
        offline_document_loader()(url, {})


def test_expanding_a_foreign_context_fails_without_touching_the_network():
    with pytest.raises(pyld_jsonld.JsonLdError) as info:
        expand({"@context": "https://example.org/context.jsonld", "name": "x"})
    chain, err = [], info.value
    while err is not None and err not in chain:  # pyld keeps the cause in .details["cause"]
        chain.append(err)
        details = getattr(err, "details", None) or {}
        err = err.__cause__ or err.__context__ or (details.get("cause") if isinstance(details, dict) else None)
    assert any(isinstance(e, OfflineDocumentError) for e in chain)


def test_check_reports_unknown_terms_wrong_domains_and_ranges():
    doc = to_jsonld(IMAGE)
    doc["fooBar"] = "x"                                # not schema.org
    doc["transcript"] = "words"                        # AudioObject/VideoObject only
    doc["width"] = {"@type": "Person", "name": "wide"}  # range is Distance/QuantitativeValue
    doc["stupidProperty"] = "attic"                     # retired test term
    problems = check(doc)
    assert any("fooBar" in p for p in problems)
    assert any("transcript is not a property of ImageObject" in p for p in problems)
    assert any("width: a Person is outside its range" in p for p in problems)
    assert any("stupidProperty" in p for p in problems)
    # a term outside the context and without @vocab would be dropped by expansion
    dropped = {"@context": {"name": "http://schema.org/name"}, "@type": "http://schema.org/ImageObject",
               "name": "x", "caption": "y"}
    assert "caption was dropped by expansion" in check(dropped)


# ---------------------------------------------------------------- documents built by hand

def test_image_with_full_metadata():
    doc = to_jsonld(IMAGE)
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "ImageObject"
    node = assert_schema_org(doc)
    assert node["@id"] == "urn:mediaground:asset:0123456789abcdef01234567"
    assert node["@type"] == [S + "ImageObject"]
    assert _one(node, "identifier") == IMAGE["asset_id"]
    assert _one(node, "contentUrl") == "file:///photos/2024/playa.jpg"  # the current path, as a file URI
    assert _one(node, "name") == "La Caleta al atardecer"
    assert _one(node, "caption") == _one(node, "description") == "Bañistas en la playa de la Caleta, Cádiz"
    creators = [(c["@type"], c[S + "name"][0]["@value"]) for c in node[S + "creator"]]
    assert creators == [([S + "Person"], "Ana Núñez"), ([S + "Organization"], "The White House"),
                        ([S + "Organization"], "Acme Images Ltd.")]
    assert _one(node, "creditText") == "Ana Núñez / Acme"
    assert _one(node, "copyrightNotice") == "© 2024 Ana Núñez"
    assert _one(node, "license") == "https://creativecommons.org/licenses/by/4.0/"
    assert node[S + "license"] == [{"@id": "https://creativecommons.org/licenses/by/4.0/"}]
    assert _one(node, "acquireLicensePage") == "https://acme.example/license/123"
    assert node[S + "dateCreated"] == [{"@type": S + "Date", "@value": "2024-05-06T07:08:09+02:00"}]
    assert _values(node, "keywords") == ["playa", "Cádiz", "sunset, golden hour"]
    assert _one(node, "encodingFormat") == "image/jpeg"
    assert _one(node, "sha256") == SHA
    place = node[S + "contentLocation"][0]
    assert place["@type"] == [S + "Place"]
    assert _one(place, "name") == "Playa de la Caleta, Cádiz, Andalucía, España"
    address = place[S + "address"][0]
    assert address["@type"] == [S + "PostalAddress"]
    assert (_one(address, "addressLocality"), _one(address, "addressRegion"), _one(address, "addressCountry")) == (
        "Cádiz", "Andalucía", "ES")
    geo = place[S + "geo"][0]
    assert geo["@type"] == [S + "GeoCoordinates"]
    assert (_one(geo, "latitude"), _one(geo, "longitude"), _one(geo, "elevation")) == (36.5297, -6.3103, -12.5)
    assert all(isinstance(_one(geo, k), float) for k in ("latitude", "longitude", "elevation"))
    for term, px in (("width", 4000), ("height", 3000)):
        qv = node[S + term][0]
        assert qv["@type"] == [S + "QuantitativeValue"]
        assert (_one(qv, "value"), _one(qv, "unitCode")) == (px, "E37")
    for absent in ("duration", "transcript", "genre"):
        assert S + absent not in node
    # derived things and technical tags are not part of the mirror
    assert "seashore" not in json.dumps(doc) and "Canon" not in json.dumps(doc)
    # alt text and the extended description have no schema.org term (see the module docstring)
    assert "A beach at sunset" not in json.dumps(doc) and "twenty bathers" not in json.dumps(doc)


def test_audio_with_transcript_and_duration():
    doc = to_jsonld(AUDIO)
    node = assert_schema_org(doc)
    assert node["@type"] == [S + "AudioObject"]
    assert _one(node, "duration") == "PT1M33.5S"
    assert _one(node, "transcript") == "Hello from the beach. The tide is coming in."
    assert [c["@type"] for c in node[S + "creator"]] == [[S + "Organization"]]  # "Radio" is an organization word
    assert _one(node, "description") == "Recorded on the beach"  # no caption: the comment
    assert S + "caption" not in node
    assert _one(node, "genre") == "Speech"
    assert _one(node, "encodingFormat") == "audio/mpeg"
    assert _one(node, "sha256") == "11" * 32
    assert S + "width" not in node and S + "height" not in node and S + "contentLocation" not in node


def test_video():
    doc = to_jsonld(VIDEO)
    node = assert_schema_org(doc)
    assert node["@type"] == [S + "VideoObject"]
    assert _one(node, "duration") == "PT1H2M3.25S"
    assert _one(node, "transcript") == "Liftoff."
    assert _one(node, "name") == "launch.mp4"  # no title: the file name
    assert [(c["@type"], c[S + "name"][0]["@value"]) for c in node[S + "creator"]] == [
        ([S + "Organization"], "NASA")]
    assert _one(node[S + "width"][0], "value") == 1920 and _one(node[S + "height"][0], "value") == 1080


def test_acquire_license_page_comes_from_the_records_licensor_url():
    from mediaground.metadata.record import MetadataRecord

    md = MetadataRecord(licensor_url="https://acme.example/buy?id=7", licensor_name="Acme",
                        license_url="https://creativecommons.org/licenses/by-nc/4.0/").to_dict()
    doc = to_jsonld({"asset_id": IMAGE["asset_id"], "kind": "image", "metadata": md})
    assert doc["acquireLicensePage"] == "https://acme.example/buy?id=7"
    assert "Acme" not in json.dumps(doc)  # licensor_name has no schema.org term
    node = assert_schema_org(doc)
    assert node[S + "acquireLicensePage"] == [{"@id": "https://acme.example/buy?id=7"}]


def test_empty_values_are_omitted_and_odd_values_stay_valid():
    bare = {"asset_id": "aaaaaaaaaaaaaaaaaaaaaaaa", "kind": "image", "mime": None, "width": None, "height": None,
            "paths": ["/gone/x.png"], "current_paths": [], "file_sha256": None,
            "metadata": {"caption": "", "keywords": [], "creator": [" "], "license_url": "All rights reserved",
                         "gps_lat": 0.0, "gps_lon": 0.0},
            "transcript": []}
    doc = to_jsonld(bare)
    assert set(doc) == {"@context", "@type", "@id", "identifier", "license", "contentLocation"}
    assert doc["license"] == {"@type": "CreativeWork", "name": "All rights reserved"}  # text, not a bad IRI
    assert doc["contentLocation"]["geo"] == {"@type": "GeoCoordinates", "latitude": 0.0, "longitude": 0.0}
    assert_schema_org(doc)


@pytest.mark.parametrize("seconds,iso", [
    (0, "PT0S"), (11.0, "PT11S"), (11.5, "PT11.5S"), (60, "PT1M"), (93.5, "PT1M33.5S"), (3600, "PT1H"),
    (3723.25, "PT1H2M3.25S"), (0.0004, "PT0S"), (59.9996, "PT1M"), (None, None), (-1, None),
    (float("nan"), None), (float("inf"), None), ("12", "PT12S"), ("x", None)])
def test_iso_duration(seconds, iso):
    assert iso_duration(seconds) == iso


@pytest.mark.parametrize("name,org", [
    ("Ana Núñez", False), ("John Smith", False), ("Jean-Luc Picard", False), ("Press Ganey", True),
    ("The White House", True), ("The Associated Press", True), ("Acme Inc.", True), ("Foo GmbH", True),
    ("Getty Images", True), ("NASA", True), ("AP", True), ("S.A. Pérez y Hermanos S.A.", True),
    ("University of Cádiz", True), ("Theo Walcott", False), ("", False), ("Bob", False)])
def test_looks_like_organization(name, org):
    assert looks_like_organization(name) is org


# ---------------------------------------------------------------- the export folder

def test_write_export_files_and_graph(tmp_path):
    out = tmp_path / "export"
    report = write_export([VIDEO, IMAGE, AUDIO], out)
    assert report["assets"] == 3 and report["files"] == 4 and report["removed"] == 0
    assert report["by_type"] == {"AudioObject": 1, "ImageObject": 1, "VideoObject": 1}
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{a['asset_id']}.jsonld" for a in (IMAGE, AUDIO, VIDEO)] + ["graph.jsonld"])
    for asset in (IMAGE, AUDIO, VIDEO):
        on_disk = json.loads((out / f"{asset['asset_id']}.jsonld").read_text(encoding="utf-8"))
        assert on_disk == to_jsonld(asset)
    graph = json.loads((out / "graph.jsonld").read_text(encoding="utf-8"))
    assert graph["@context"] == "https://schema.org"
    assert [n["identifier"] for n in graph["@graph"]] == sorted(a["asset_id"] for a in (IMAGE, AUDIO, VIDEO))
    assert all("@context" not in n for n in graph["@graph"])
    expanded = expand(graph)
    assert sorted(n["@id"] for n in expanded) == sorted(f"urn:mediaground:asset:{a['asset_id']}"
                                                        for a in (IMAGE, AUDIO, VIDEO))
    assert check(graph) == []
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left behind

    # a second export without the video removes its stale file and nothing that is not ours
    (out / "notes.txt").write_text("keep me")
    (out / "custom.jsonld").write_text("{}")
    report = write_export([IMAGE, AUDIO], out)
    assert report["removed"] == 1 and not (out / f"{VIDEO['asset_id']}.jsonld").exists()
    assert (out / "notes.txt").exists() and (out / "custom.jsonld").exists()
    graph = json.loads((out / "graph.jsonld").read_text(encoding="utf-8"))
    assert len(graph["@graph"]) == 2


# ---------------------------------------------------------------- through a real Library

def _export_one(lib, path: Path, out: Path) -> dict:
    rec = lib.show(str(path))
    write_export([rec], out)
    return json.loads((out / f"{rec['asset_id']}.jsonld").read_text(encoding="utf-8"))


def test_library_asset_mirrors_its_tags_and_follows_a_change(fake_lib, media_dir, tmp_path):
    path = media_dir / "red.jpg"
    set_caption(path, "Primera versión", ["rojo", "muestra"])
    fake_lib.ingest([media_dir], workers=0)
    rec = fake_lib.show(str(path))
    doc = to_jsonld(rec)
    node = assert_schema_org(doc)
    assert node["@type"] == [S + "ImageObject"] and rec["kind"] == "image"
    assert _one(node, "identifier") == rec["asset_id"]
    assert _one(node, "contentUrl") == path.resolve().as_uri()
    assert _one(node, "name") == "red.jpg"
    assert _one(node, "sha256") == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _one(node[S + "width"][0], "value") == 64 and _one(node[S + "height"][0], "value") == 48
    et = _exiftool(path)
    assert _one(node, "caption") == et["XMP-dc:Description"] == "Primera versión"
    assert _values(node, "keywords") == et["XMP-dc:Subject"] == ["rojo", "muestra"]

    # change the tag in the file, re-ingest, export again: both say the new thing
    out = tmp_path / "export"
    before = _export_one(fake_lib, path, out)
    set_caption(path, "Segunda versión, corregida")
    fake_lib.ingest([path], workers=0)
    after = _export_one(fake_lib, path, out)
    et = _exiftool(path)
    assert after["caption"] == et["XMP-dc:Description"] == "Segunda versión, corregida"
    assert before["caption"] == "Primera versión" != after["caption"]
    assert after["identifier"] == before["identifier"]  # same asset, new version
    assert after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() != before["sha256"]
    graph = json.loads((out / "graph.jsonld").read_text(encoding="utf-8"))
    assert graph["@graph"][0]["caption"] == et["XMP-dc:Description"]
    assert_schema_org(after)


def test_library_edit_metadata_shows_in_tags_and_json_ld_alike(fake_lib, tmp_path):
    path = make_image(tmp_path / "media" / "coast.jpg", "blue", seed=3)
    fake_lib.ingest([path], workers=0)
    fake_lib.edit_metadata(str(path), {
        "caption": "Olas en la Caleta", "creator": "Ana Núñez; EFE News Agency", "credit": "EFE",
        "copyright": "© 2024 Ana Núñez", "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "licensor_url": "https://efe.example/licencias?foto=olas", "licensor_name": "EFE",
        "gps": "36.5297,-6.3103,12.5", "city": "Cádiz", "country": "España", "country_code": "ES",
        "keywords": "olas,playa",
    })
    doc = _export_one(fake_lib, path, tmp_path / "export")
    node = assert_schema_org(doc)
    et = _exiftool(path)
    assert _one(node, "caption") == et["XMP-dc:Description"]
    assert [c[S + "name"][0]["@value"] for c in node[S + "creator"]] == et["XMP-dc:Creator"]
    assert [c["@type"] for c in node[S + "creator"]] == [[S + "Person"], [S + "Organization"]]
    assert _one(node, "creditText") == et["XMP-photoshop:Credit"]
    assert _one(node, "copyrightNotice") == et["XMP-dc:Rights"]
    assert _one(node, "license") == et["XMP-xmpRights:WebStatement"]
    assert _one(node, "acquireLicensePage") == et["XMP-plus:LicensorURL"] == "https://efe.example/licencias?foto=olas"
    assert node[S + "acquireLicensePage"] == [{"@id": "https://efe.example/licencias?foto=olas"}]
    assert et["XMP-plus:LicensorName"] == "EFE"
    assert _values(node, "keywords") == et["XMP-dc:Subject"]
    geo = node[S + "contentLocation"][0][S + "geo"][0]
    assert (_one(geo, "latitude"), _one(geo, "longitude")) == (
        et["Composite:GPSLatitude"], et["Composite:GPSLongitude"]) == (36.5297, -6.3103)
    assert _one(geo, "elevation") == et["GPS:GPSAltitude"] == 12.5
    address = node[S + "contentLocation"][0][S + "address"][0]
    assert _one(address, "addressLocality") == et["XMP-photoshop:City"]
    assert _one(address, "addressCountry") == et["XMP-iptcCore:CountryCode"]


def test_library_audio_carries_its_transcript(fake_lib, tmp_path):
    path = write_wav(tmp_path / "sounds" / "tones.wav",
                     np.concatenate([tone(440, 3), np.zeros(32000), tone(880, 3)]))
    fake_lib.ingest([path], workers=0)
    rec = fake_lib.show(str(path))
    node = assert_schema_org(to_jsonld(rec))
    assert node["@type"] == [S + "AudioObject"]
    assert _one(node, "transcript") == "tone 440 hertz tone 880 hertz"
    assert _one(node, "duration") == "PT8S"
    assert _one(node, "encodingFormat") == rec["mime"]
    assert _one(node, "sha256") == hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_jsonld_command(fake_lib, media_dir, tmp_path):
    import json as _json

    from click.testing import CliRunner

    from mediaground.cli import main

    fake_lib.ingest([media_dir], workers=0)
    out = tmp_path / "ld"
    r = CliRunner().invoke(main, ["export", "jsonld", "--out", str(out), "--library", str(fake_lib.root), "--json"])
    assert r.exit_code == 0, r.output
    assert _json.loads(r.output)["assets"] == 6
    graph = _json.loads((out / "graph.jsonld").read_text())
    assert len(graph["@graph"]) == 6 and len(list(out.glob("*.jsonld"))) == 7
