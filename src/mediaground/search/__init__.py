"""Search, in the order a query goes through it:

- `query`     the query and its filters, checked; the words for the full-text path
- `embed`     an example file or asset as a query vector
- `vectors`   the vector paths (text space, image/audio by example, added spaces)
- `fulltext`  the document and transcript full-text paths
- `places`    filters, and the geo path
- `fuse`      reciprocal-rank fusion of every path's ranking
- `results`   the results people and LLMs read, hydrated in one batch

`engine.search` runs them.
"""
