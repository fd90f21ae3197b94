"""Shared fixtures. All state goes through MEDIAGROUND_CACHE (one temp dir per session) and
per-test library folders; no test touches the network or ../shared."""

from __future__ import annotations

import os
import random
import wave
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

DATA = Path(__file__).parent / "data"

# Set before any mediaground import can read it: the cache of exported models and label vectors.
os.environ.setdefault("MEDIAGROUND_CACHE", tempfile.mkdtemp(prefix="mediaground-test-cache-"))
os.environ.pop("MEDIAGROUND_LIBRARY", None)
os.environ.pop("MEDIAGROUND_RUNTIME", None)

# The fake models (fake-text, fake-image, fake-audio, fake-joint) are a test plugin, not built-ins:
# installed before any library is opened, for this process and every one the tests start.
import fakes  # noqa: E402  (pytest puts tests/ on sys.path to import this conftest)

fakes.install_plugin()

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "yellow": (230, 230, 30),
           "white": (245, 245, 245), "black": (10, 10, 10), "orange": (240, 140, 20), "purple": (130, 30, 150)}


def make_image(path: Path, colour: str = "red", seed: int = 0, size=(64, 48), fmt: str | None = None) -> Path:
    """A small, distinct image: a flat colour with a few seeded random marks."""
    rng = random.Random(seed)
    im = Image.new("RGB", size, COLOURS[colour])
    draw = ImageDraw.Draw(im)
    for _ in range(3):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + 3, y + 3], fill=tuple(rng.randrange(256) for _ in range(3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format=fmt, **({"quality": 95} if (fmt or path.suffix.lower()) in ("JPEG", ".jpg") else {}))
    return path


def write_wav(path: Path, signal: np.ndarray, rate: int = 16000) -> Path:
    """Mono 16-bit PCM WAV from float samples in [-1, 1]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def tone(freq: float, seconds: float, rate: int = 16000, amplitude: float = 0.3) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def set_gps(path, lat: float, lon: float) -> None:
    """EXIF GPS as degree/minute/second rationals, written with pyexiv2."""
    import pyexiv2

    def dms(v):
        v = abs(v)
        d, m = int(v), int((v - int(v)) * 60)
        s = round(((v - d) * 60 - m) * 60 * 10000)
        return f"{d}/1 {m}/1 {s}/10000"

    img = pyexiv2.Image(str(path))
    try:
        img.modify_exif({"Exif.GPSInfo.GPSLatitudeRef": "N" if lat >= 0 else "S",
                         "Exif.GPSInfo.GPSLatitude": dms(lat),
                         "Exif.GPSInfo.GPSLongitudeRef": "E" if lon >= 0 else "W",
                         "Exif.GPSInfo.GPSLongitude": dms(lon)})
    finally:
        img.close()


def set_caption(path: Path, caption: str, keywords: list[str] | None = None) -> None:
    import pyexiv2

    img = pyexiv2.Image(str(path))
    try:
        img.modify_xmp({"Xmp.dc.description": {'lang="x-default"': caption},
                        **({"Xmp.dc.subject": keywords} if keywords else {})})
    finally:
        img.close()


def set_keywords(path: Path, iptc: list[str] | None = None, xmp: list[str] | None = None) -> None:
    """IPTC 2:25 and XMP dc:subject written separately (pyexiv2), so they can disagree."""
    import pyexiv2

    img = pyexiv2.Image(str(path))
    try:
        if iptc is not None:
            img.modify_iptc({"Iptc.Envelope.CharacterSet": "\x1b%G", "Iptc.Application2.Keywords": iptc})
        if xmp is not None:
            img.modify_xmp({"Xmp.dc.subject": xmp})
    finally:
        img.close()


def exiftool_tags(path: Path, *tags: str) -> dict:
    """What ExifTool reads (grouped by family 1, e.g. "IPTC:Keywords"), the independent check."""
    import json
    import shutil
    import subprocess

    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    out = subprocess.run([exe, "-j", "-G1", *tags, str(path)], capture_output=True, check=True)
    return json.loads(out.stdout.decode("utf-8"))[0]


def as_list(value) -> list:
    """ExifTool gives one keyword as a string and several as a list."""
    return [] if value is None else value if isinstance(value, list) else [value]


def edit_catalog_file(catalog_path: Path, sql: str, *args) -> None:
    """Fault injection: change the SQLite file behind the library's back, as another program (or a
    library made with a plugin that is no longer installed) would. Never a way to read results."""
    import sqlite3

    con = sqlite3.connect(catalog_path)
    try:
        con.execute(sql, args)
        con.commit()
    finally:
        con.close()


def sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """Six distinct images in two formats and two folders."""
    root = tmp_path / "media"
    for i, colour in enumerate(["red", "green", "blue"]):
        make_image(root / f"{colour}.jpg", colour, seed=i)
    for i, colour in enumerate(["yellow", "white", "purple"]):
        make_image(root / "more" / f"{colour}.png", colour, seed=10 + i)
    return root


@pytest.fixture
def fake_lib(tmp_path: Path):
    from mediaground.library import Library

    lib = Library.create(tmp_path / "lib", text_model="fake-text", image_model="fake-image", audio_model="fake-audio")
    yield lib
    lib.close()


@pytest.fixture
def fake_models():
    """The shared fake instances (the registry caches one per process) with counters reset."""
    from mediaground.models.registry import get_model

    text, image = get_model("fake-text"), get_model("fake-image")
    text.calls = text.texts_seen = 0
    image.calls = image.images_seen = 0
    return text, image
