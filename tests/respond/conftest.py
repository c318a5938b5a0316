"""Fixtures of the citizen-form tests (defined in helpers.py, shared with other test modules)."""

from tests.respond.helpers import points

__all__ = ["points"]
