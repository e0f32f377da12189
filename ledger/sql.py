"""Textual SQL built once per distinct string.

`sa.text` parses its bind names each time it is built; the payday's set-based statements are
the same strings for every community, and thousands of small paydays due together spent
measurable time building them again (bench/tenants.py). TextClause is immutable, so one
object per string serves every caller and thread.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa


@functools.cache
def sql(text: str) -> sa.TextClause:
    """`sa.text(text)`, cached."""
    return sa.text(text)
