"""Refusals: typed errors a member can act on.

Raising one inside a ledger transaction rolls it back, so a refusal always leaves
the database exactly as it was. `message` is written for the member.
"""


class Refusal(Exception):
    """A request the ledger will not carry out; nothing was changed."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedAmount(Refusal):
    code = "malformed_amount"


class InsufficientBalance(Refusal):
    code = "insufficient_balance"


class UnknownMember(Refusal):
    code = "unknown_member"


class NotReceiving(Refusal):
    code = "not_receiving"


class SelfTip(Refusal):
    code = "self_tip"


class OverLimit(Refusal):
    code = "over_limit"


class NotAdmin(Refusal):
    code = "not_admin"


class WrongFundingMode(Refusal):
    code = "wrong_funding_mode"


class InvalidRequest(Refusal):
    """Anything else a member got wrong (bad code, bad setting, unknown command)."""

    code = "invalid"


class LookalikeName(InvalidRequest):
    """A new name confusable with an existing member's (same Unicode skeleton)."""

    code = "lookalike_name"
