"""Ingest: files in, assets out. The steps, in the order a file goes through them:

1. `scan`      walk the inputs (stable order; hidden entries and libraries skipped)
2. `identify`  what the catalog already knows: unchanged, quarantined, known content (rename, copy)
3. `extract`   in worker processes: type by content, essence hash → asset ID, metadata, pixels
4. `normalize` place names from GPS, the library's vocabulary, the searchable document
5. `embed`     image, text, transcript and window vectors in the active primary spaces
6. `write`     originals into the store, vectors into the index, one catalog transaction

`run.Ingestor` drives them; `audio` analyses recordings for `embed`; `renormalize` runs steps 4–6
again on catalog records after a vocabulary change.
"""
