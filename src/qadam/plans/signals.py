"""`pre_release_window_opened`: sent by the daily pre-release job (`qadam pre_release`) for each
sentenced person whose pre-release window (`schedule.PRE_RELEASE_WINDOW_MONTHS` before the end of
the sentence) has just opened, after the plan's review was brought forward, in the same
transaction. The assessment module connects a receiver that brings the reassessment forward.

Receivers get `sender` (the `Plan` class) and the keyword arguments `person`, `opened_on` (the day
the window opened), `today`, `end_of_sentence` and `actor` (None: the system's job), and must
accept `**kwargs`. An exception in a receiver rolls back that person's changes only.
"""

from __future__ import annotations

from django.dispatch import Signal

pre_release_window_opened = Signal()

__all__ = ["pre_release_window_opened"]
