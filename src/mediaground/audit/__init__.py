"""Governance audits over a library: each returns a Report (table, JSON, standalone HTML)."""

from mediaground.audit.alt_text import DEFAULT_MISMATCH_THRESHOLD, audit_alt_text
from mediaground.audit.findings import Finding, Report, library_thumbnails
from mediaground.audit.geo import audit_geo

__all__ = ["audit_alt_text", "audit_geo", "Report", "Finding", "library_thumbnails", "DEFAULT_MISMATCH_THRESHOLD"]
