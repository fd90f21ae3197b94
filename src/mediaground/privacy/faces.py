"""Faces in images, with the Haar cascade that ships inside OpenCV (``cv2.data.haarcascades``).

No weights are downloaded: ``haarcascade_frontalface_alt.xml`` is part of the
``opencv-python-headless`` wheel. The image is turned to greyscale, downscaled so its longest side
is at most ``MAX_SIDE`` px, histogram-equalised, and scanned with ``scaleFactor`` 1.1,
``minNeighbors`` 5 and a minimum face size of 6% of the shorter side (at least 24 px), so a face
must be a noticeable part of the picture. Boxes come back in the coordinates of the upright
(EXIF-rotated) original.

Why this cascade: on the repository's sample photos the ``alt`` cascade found the three portraits
and two walkers in a street scene and fired on nothing else, where ``default`` also "found" faces in
coins, a dog and a sign, and ``alt2`` in an aerial photo and a still life.

Limits (it is a privacy *hint*, not a census): frontal, upright faces only (profiles, faces turned
more than ~30°, tilted or partly covered faces are missed); faces smaller than the minimum size
(crowds, background people) are missed; drawings, statues, posters and face-like textures can be
reported; it says nothing about *who* it is and stores no face data.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps

__all__ = ["detector_name", "detect_faces", "MAX_SIDE", "CASCADE"]

CASCADE = "haarcascade_frontalface_alt.xml"
MAX_SIDE = 1024
MIN_FRACTION = 0.06
MIN_PX = 24


@lru_cache(maxsize=1)
def _cascade():
    import cv2  # OpenCV (~0.15 s to import) loads when faces are looked for

    path = os.path.join(cv2.data.haarcascades, CASCADE)
    clf = cv2.CascadeClassifier(path)
    if clf.empty():
        raise RuntimeError(f"OpenCV could not load its bundled cascade {path}")
    return clf


def detector_name() -> str:
    import cv2  # see _cascade

    return f"opencv-{cv2.__version__} {CASCADE}"


def detect_faces(path: str | os.PathLike) -> list[tuple[int, int, int, int]]:
    """(x, y, width, height) of each frontal face found, in upright-original pixels, largest first."""
    import cv2  # see _cascade

    with Image.open(path) as im:
        w0, h0 = im.size  # before draft() shrinks the decoded size
        orient = im.getexif().get(0x0112, 1)
        im.draft("L", (MAX_SIDE, MAX_SIDE))
        gray = ImageOps.exif_transpose(im).convert("L")
    if orient in (5, 6, 7, 8):
        w0, h0 = h0, w0
    w, h = gray.size
    scale = min(1.0, MAX_SIDE / max(w, h))
    if scale < 1.0:
        gray = gray.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    arr = cv2.equalizeHist(np.asarray(gray, dtype=np.uint8))
    side = max(MIN_PX, int(MIN_FRACTION * min(arr.shape)))
    found = _cascade().detectMultiScale(arr, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    back = w0 / arr.shape[1] if arr.shape[1] else 1.0
    boxes = [(int(round(x * back)), int(round(y * back)), int(round(bw * back)), int(round(bh * back)))
             for (x, y, bw, bh) in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b[2] * b[3])
