"""The controlled vocabulary: YAML format and validation, lookup, SKOS round trips and foreign SKOS,
normalization at ingest (fake models), unknown-term reports, suggestions, and the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_image, set_keywords
from mediaground.cli import main
from mediaground.taxonomy import (
    Vocabulary, VocabularyError, install_vocabulary, load_library_vocabulary, load_vocabulary_file, term_key,
    unknown_terms_report,
)
from mediaground.taxonomy.skos import from_turtle, to_turtle

BRAND_YAML = """
scheme: {uri: "https://example.org/vocab/", title: "Brand assets", lang: en}
concepts:
  - id: brand-logo
    pref: Brand logo
    alt: [Logomark, favicon, blue-swirl thing, "logotipo@es"]
    broader: [brand]
  - id: brand
    pref: [Brand, "Marca@es"]
    hidden: [brnad]
    definition: Everything that identifies the company.
    exact_match: ["http://www.wikidata.org/entity/Q431289"]
  - id: colour
    pref: Colour
    narrower: [red]
  - id: red
    pref: Red
    alt: [crimson]
  - id: product-photo
    pref: Product photo
    alt: [packshot, "Café au lait"]
"""



def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary.loads(BRAND_YAML)


# ---------------------------------------------------------------- the file


def test_yaml_loads_with_hierarchy_languages_and_derived_narrower(vocab):
    logo = vocab["brand-logo"]
    assert logo.label == "Brand logo"
    assert [str(a) for a in logo.alt] == ["Logomark", "favicon", "blue-swirl thing", "logotipo@es"]
    assert [c.id for c in vocab.broader("brand-logo")] == ["brand"]
    assert [c.id for c in vocab.narrower("brand")] == ["brand-logo"]  # derived from broader
    assert [c.id for c in vocab.broader("red")] == ["colour"]          # derived from a given narrower
    assert [str(p) for p in vocab["brand"].pref_other] == ["Marca@es"]
    assert {c.id for c in vocab.top_concepts()} == {"brand", "colour", "product-photo"}
    assert vocab.related("brand-logo", "brand") and not vocab.related("brand-logo", "red")


def test_save_is_deterministic_and_reloads_equal(tmp_path, vocab):
    p = tmp_path / "t.yaml"
    vocab.save(p)
    text = p.read_text(encoding="utf-8")
    again = Vocabulary.load(p)
    assert again == vocab
    again.save(p)
    assert p.read_text(encoding="utf-8") == text
    # human-friendly: block style concepts, inline short label lists, unicode as is, narrower not written
    assert "  - id: brand\n" in text and "alt: [blue-swirl thing, favicon, Logomark, logotipo@es]" in text
    assert "Café au lait" in text and "narrower" not in text
    assert text.index("id: brand\n") < text.index("id: brand-logo")  # broader first, then its narrower


@pytest.mark.parametrize("yaml_text, expected", [
    ("concepts:\n  - {id: a, pref: A}\n  - {id: a, pref: B}\n", "concept id 'a' is used twice"),
    ("concepts:\n  - {id: a, pref: Logo}\n  - {id: b, pref: logo}\n",
     "preferred label 'logo' of 'b' is the same term as 'Logo', the preferred label of 'a'"),
    ("concepts:\n  - {id: a, pref: A, alt: [Logo mark]}\n  - {id: b, pref: B, alt: [logo-mark]}\n",
     "label 'logo-mark' (alt of 'b') is the same term as 'Logo mark' (alt of 'a')"),
    ("concepts:\n  - {id: a, pref: A, broader: [nope]}\n", "concept 'a': broader concept 'nope' does not exist"),
    ("concepts:\n  - {id: a, pref: A, broader: [b]}\n  - {id: b, pref: B, broader: [c]}\n"
     "  - {id: c, pref: C, broader: [a]}\n", "broader cycle: a → b → c → a"),
    ("concepts:\n  - {id: a, pref: A, broader: [a]}\n", "concept 'a' is its own broader concept"),
    ("concepts:\n  - {id: 'has space', pref: A}\n", "concept id 'has space' must be letters"),
    ("concepts:\n  - {id: a}\n", "concept 'a' has no preferred label"),
    ("concepts:\n  - {id: a, pref: A, colour: red}\n", "unknown keys colour"),
    ("concepts: [\n", "not valid YAML"),
    ("concepts:\n  - {id: a, pref: A, alt: [yes]}\n", "put it in quotes"),
])
def test_validation_errors_name_the_problem(yaml_text, expected):
    with pytest.raises(VocabularyError) as err:
        Vocabulary.loads(yaml_text, source="t.yaml")
    assert expected in str(err.value), str(err.value)
    assert str(err.value).startswith("t.yaml: invalid vocabulary")


def test_all_problems_are_listed_at_once():
    with pytest.raises(VocabularyError) as err:
        Vocabulary.loads("concepts:\n  - {id: a, pref: X, broader: [zz]}\n  - {id: b, pref: x}\n")
    assert len(err.value.problems) == 2


# ---------------------------------------------------------------- lookup


@pytest.mark.parametrize("term, concept, how", [
    ("Brand logo", "brand-logo", "pref"),
    ("brand logo", "brand-logo", "pref-variant"),
    ("BRAND_LOGO", "brand-logo", "pref-variant"),
    ("  Brand-Logo. ", "brand-logo", "pref-variant"),
    ("brand logos", "brand-logo", "pref-variant"),       # simple plural
    ("Logomark", "brand-logo", "alt"),
    ("logo mark", "brand-logo", "alt"),                  # words run together
    ("LOGOMARKS", "brand-logo", "alt"),
    ("Blue swirl thing!", "brand-logo", "alt"),
    ("logotipo", "brand-logo", "alt"),                   # language-tagged label, matched as text
    ("marca", "brand", "pref-variant"),                  # preferred label in another language
    ("brnad", "brand", "hidden"),
    ("cafe au lait", "product-photo", "alt"),            # accents
    ("CAFÉ-AU-LAIT", "product-photo", "alt"),
    ("crimson", "red", "alt"),
    ("sunset", None, None),
    ("", None, None),
    ("logo", None, None),                                # a part of a label is not the label
])
def test_lookup_variants(vocab, term, concept, how):
    m = vocab.match(term)
    assert (m.concept.id if m else None) == concept
    assert (m.how if m else None) == how
    assert vocab.lookup(term) is (vocab[concept] if concept else None)


def test_term_key_folds_what_people_vary():
    assert term_key("Café-Logo_2  ") == "cafe logo 2"
    assert term_key("東京") == "東京"
    assert term_key("がっこう") != term_key("かっこう")  # kana voicing marks are letters, not accents


def test_loose_keys_only_when_unambiguous():
    v = Vocabulary.loads("concepts:\n  - {id: a, pref: News}\n  - {id: b, pref: New}\n")
    assert v.lookup("news").id == "a" and v.lookup("new").id == "b"  # exact keys win over the plural rule


# ---------------------------------------------------------------- SKOS


def test_skos_round_trip_is_lossless(tmp_path, vocab):
    ttl = to_turtle(vocab)
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import SKOS

    g = Graph().parse(data=ttl, format="turtle")
    logo = URIRef("https://example.org/vocab/brand-logo")
    assert (logo, SKOS.prefLabel, Literal("Brand logo", lang="en")) in g
    assert (logo, SKOS.altLabel, Literal("logotipo", lang="es")) in g
    assert (logo, SKOS.broader, URIRef("https://example.org/vocab/brand")) in g
    assert (URIRef("https://example.org/vocab/brand"), SKOS.narrower, logo) in g
    assert (logo, SKOS.inScheme, URIRef("https://example.org/vocab/")) in g
    back = from_turtle(ttl)
    assert back == vocab and back.warnings == []
    assert back.dumps() == vocab.dumps()
    # and through the files, as the CLI does it
    (tmp_path / "v.ttl").write_text(ttl, encoding="utf-8")
    assert load_vocabulary_file(tmp_path / "v.ttl") == vocab


def test_round_trip_without_a_scheme_language(vocab):
    d = vocab.to_dict()
    del d["scheme"]["lang"]
    v = Vocabulary.from_dict(d)
    assert from_turtle(to_turtle(v)) == v


FOREIGN = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <http://vocab.example.com/animals#> .

ex:scheme a skos:ConceptScheme ; dcterms:title "Animals"@en, "Tiere"@de .
ex:c1 a skos:Concept ; skos:inScheme ex:scheme ;
    skos:prefLabel "Dog"@en, "Perro"@es ; skos:altLabel "hound"@en, "doggo" ; skos:broader ex:c3 .
ex:c2 a skos:Concept ; skos:inScheme ex:scheme ;
    skos:prefLabel "Cat"@en, "Gato"@es ; skos:hiddenLabel "kat"@en .
ex:c3 a skos:Concept ; skos:inScheme ex:scheme ; skos:prefLabel "Mammal"@en ; skos:narrower ex:c2 ;
    skos:broader <http://elsewhere.example/animal> .
"""


