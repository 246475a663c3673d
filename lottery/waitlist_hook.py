"""The seam to the waiting list (built separately): losers who consented, in draw order.

`offer_losers_to_waitlist(round)` does nothing unless the `waitlist` app is installed;
then it hands the round's lost applications that asked to join the waiting list, in draw
order, to that app's entry point `waitlist.lottery_losers.add_lottery_losers`. It runs
after the draw has committed, so a failure here can
never undo a draw; it is logged and can be retried.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from django.apps import apps

if TYPE_CHECKING:
    from lottery.models import Round

log = logging.getLogger(__name__)


def losers_in_draw_order(round_: Round) -> list[Any]:
    from lottery.models import Application

    return list(
        round_.applications.filter(result=Application.Result.LOST, waitlist_consent=True)
        .order_by("draw_position")
        .prefetch_related("screenings")
    )


def offer_losers_to_waitlist(round_: Round) -> int:
    """How many losers were passed to the waiting list (0 without the waitlist app)."""
    if not apps.is_installed("waitlist"):
        return 0
    # Looked up at run time: the waiting list is another app, possibly absent or older.
    add_lottery_losers = getattr(
        importlib.import_module("waitlist.lottery_losers"), "add_lottery_losers", None
    )
    if add_lottery_losers is None:
        log.warning("lottery.waitlist_hook: waitlist app has no add_lottery_losers")
        return 0
    losers = losers_in_draw_order(round_)
    try:
        add_lottery_losers(round_=round_, applications=losers)
    except Exception:
        log.exception("lottery.waitlist_hook.failed round=%s", round_.pk)
        return 0
    return len(losers)
