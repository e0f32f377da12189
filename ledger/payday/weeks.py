"""Payday weeks: a payday belongs to the Monday-to-Sunday UTC week it runs in."""

from __future__ import annotations

import datetime as dt


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def week_start_of(moment: dt.datetime) -> dt.date:
    """The Monday (UTC) of the week containing `moment`: the payday's week key."""
    day = as_utc(moment).date()
    return day - dt.timedelta(days=day.weekday())