def test_foreign_skos_import():
    v = from_turtle(FOREIGN)
    assert v.scheme.uri == "http://vocab.example.com/animals#scheme" and v.scheme.title == "Animals"
    assert v.scheme.lang == "en"  # the most common prefLabel language becomes the untagged one
    dog = v.lookup("perro")
    assert dog is not None and dog.label == "Dog" and [str(p) for p in dog.pref_other] == ["Perro@es"]
    assert v.lookup("HOUND") is dog and v.lookup("doggo") is dog
    assert v.lookup("kat").label == "Cat"
    assert {c.label for c in v.broader(dog.id)} == {"Mammal"}
    assert {c.label for c in v.narrower(v.lookup("mammal").id)} == {"Dog", "Cat"}  # narrower read back too
    assert any("elsewhere.example/animal" in w and "dropped" in w for w in v.warnings)
    # ids come from the URIs (not under the scheme URI, so each keeps its own)
    assert dog.id == "c1" and v.uri(dog) == "http://vocab.example.com/animals#c1"
    assert from_turtle(to_turtle(v)) == v


def test_foreign_skos_with_clashing_labels_is_refused():
    bad = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://x/a> a skos:Concept ; skos:prefLabel "Car" .
<http://x/b> a skos:Concept ; skos:prefLabel "Automobile" ; skos:altLabel "car" ."""
    with pytest.raises(VocabularyError, match="'car' \\(alt of 'b'\\) is the same term as 'Car' \\(pref of 'a'\\)"):
        from_turtle(bad)


