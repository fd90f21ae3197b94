"""The catalog schema (SQLite). Raw files and this catalog are the truth; vectors are derived.

`SCHEMA_VERSION` is stored in the `meta` table. Opening a catalog written by a newer mediaground
is refused; older versions are migrated forward by the steps in `MIGRATIONS`.
"""

SCHEMA_VERSION = 6

SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- One row per asset, keyed by its essence-derived ID.
CREATE TABLE assets (
    asset_id        TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,            -- image | audio | video
    format          TEXT,
    mime            TEXT,
    id_basis        TEXT NOT NULL,            -- essence | file
    id_method       TEXT NOT NULL,            -- e.g. jpeg-scan, png-chunks, av-packets, file
    essence_sha256  TEXT NOT NULL,
    current_sha256  TEXT NOT NULL,            -- file sha256 of the current version
    width           INTEGER,
    height          INTEGER,
    duration        REAL,
    date_created    TEXT,                     -- ISO 8601, from the metadata
    metadata        TEXT NOT NULL DEFAULT '{}',  -- the normalized record (JSON)
    added_at        TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX assets_kind ON assets(kind);
CREATE INDEX assets_date ON assets(date_created);

-- Every file version seen: the content store keeps each one, never modified.
CREATE TABLE versions (
    file_sha256  TEXT PRIMARY KEY,
    asset_id     TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    size         INTEGER NOT NULL,
    store_path   TEXT NOT NULL,               -- relative to the library root
    first_seen   TEXT NOT NULL
);
CREATE INDEX versions_asset ON versions(asset_id);

-- Where assets were seen on disk; current = 0 keeps past paths (renames, moves).
CREATE TABLE paths (
    path         TEXT PRIMARY KEY,
    asset_id     TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    file_sha256  TEXT NOT NULL,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    current      INTEGER NOT NULL DEFAULT 1,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL
);
CREATE INDEX paths_asset ON paths(asset_id);

-- Pinned embedding spaces (model + revision + weights sha256 + preprocessor hash + prompt).
CREATE TABLE spaces (
    space_id          TEXT PRIMARY KEY,
    role              TEXT NOT NULL,          -- text | image
    model_id          TEXT NOT NULL,
    revision          TEXT NOT NULL,
    weights_sha256    TEXT NOT NULL,
    preprocessor_hash TEXT NOT NULL,
    prompt            TEXT NOT NULL,
    dim               INTEGER NOT NULL,
    modality          TEXT NOT NULL,
    status            TEXT NOT NULL,          -- active | shadow | previous | retired
    created_at        TEXT NOT NULL
);

-- Which vectors exist. The vector index holds the floats; this says what it must hold.
CREATE TABLE vectors (
    chunk_id   TEXT NOT NULL,
    space_id   TEXT NOT NULL REFERENCES spaces(space_id),
    asset_id   TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    part       TEXT NOT NULL,                 -- image | labels | text | (audio windows later)
    start      REAL,
    "end"      REAL,
    runtime    TEXT NOT NULL,
    source_sha TEXT NOT NULL,                 -- hash of what was embedded (skip unchanged text)
    created_at TEXT NOT NULL,
    PRIMARY KEY (chunk_id, space_id)
);
CREATE INDEX vectors_asset ON vectors(asset_id);

-- Labels an image model gave an asset (they join the searchable text).
CREATE TABLE labels (
    asset_id  TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    space_id  TEXT NOT NULL,
    label     TEXT NOT NULL,
    score     REAL NOT NULL,
    PRIMARY KEY (asset_id, space_id, label)
);

-- What happened to each asset, with where it came from.
CREATE TABLE provenance (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id  TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    event     TEXT NOT NULL,                  -- added | updated | renamed | copy-seen | reembedded
    detail    TEXT NOT NULL DEFAULT '{}',
    at        TEXT NOT NULL
);
CREATE INDEX provenance_asset ON provenance(asset_id);

-- Files that could not be indexed, and why. Re-tried when the file changes.
CREATE TABLE quarantine (
    path         TEXT PRIMARY KEY,
    file_sha256  TEXT,
    size         INTEGER,
    mtime_ns     INTEGER,
    reason       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL
);

-- The full-text path over everything an asset says about itself.
CREATE VIRTUAL TABLE fts USING fts5(
    asset_id UNINDEXED, title, caption, keywords, labels, creator, place, filename, other,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""

# Version 2: audio as a first-class asset: what decoding found, and timestamped transcript segments.
SCHEMA_V2 = """
CREATE TABLE audio (
    asset_id              TEXT PRIMARY KEY REFERENCES assets(asset_id) ON DELETE CASCADE,
    duration              REAL NOT NULL,      -- seconds actually decoded
    declared_duration     REAL,               -- what the header claims
    truncated             INTEGER NOT NULL,
    silent                INTEGER NOT NULL,
    rms_dbfs              REAL,
    language              TEXT,               -- NULL when the speech model is not confident
    language_probability  REAL,
    warnings              TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE segments (
    chunk_id    TEXT PRIMARY KEY,             -- "<asset_id>:seg:<n>"
    asset_id    TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    start       REAL NOT NULL,
    "end"       REAL NOT NULL,
    text        TEXT NOT NULL,
    confidence  REAL,
    words       TEXT NOT NULL DEFAULT '[]'    -- [[start, end, word, probability], ...]
);
CREATE INDEX segments_asset ON segments(asset_id);

CREATE VIRTUAL TABLE segments_fts USING fts5(
    chunk_id UNINDEXED, asset_id UNINDEXED, text,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""

# Version 3: trusted coordinates as columns, for radius and bounding-box filters.
SCHEMA_V3 = """
ALTER TABLE assets ADD COLUMN lat REAL;
ALTER TABLE assets ADD COLUMN lon REAL;
UPDATE assets SET lat = json_extract(metadata, '$.gps_lat'), lon = json_extract(metadata, '$.gps_lon')
    WHERE json_extract(metadata, '$.gps_lat') IS NOT NULL
      AND NOT (json_extract(metadata, '$.gps_lat') = 0 AND json_extract(metadata, '$.gps_lon') = 0);
CREATE INDEX assets_lat_lon ON assets(lat, lon);
"""

# Version 4: several spaces per library and staged migration (each space keeps the model spec it
# was built from, and the space it replaces); governance (vocabulary reports, OCR text, flags).
SCHEMA_V4 = """
-- spec: the canonical model spec (id?options); replaces: the space a shadow will replace (NULL when
-- added beside the others); changed_at: the last status change.
ALTER TABLE spaces ADD COLUMN spec TEXT;
ALTER TABLE spaces ADD COLUMN replaces TEXT;
ALTER TABLE spaces ADD COLUMN changed_at TEXT;
UPDATE spaces SET spec = model_id WHERE spec IS NULL;

-- Which assets a space has been filled with (vectors written, or why not): what makes filling a
-- space (migration, catch-up after ingest, reindex --space) resumable.
CREATE TABLE space_assets (
    space_id  TEXT NOT NULL REFERENCES spaces(space_id),
    asset_id  TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    vectors   INTEGER NOT NULL,
    error     TEXT,
    at        TEXT NOT NULL,
    PRIMARY KEY (space_id, asset_id)
);

-- Keywords/labels the controlled vocabulary did not know, reported at ingest (never silently kept).
CREATE TABLE unknown_terms (
    asset_id  TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    field     TEXT NOT NULL,                  -- keywords | labels | genre | ...
    term      TEXT NOT NULL,
    seen_at   TEXT NOT NULL,
    PRIMARY KEY (asset_id, field, term)
);

-- Text read inside images (OCR), cached per file version.
CREATE TABLE ocr_text (
    file_sha256 TEXT PRIMARY KEY,
    engine      TEXT NOT NULL,
    text        TEXT NOT NULL,
    at          TEXT NOT NULL
);

-- Flags a person sets on assets (e.g. private).
CREATE TABLE asset_flags (
    asset_id  TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    flag      TEXT NOT NULL,
    set_at    TEXT NOT NULL,
    PRIMARY KEY (asset_id, flag)
);
"""

# Version 5: the asset is the essence, each file its own record. What a file's bytes say (its
# normalized record, date and trusted place) moves from the asset to the file version; every path
# gets a stable integer id and its own full-text document; unknown vocabulary terms are per file.
# Versions older catalogs never read (a second copy with other tags) keep metadata NULL, and their
# current paths get mtime -1 so the next `index` reads them; so do copies that shared one record.
SCHEMA_V5 = """
ALTER TABLE versions ADD COLUMN metadata TEXT;
ALTER TABLE versions ADD COLUMN date_created TEXT;
ALTER TABLE versions ADD COLUMN lat REAL;
ALTER TABLE versions ADD COLUMN lon REAL;
-- one pass over assets, each finding its version by primary key (linear in the library size)
UPDATE versions SET metadata = a.metadata, date_created = a.date_created, lat = a.lat, lon = a.lon
    FROM assets a WHERE a.current_sha256 = versions.file_sha256;
CREATE INDEX versions_date ON versions(date_created);
CREATE INDEX versions_lat_lon ON versions(lat, lon);

ALTER TABLE paths ADD COLUMN file_id INTEGER;
UPDATE paths SET file_id = rowid;
-- searchable: the file stands for its asset in search (a current file; or, once every file of the
-- asset is gone, the files it had last), with a full-text document and the words of its version
ALTER TABLE paths ADD COLUMN searchable INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX paths_file_id ON paths(file_id);
CREATE INDEX paths_sha ON paths(file_sha256);
UPDATE paths SET mtime_ns = -1 WHERE current = 1 AND (
    file_sha256 IN (SELECT file_sha256 FROM versions WHERE metadata IS NULL)
    OR asset_id IN (SELECT asset_id FROM paths WHERE current = 1 GROUP BY asset_id HAVING COUNT(*) > 1));

-- one full-text document per file; its rowid is the file's id
CREATE VIRTUAL TABLE file_fts USING fts5(
    asset_id UNINDEXED, title, caption, keywords, labels, creator, place, filename, other,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO file_fts(rowid, asset_id, title, caption, keywords, labels, creator, place, filename, other)
    SELECT p.file_id, p.asset_id, f.title, f.caption, f.keywords, f.labels, f.creator, f.place, f.filename, f.other
    FROM paths p JOIN fts f ON f.asset_id = p.asset_id JOIN assets a ON a.asset_id = p.asset_id
    WHERE p.file_sha256 = a.current_sha256
      AND (p.current = 1 OR NOT EXISTS (SELECT 1 FROM paths q WHERE q.asset_id = p.asset_id AND q.current = 1));
DROP TABLE fts;
UPDATE paths SET searchable = 1 WHERE file_id IN (SELECT rowid FROM file_fts);

CREATE TABLE unknown_terms_v5 (
    file_id   INTEGER NOT NULL,
    asset_id  TEXT NOT NULL REFERENCES assets(asset_id) ON DELETE CASCADE,
    field     TEXT NOT NULL,
    term      TEXT NOT NULL,
    seen_at   TEXT NOT NULL,
    PRIMARY KEY (file_id, field, term)
);
INSERT OR IGNORE INTO unknown_terms_v5(file_id, asset_id, field, term, seen_at)
    SELECT p.file_id, u.asset_id, u.field, u.term, u.seen_at FROM unknown_terms u
    JOIN assets a ON a.asset_id = u.asset_id JOIN paths p ON p.asset_id = u.asset_id AND p.file_sha256 = a.current_sha256;
DROP TABLE unknown_terms;
ALTER TABLE unknown_terms_v5 RENAME TO unknown_terms;
CREATE INDEX unknown_terms_asset ON unknown_terms(asset_id);

DROP INDEX assets_date;
DROP INDEX assets_lat_lon;
ALTER TABLE assets DROP COLUMN metadata;
ALTER TABLE assets DROP COLUMN date_created;
ALTER TABLE assets DROP COLUMN lat;
ALTER TABLE assets DROP COLUMN lon;
"""

# Version 6: files in (asset, file id) order from an index, so that reading them page by page
# (`Files.iter`) starts each page where the last one ended instead of sorting every page again.
# It serves the asset lookups of `paths_asset`, which it replaces.
SCHEMA_V6 = """
CREATE INDEX paths_asset_file ON paths(asset_id, file_id);
DROP INDEX paths_asset;
"""

# version reached → SQL that brings the previous version to it
MIGRATIONS: dict[int, str] = {2: SCHEMA_V2, 3: SCHEMA_V3, 4: SCHEMA_V4, 5: SCHEMA_V5, 6: SCHEMA_V6}


def split_script(script: str) -> list[str]:
    """Split a schema script into statements (our scripts have no ';' inside literals)."""
    out, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(buf))
            buf = []
    return [s for s in out if s.strip()]
