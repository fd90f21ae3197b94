"""Controlled vocabulary: one set of concepts with preferred and alternative labels (`vocab`),
SKOS import/export (`skos`), normalization of a library's keywords at ingest (`normalize`),
and merge suggestions for near-duplicate terms (`suggest`).

A library keeps its vocabulary in ``LIBRARY/taxonomy.yaml`` (see `vocab` for the format).
"""

from pathlib import Path

from mediaground.taxonomy.normalize import (
    TAXONOMY_FILE, IngestVocabulary, install_vocabulary, load_library_vocabulary, normalize_record,
    normalize_terms, taxonomy_path, unknown_terms_report,
)
from mediaground.taxonomy.skos import SKOS_SUFFIXES, load_skos
from mediaground.taxonomy.vocab import Concept, Label, Match, Scheme, Vocabulary, VocabularyError, slugify, term_key


def load_vocabulary_file(path, lang: str | None = None) -> Vocabulary:
    """A vocabulary from YAML (.yaml/.yml) or SKOS (.ttl, .rdf, .nt, ...), validated."""
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return Vocabulary.load(path)
    if suffix in SKOS_SUFFIXES:
        return load_skos(path, lang=lang)
    raise VocabularyError([f"unknown vocabulary format {suffix or '(no suffix)'}: use .yaml, .yml or .ttl"], str(path))


__all__ = [
    "TAXONOMY_FILE", "Concept", "Label", "Match", "Scheme", "Vocabulary", "VocabularyError", "IngestVocabulary",
    "install_vocabulary", "load_library_vocabulary", "load_vocabulary_file", "normalize_record",
    "normalize_terms", "slugify", "taxonomy_path", "term_key", "unknown_terms_report",
]