def test_not_turtle_is_a_clear_error():
    with pytest.raises(VocabularyError, match="not valid turtle"):
        from_turtle("this is { not turtle")
    with pytest.raises(VocabularyError, match="no skos:Concept"):
        from_turtle("@prefix ex: <http://x/> . ex:a ex:b ex:c .")


# ---------------------------------------------------------------- ingest


@pytest.fixture
def brand_lib(fake_lib, tmp_path, vocab):
    install_vocabulary(fake_lib.root, vocab)
    media = tmp_path / "media"
    logo = make_image(media / "logo.jpg", "blue", seed=1)
    set_keywords(logo, iptc=["Logomark", "favicon", "sunset"], xmp=["Logomark", "favicon", "sunset"])
    plain = make_image(media / "plain.jpg", "red", seed=2)
    set_keywords(plain, xmp=["crimson", "Crimson", "Sunset", "beach"])
    return fake_lib, media, logo, plain


def test_ingest_maps_keywords_to_preferred_labels_without_touching_files(brand_lib):
    lib, media, logo, plain = brand_lib
    before = {p: sha256(p) for p in (logo, plain)}
    report = lib.ingest([media], workers=0)
    assert report.added == 2
    assert report.to_dict()["unknown_terms"] == 3  # sunset (logo.jpg), Sunset and beach (plain.jpg)
    assert {p: sha256(p) for p in (logo, plain)} == before  # normalization never writes files

    md = lib.show(str(logo))["metadata"]
    assert md["keywords"] == ["Brand logo", "sunset"]  # once, in order, the unknown term kept
    assert md["keywords_raw"] == ["Logomark", "favicon", "sunset"]  # what the file says stays in the record
    md2 = lib.show(str(plain))["metadata"]
    assert md2["keywords"] == ["Red", "Sunset", "beach"]

    logo_id = lib.resolve(str(logo))
    assert [(t.field, t.term) for t in lib.catalog.terms.all() if t.asset_id == logo_id] == [("keywords", "sunset")]
    report = unknown_terms_report(lib.catalog)
    sunset = next(r for r in report if term_key(r["term"]) == "sunset")
    assert sunset["count"] == 2 and set(sunset["spellings"]) == {"sunset", "Sunset"}
    assert any(e["path"] == str(logo) for e in sunset["examples"])

    # the full-text path and the search filter see the preferred label
    assert lib.catalog.fulltext.fields(lib.show(str(logo))["file_id"])["keywords"] == "Brand logo, sunset"
    assert [r.asset_id for r in lib.search(keyword="Brand logo")] == [logo_id]
    assert logo_id in [r.asset_id for r in lib.search("Brand logo")]


