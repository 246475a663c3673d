"""The rush benchmark's order figure counts what the waiting room did, not browser lag."""

from django.core import signing

from bench.bench_rush import Check, Flow
from bench.rush_client import Outcome, ticket_number
from waitingroom.room import TICKET_SALT, Ticket


def flow(*outcomes: Outcome) -> Flow:
    return Flow("t", 1, list(outcomes), 1.0, Check(0, 0, 0, 0), "on", 0.0)


def test_the_ticket_number_is_read_from_a_real_waiting_page_address():
    signed = Ticket(41, 1_700_000_000.5, "e1", 1_700_000_003.5).signed()
    assert signing.loads(signed, salt=TICKET_SALT)[0] == 41
    assert ticket_number(f"/book/3/?ticket={signed}") == 41
    assert ticket_number("/book/3/") is None
    assert ticket_number("/book/3/?ticket=garbage") is None


def test_seeing_the_turn_late_is_not_being_overtaken():
    # Ticket 1 came back (browser lag) after ticket 2 was let in, and was let in itself.
    first = Outcome("booked", ticket=1, held_at=[0.0], admitted=5.0)
    second = Outcome("booked", ticket=2, held_at=[0.1], admitted=4.0)
    assert flow(first, second).out_of_order() == 0


def test_a_waiting_page_after_a_later_ticket_got_in_is_counted():
    first = Outcome("booked", ticket=1, held_at=[0.0, 4.5], admitted=6.0)
    second = Outcome("booked", ticket=2, held_at=[0.1], admitted=4.0)
    assert flow(first, second).out_of_order() == 1
