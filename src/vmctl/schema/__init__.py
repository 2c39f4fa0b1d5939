"""Validation of KubeVirt objects against KubeVirt's OpenAPI schema (a derived copy ships in ``data/``)."""

from __future__ import annotations

from vmctl.schema.validator import WARNING_REASONS, validate_object

__all__ = ["WARNING_REASONS", "validate_object"]