def test_reingest_replaces_unknown_terms(brand_lib):
    lib, media, logo, plain = brand_lib
    lib.ingest([media], workers=0)
    logo_id = lib.resolve(str(logo))
    set_keywords(logo, iptc=["favicon", "harbour"], xmp=["favicon", "harbour"])
    lib.ingest([media], workers=0)
    assert [t.term for t in lib.catalog.terms.all() if t.asset_id == logo_id] == ["harbour"]
    assert lib.show(logo_id)["metadata"]["keywords"] == ["Brand logo", "harbour"]


def test_no_taxonomy_no_change(fake_lib, tmp_path):
    p = make_image(tmp_path / "m" / "a.jpg", "red")
    set_keywords(p, xmp=["Logomark"])
    report = fake_lib.ingest([tmp_path / "m"], workers=0)
    assert "unknown_terms" not in report.to_dict()
    md = fake_lib.show(str(p))["metadata"]
    assert md["keywords"] == ["Logomark"] and "keywords_raw" not in md
    assert load_library_vocabulary(fake_lib.root) is None


def test_broken_taxonomy_file_stops_ingest_with_a_message(fake_lib, tmp_path):
    (fake_lib.root / "taxonomy.yaml").write_text("concepts:\n  - {id: a}\n", encoding="utf-8")
    make_image(tmp_path / "m" / "a.jpg", "red")
    with pytest.raises(VocabularyError, match="taxonomy.yaml: invalid vocabulary"):
        fake_lib.ingest([tmp_path / "m"], workers=0)


# ---------------------------------------------------------------- CLI


