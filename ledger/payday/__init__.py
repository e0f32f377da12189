"""The weekly payday (docs/architecture.md, "Payday"): snapshot, settle in set-based rounds, record stats.

Import from the modules themselves (the package imports nothing else, so no module of
it can import the package half-built): `engine.run_payday` (exactly once per
community and week, resumable), `preview.dry_run` and `payday_status`, `stats`
(`unfunded_notices`, `recent_paydays`), `receipts`, the schedule (`schedule.due_paydays`,
`claim_announcement`, `mark_announced`), `weeks.week_start_of`, and the processor hook
for funding modes other than manual (`processors.PaydayProcessor`; the Stripe adapter's
access to the snapshot goes through `funding`).
"""

from ledger.payday import tables  # noqa: F401  (registers the tables on ledger.models.metadata)
