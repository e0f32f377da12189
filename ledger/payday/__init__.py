"""The weekly payday (docs/architecture.md, "Payday"): snapshot, settle in set-based rounds, record stats.

Entry points: `run_payday` (exactly once per community and week, resumable),
`dry_run`, `payday_status`, `unfunded_notices`, `recent_paydays`, the schedule
(`due_paydays`, `claim_announcement`, `mark_announced`), and `register_processor`
for funding modes other than manual (see processors.py).
"""

from ledger.payday import tables  # noqa: F401  (registers the tables on ledger.models.metadata)
from ledger.payday.crash import PaydayCrash, crash_hook_from_env
from ledger.payday.engine import run_payday
from ledger.payday.run import PaydayResult, PaydayRun
from ledger.payday.preview import dry_run, payday_status
from ledger.payday.processors import PaydayProcessor, processor_for, register_processor
from ledger.payday.schedule import (
    BadSchedule, DuePayday, claim_announcement, due_paydays, last_scheduled, mark_announced, next_scheduled,
)
from ledger.payday.stats import UnfundedNotice, recent_paydays, unfunded_notices
from ledger.payday.weeks import week_start_of

__all__ = [
    "BadSchedule", "DuePayday", "claim_announcement", "due_paydays", "last_scheduled", "mark_announced",
    "next_scheduled", "PaydayCrash", "PaydayProcessor", "PaydayResult", "PaydayRun", "UnfundedNotice", "crash_hook_from_env",
    "dry_run", "payday_status", "processor_for", "recent_paydays", "register_processor", "run_payday",
    "unfunded_notices", "week_start_of",
]