def test_cli_import_renormalizes_show_export_unknown(fake_lib, tmp_path):
    lib = fake_lib
    media = tmp_path / "media"
    logo = make_image(media / "logo.jpg", "blue", seed=1)
    set_keywords(logo, iptc=["Logomark", "favicon", "sunset"], xmp=["Logomark", "favicon", "sunset"])
    before = sha256(logo)
    lib.ingest([media], workers=0)  # no vocabulary yet: keywords as written
    logo_id = lib.resolve(str(logo))
    assert lib.show(logo_id)["metadata"]["keywords"] == ["Logomark", "favicon", "sunset"]
    src = tmp_path / "brand.yaml"
    src.write_text(BRAND_YAML, encoding="utf-8")

    r = _run("taxonomy", "import", src, "--library", lib.root, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["concepts"] == 5 and out["changed"] == 1 and out["unknown_terms"] == 1
    assert (lib.root / "taxonomy.yaml").is_file()
    assert lib.show(logo_id)["metadata"]["keywords"] == ["Brand logo", "sunset"]  # the catalog follows
    assert lib.catalog.fulltext.fields(lib.show(str(logo))["file_id"])["keywords"] == "Brand logo, sunset"
    assert sha256(logo) == before

    r = _run("taxonomy", "unknown", "--library", lib.root, "--json")
    rows = json.loads(r.output)["unknown"]
    assert [(u["term"], u["field"], u["count"]) for u in rows] == [("sunset", "keywords", 1)]
    assert rows[0]["examples"][0]["asset_id"] == logo_id
    r = _run("taxonomy", "unknown", "--library", lib.root)
    assert "sunset" in r.output and "logo.jpg" in r.output

    r = _run("taxonomy", "show", "--library", lib.root)
    assert r.exit_code == 0
    assert "\n  Brand  [brand]  also: Marca@es\n" in r.output
    assert "\n    Brand logo  [brand-logo]  alt: blue-swirl thing, favicon, Logomark, logotipo@es\n" in r.output
    shown = json.loads(_run("taxonomy", "show", "--library", lib.root, "--json").output)
    assert [c["id"] for c in shown["concepts"]][:2] == ["brand", "brand-logo"]

    ttl = tmp_path / "out.ttl"
    r = _run("taxonomy", "export", ttl, "--library", lib.root)
    assert r.exit_code == 0 and "(ttl)" in r.output
    assert Vocabulary.loads(BRAND_YAML) == load_vocabulary_file(ttl)
    r = _run("taxonomy", "export", tmp_path / "out.yaml", "--library", lib.root)
    assert Vocabulary.load(tmp_path / "out.yaml") == Vocabulary.loads(BRAND_YAML)

    # importing the Turtle back works too (and is the same vocabulary)
    r = _run("taxonomy", "import", ttl, "--library", lib.root, "--json")
    assert r.exit_code == 0 and json.loads(r.output)["changed"] == 0

    # index --json reports the unknown-term count once a vocabulary exists
    make_image(media / "new.jpg", "green", seed=9)
    set_keywords(media / "new.jpg", xmp=["packshot", "harbour"])
    r = _run("index", media, "--library", lib.root, "--json", "--workers", "0")
    summary = json.loads(r.output)
    assert summary["added"] == 1 and summary["unknown_terms"] == 1
    assert lib.show(str(media / "new.jpg"))["metadata"]["keywords"] == ["Product photo", "harbour"]


def test_cli_import_refuses_an_invalid_file(fake_lib, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("concepts:\n  - {id: a, pref: A, broader: [b]}\n  - {id: b, pref: B, broader: [a]}\n")
    r = _run("taxonomy", "import", bad, "--library", fake_lib.root)
    assert r.exit_code == 1 and "broader cycle: a → b → a" in r.output and "Traceback" not in r.output
    assert not (fake_lib.root / "taxonomy.yaml").exists()
    r = _run("taxonomy", "show", "--library", fake_lib.root)
    assert r.exit_code == 1 and "no vocabulary yet" in r.output
    other = tmp_path / "v.csv"
    other.write_text("x")
    r = _run("taxonomy", "import", other, "--library", fake_lib.root)
    assert r.exit_code == 1 and "unknown vocabulary format .csv" in r.output


# ---------------------------------------------------------------- suggestions


def test_suggest_merges_near_duplicates_and_accept_writes_alt_labels(fake_lib, tmp_path, vocab):
    lib = fake_lib
    install_vocabulary(lib.root, vocab)
    media = tmp_path / "media"
    words = {"a": ["Brand logo", "logo mark"], "b": ["Logo-marks"], "c": ["harbour", "Harbour"],
             "d": ["harbours"], "e": ["beach"], "f": ["faivcon", "Prodcut photo"]}
    for i, (name, kws) in enumerate(words.items()):
        set_keywords(make_image(media / f"{name}.jpg", "red", seed=i), xmp=kws)
    lib.ingest([media], workers=0)

    r = _run("taxonomy", "suggest", "--library", lib.root, "--json")
    assert r.exit_code == 0, r.output
    sugg = json.loads(r.output)["suggestions"]
    harbour = next(s for s in sugg if s["into"] == "harbour" or s["into"] == "Harbour")
    assert harbour["concept"] is None and harbour["score"] == 1.0
    assert "harbours" in harbour["terms"] or "harbours" == harbour["into"]
    # misspellings of the vocabulary's own labels go into their concept
    typo = next(s for s in sugg if "faivcon" in s["terms"])
    assert typo["into"] == "Brand logo" and typo["concept"] == "brand-logo" and "misspelling" in typo["why"]
    assert any(s["terms"] == ["Prodcut photo"] and s["concept"] == "product-photo" for s in sugg)
    # unrelated words are not merged; nothing was written by listing
    assert not any("beach" in s["terms"] or s["into"] == "beach" for s in sugg)
    assert Vocabulary.load(lib.root / "taxonomy.yaml") == vocab

    r = _run("taxonomy", "suggest", "--library", lib.root)
    assert "nothing written" in r.output
    n = next(i for i, s in enumerate(sugg, 1) if s is harbour)
    r = _run("taxonomy", "suggest", "--library", lib.root, "--accept", n)
    assert r.exit_code == 0, r.output
    v = Vocabulary.load(lib.root / "taxonomy.yaml")
    concept = v.lookup("harbours")
    assert concept is not None and v.lookup("Harbour") is concept
    # the catalog followed: no more unknown harbour terms
    left = {u["term"].casefold() for u in unknown_terms_report(lib.catalog)}
    assert "harbour" not in left and "harbours" not in left and "beach" in left and "faivcon" in left
    r = _run("taxonomy", "suggest", "--library", lib.root, "--accept", "all", "--json")
    accepted = json.loads(r.output)["accepted"]
    assert ["brand-logo", "faivcon"] in accepted["added"]
    assert lib.show(lib.resolve(str(media / "f.jpg")))["metadata"]["keywords"] == ["Brand logo", "Product photo"]
    assert json.loads(_run("taxonomy", "suggest", "--library", lib.root, "--json").output)["suggestions"] == []
    r = _run("taxonomy", "suggest", "--library", lib.root, "--accept", "99")
    assert r.exit_code == 2 and "not a suggestion number" in r.output
