"""Personal data: find it (text detectors, tags, OCR, faces), flag private assets, export sanitized copies.

* :mod:`mediaground.privacy.detect`   e-mails, phone numbers and ID-like numbers in text (redacted previews)
* :mod:`mediaground.privacy.exif`     personal data in a file's own tags (EXIF/IPTC/XMP, ID3/Vorbis/MP4/RIFF)
* :mod:`mediaground.privacy.ocr`      text inside images (Tesseract), cached in the catalog
* :mod:`mediaground.privacy.faces`    frontal faces (OpenCV's bundled Haar cascade)
* :mod:`mediaground.privacy.flags`    asset flags; what makes an asset private
* :mod:`mediaground.privacy.sanitize` ``mediaground export sanitized``: publishable copies

The audit itself is :func:`mediaground.audit.pii.audit_pii`.
"""

from mediaground.privacy.detect import Match, find_pii, redact
from mediaground.privacy.flags import PRIVATE, PUBLIC, flags, is_private, private_assets, private_reason, set_flag

__all__ = ["Match", "find_pii", "redact", "PRIVATE", "PUBLIC", "flags", "set_flag", "is_private", "private_reason",
           "private_assets"]
