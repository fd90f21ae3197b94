"""Governance audits over a library: each returns a Report (table, JSON, standalone HTML)."""

from mediaground.audit.alt_text import DEFAULT_MISMATCH_THRESHOLD, audit_alt_text
from mediaground.audit.findings import Finding, Report, library_thumbnails
from mediaground.audit.geo import audit_geo
from mediaground.audit.pii import audit_pii
from mediaground.audit.labels import audit_labels, fix_labels

__all__ = ["audit_alt_text", "audit_geo", "audit_pii", "audit_labels", "fix_labels", "Report", "Finding", "library_thumbnails", "DEFAULT_MISMATCH_THRESHOLD"]
