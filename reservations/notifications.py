"""Sending the mail outbox: confirmations, changes, cancellations, reminders, copies.

How a message travels
---------------------
1. A booking, move or cancellation writes a Notification row in its own transaction
   (services._queue_notification); queue_reminders() writes reminder rows days later.
   A rolled-back booking leaves no row, so it never mails.
2. A worker claims due rows in one short transaction: ``SELECT … FOR UPDATE SKIP LOCKED``
   on PostgreSQL (on SQLite, BEGIN IMMEDIATE already serialises writers), then pushes their
   ``next_attempt_at`` one LEASE into the future and counts the attempt. Once that commits,
   the rows are no longer due, so no other worker picks them up.
3. Outside any transaction the worker renders each message and hands it to Django's mail
   backend (one SMTP connection per batch), then records the outcome with a *fenced*
   UPDATE: it only applies while ``attempts`` still holds the value this worker claimed
   with. A worker that outlived its lease therefore cannot overwrite a newer claim.

Delivery guarantee: at least once
---------------------------------
A mail that is never lost and a mail that is never sent twice cannot both be had when the
SMTP server and the database do not share a transaction. We choose *at least once*: a row
is only marked sent after the SMTP server accepted the message. If a worker dies in the
instant between the server's "250 OK" and that UPDATE, the lease runs out and another
worker sends the message again. Every copy carries the same Message-ID, so mail systems
and readers can recognise the duplicate. A worker never starts a send when less than a
safety margin of its lease is left; it hands the rest of its batch back instead.

What is sent, and what is skipped
---------------------------------
Messages are rendered when they are sent, from the reservation as it is then, in the
language the resident booked in (Reservation.language). So a confirmation that waited
while the resident moved the booking shows the new time, never a stale one. A
confirmation, change or reminder whose reservation has since been cancelled is not sent
(status "skipped"): the cancellation mail that follows says everything the resident needs,
and a "see you on the 10th" after "cancelled" would only confuse. A reminder whose
screening has already begun is skipped too; one whose booking was moved outside the
reminder window waits for the new window. Cancellations and health-centre copies are
always sent.

What a message says (its context, subject and bodies) is reservations.mail's business.

Nothing personal goes into ``last_error`` or the logs: an error is recorded as its class
and SMTP codes only, never the server's text (which often quotes the address).
"""

from __future__ import annotations

import logging
import random
import re
import smtplib
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from time import monotonic
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import (
    DatabaseError,
    IntegrityError,
    close_old_connections,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone

from reservations.mail import build_message
from reservations.models import Notification, Reservation

log = logging.getLogger(__name__)

# How long a claim keeps other workers away. Far longer than one SMTP conversation
# (EMAIL_TIMEOUT bounds every socket operation), so a healthy worker never loses it.
LEASE = timedelta(minutes=10)
# Messages claimed at once; they share one SMTP connection.
BATCH_SIZE = 20
# Retry delays: 1, 2, 4, 8 … minutes after each failed attempt, at most an hour apart.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
# No reminder right after a booking or move: its confirmation has only just arrived.
REMINDER_QUIET = timedelta(hours=24)
# Reminders are queued for daytime (local time): nobody is woken at midnight by a
# "your screening is on Thursday" mail.
REMINDER_EARLIEST = dtime(8, 0)
REMINDER_LATEST = dtime(20, 0)

RESIDENT_KINDS = (
    Notification.Kind.CONFIRMATION,
    Notification.Kind.CHANGE,
    Notification.Kind.CANCELLATION,
    Notification.Kind.REMINDER,
    Notification.Kind.CALLED_OFF,
    Notification.Kind.GROUP_CONFIRMATION,
)


@dataclass
class PassResult:
    """What one pass (or a whole worker run) did, for the one summary line."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    lease_lost: int = 0
    handed_back: int = 0
    reminders_queued: int = 0
    server_unreachable: bool = False

    def __iadd__(self, other: PassResult) -> PassResult:
        for field in fields(self):
            if field.name == "server_unreachable":
                self.server_unreachable = self.server_unreachable or other.server_unreachable
            else:
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def anything(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name != "server_unreachable")

    def summary(self) -> str:
        text = (
            f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
            f"{self.skipped} not needed"
        )
        if self.deferred:
            text += f", {self.deferred} deferred"
        if self.lease_lost:
            text += f", {self.lease_lost} lease lost"
        if self.handed_back:
            text += f", {self.handed_back} handed back"
        text += f"; {self.reminders_queued} reminders queued"
        if self.server_unreachable:
            text += "; mail server unreachable"
        return text


@dataclass(frozen=True)
class Claim:
    """A row this worker holds. `attempt` is the fence: `attempts` as the claim set it."""

    pk: int
    attempt: int


# --- Claiming and recording ---------------------------------------------------------------


def claim_due(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> list[Claim]:
    """Take up to `limit` due messages for this worker, in one short transaction.

    Rows another worker is claiming at this moment are skipped, not waited for (SKIP
    LOCKED); rows claimed earlier are not due (their next_attempt_at is a lease away).
    The attempt is counted here, before sending: a message that kills its worker every
    time still runs out of attempts instead of looping for ever.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Notification.objects.filter(
                status=Notification.Status.PENDING, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "attempts")[:limit]
        )
        if not rows:
            return []
        Notification.objects.filter(pk__in=[pk for pk, _attempts in rows]).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    return [Claim(pk, attempts + 1) for pk, attempts in rows]


def _record(claim: Claim, **changes: Any) -> bool:
    """Apply `changes` if this worker still holds the claim; False if it lost it."""
    held = Notification.objects.filter(
        pk=claim.pk, status=Notification.Status.PENDING, attempts=claim.attempt
    ).update(**changes)
    if not held:
        log.warning("notification.lease_lost id=%s attempt=%s", claim.pk, claim.attempt)
    return bool(held)


def _release(claims: list[Claim]) -> None:
    """Hand claimed-but-unsent rows back at once, without counting the attempt."""
    for claim in claims:
        _record(claim, next_attempt_at=timezone.now(), attempts=claim.attempt - 1)


def backoff(attempt: int) -> timedelta:
    """Delay after the `attempt`-th failure: doubling from a minute, capped, with jitter.

    The jitter (up to +10 %) spreads out the retries of everything that failed together
    during one outage, so the server is not hit by all of them in the same second.
    """
    delay = min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_MAX)
    return delay * (1 + random.random() / 10)


_ENHANCED_STATUS = re.compile(rb"^\s*([245]\.\d{1,3}\.\d{1,3})\b")


def describe_error(exc: BaseException) -> str:
    """The error class and SMTP codes — never the server's text, which may quote addresses."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _text in exc.recipients.values()})
        return f"{name}: SMTP {', '.join(codes)}" if codes else name
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error if isinstance(exc.smtp_error, bytes) else b""
        enhanced = _ENHANCED_STATUS.match(text)
        suffix = f" {enhanced.group(1).decode()}" if enhanced else ""
        return f"{name}: SMTP {exc.smtp_code}{suffix}"
    if isinstance(exc, OSError) and exc.errno:
        return f"{name}: errno {exc.errno}"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return name
    # Anything else is a bug (a template, missing data): say where, not what.
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        return f"{name} at {Path(frames[-1].filename).name}:{frames[-1].lineno}"
    return name


def is_permanent(exc: BaseException) -> bool:
    """The server refused the address itself (5xx): retrying cannot help."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
        int(code) >= 500 for code, _text in exc.recipients.values()
    )


def _record_failure(claim: Claim, exc: BaseException, *, now: datetime) -> str:
    error = describe_error(exc)[:300]
    if is_permanent(exc) or claim.attempt >= settings.MAIL_MAX_ATTEMPTS:
        held = _record(claim, status=Notification.Status.FAILED, last_error=error)
        log.warning(
            "notification.failed id=%s attempts=%s error=%s", claim.pk, claim.attempt, error
        )
        return "failed" if held else "lease_lost"
    held = _record(claim, last_error=error, next_attempt_at=now + backoff(claim.attempt))
    log.info("notification.retry id=%s attempts=%s error=%s", claim.pk, claim.attempt, error)
    return "retrying" if held else "lease_lost"


# --- Sending ------------------------------------------------------------------------------


def _lease_margin() -> timedelta:
    # One SMTP conversation is a handful of socket operations, each bounded by EMAIL_TIMEOUT.
    margin = max(timedelta(minutes=1), timedelta(seconds=6 * (settings.EMAIL_TIMEOUT or 10)))
    return min(margin, LEASE / 2)


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone anyway
        log.debug("notification.close_failed")


def send_due(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    should_stop: Callable[[], bool] = lambda: False,
) -> PassResult:
    """Send every message that is due, batch after batch, until none is left.

    Safe to run in several processes at once (see the module docstring). If the mail
    server cannot be reached, the batch is recorded as failed attempts and the pass ends:
    the rest waits for the next pass instead of spending its attempts on a dead server.
    `should_stop` is checked between messages (SIGTERM in the worker).
    """
    result = PassResult()
    while not should_stop():
        pass_now = now or timezone.now()
        claims = claim_due(now=pass_now, limit=batch_size)
        if not claims:
            break
        result += _send_batch(claims, now=pass_now, should_stop=should_stop)
        if result.server_unreachable or result.handed_back:
            break  # the next pass (or another worker) takes it from here
    return result


def _send_batch(
    claims: list[Claim], *, now: datetime, should_stop: Callable[[], bool]
) -> PassResult:
    result = PassResult()
    deadline = monotonic() + (LEASE - _lease_margin()).total_seconds()
    rows = {
        n.pk: n
        for n in Notification.objects.filter(pk__in=[c.pk for c in claims]).select_related(
            "reservation__citizen"
        )
    }
    connection = mail.get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded, not raised
        for claim in claims:
            result.count(_record_failure(claim, exc, now=now))
        result.server_unreachable = True
        log.warning("notification.server_unreachable error=%s", describe_error(exc))
        return result
    try:
        for index, claim in enumerate(claims):
            if should_stop() or monotonic() > deadline:
                _release(claims[index:])
                result.handed_back += len(claims) - index
                break
            notification = rows.get(claim.pk)
            if notification is None:  # deleted since (its reservation was purged)
                continue
            result.count(_deliver(notification, claim, connection, now=now))
    finally:
        _close_quietly(connection)
    return result


def _deliver(
    notification: Notification, claim: Claim, connection: BaseEmailBackend, *, now: datetime
) -> str:
    """Send one claimed message (or skip or defer it); return the outcome's name."""
    verdict, detail = _verdict(notification, now=now)
    if verdict == "skip":
        held = _record(claim, status=Notification.Status.SKIPPED, last_error=detail)
        log.info("notification.skipped id=%s reason=%s", notification.pk, detail)
        return "skipped" if held else "lease_lost"
    if verdict == "defer":
        held = _record(claim, next_attempt_at=detail, attempts=claim.attempt - 1)
        return "deferred" if held else "lease_lost"
    try:
        message = build_message(notification)
        connection.open()  # no-op while open; reconnects after an earlier failure
        connection.send_messages([message])
    except Exception as exc:  # noqa: BLE001 - recorded with backoff; the worker goes on
        _close_quietly(connection)
        return _record_failure(claim, exc, now=now)
    held = _record(claim, status=Notification.Status.SENT, sent_at=timezone.now(), last_error="")
    log.info("notification.sent id=%s kind=%s", notification.pk, notification.kind)
    return "sent" if held else "lease_lost"


def _verdict(notification: Notification, *, now: datetime) -> tuple[str, object]:
    """("send", None), ("skip", reason) or ("defer", until) — decided at send time."""
    reservation = notification.reservation
    kind = notification.kind
    if kind == Notification.Kind.HEALTH_CENTRE_COPY:
        if not settings.HEALTH_CENTRE_COPY_EMAIL:
            return "skip", "no health-centre address configured"
        return "send", None
    if kind == Notification.Kind.GROUP_CONFIRMATION:
        # The group's one mail goes to its contact, about every member: sent while any
        # member's booking stands (reservations.group).
        group = reservation.group
        if group is None or not group.contact_email:
            return "skip", "no address to send to"
        if not group.members.filter(status=Reservation.Status.CONFIRMED).exists():
            return "skip", "reservation cancelled"
        return "send", None
    if not reservation.citizen.email:
        return "skip", "no address to send to"
    # A called-off mail is about a cancelled booking, as a cancellation mail is.
    ended = (Notification.Kind.CANCELLATION, Notification.Kind.CALLED_OFF)
    if kind not in ended and not reservation.is_live:
        return "skip", "reservation cancelled"
    if kind == Notification.Kind.REMINDER:
        first = (
            reservation.items.filter(is_live=True)
            .select_related("slot")
            .order_by("slot__starts_at")
            .first()
        )
        if first is None or first.slot.starts_at <= now:
            return "skip", "screening already began"
        opens = reminder_window_opens(first.slot.local_date)
        if opens > now:  # moved to a later date since it was queued
            return "defer", _daytime(opens)
    return "send", None


def run_once(*, reminders: bool = False, batch_size: int = BATCH_SIZE) -> PassResult:
    """One pass: queue due reminders first if asked, then send everything that is due."""
    result = PassResult()
    if reminders:
        result.reminders_queued = queue_reminders()
    result += send_due(batch_size=batch_size)
    return result


def run_worker(
    *,
    stop: threading.Event,
    interval: float,
    reminder_interval: float,
    batch_size: int = BATCH_SIZE,
    max_passes: int = 0,
) -> tuple[PassResult, int]:
    """Send every `interval` seconds and queue reminders every `reminder_interval` (and at
    start-up) until `stop` is set or `max_passes` passes ran (0: no limit).

    Returns the total and the number of passes. A database error (the database
    restarting) does not end the worker: its connections are closed, and the next pass
    reconnects.
    """
    total = PassResult()
    passes = 0
    next_reminders = monotonic()
    while not stop.is_set() and not (max_passes and passes >= max_passes):
        passes += 1
        try:
            close_old_connections()
            if monotonic() >= next_reminders:
                total.reminders_queued += queue_reminders()
                next_reminders = monotonic() + reminder_interval
            result = send_due(batch_size=batch_size, should_stop=stop.is_set)
            total += result
            if result.anything:
                log.info("notifications.pass %s", result.summary())
        except DatabaseError as exc:
            log.warning("notifications.database_error error=%s", type(exc).__name__)
            connections.close_all()
        stop.wait(interval)
    total.server_unreachable = False  # a past outage is not news at exit
    return total, passes


# --- Reminders ----------------------------------------------------------------------------


def reminder_window_opens(screening_date: date) -> datetime:
    """The moment a screening enters the reminder window: midnight, N days before."""
    first_day = screening_date - timedelta(days=settings.REMINDER_DAYS_BEFORE)
    return datetime.combine(first_day, dtime.min, tzinfo=timezone.get_current_timezone())


def _daytime(moment: datetime) -> datetime:
    """`moment`, or the next daytime start if it falls in the night (local time)."""
    local = timezone.localtime(moment)
    tz = timezone.get_current_timezone()
    if local.time() < REMINDER_EARLIEST:
        return datetime.combine(local.date(), REMINDER_EARLIEST, tzinfo=tz)
    if local.time() >= REMINDER_LATEST:
        return datetime.combine(local.date() + timedelta(days=1), REMINDER_EARLIEST, tzinfo=tz)
    return moment


def queue_reminders(*, now: datetime | None = None) -> int:
    """Queue one reminder per live reservation whose screening is REMINDER_DAYS_BEFORE days
    away or nearer. Returns how many were queued.

    Exactly once: the database refuses a second reminder row for a reservation
    (UniqueConstraint one_reminder_per_reservation), so two workers queueing at the same
    moment cannot both succeed. Never for a cancelled reservation, one without an email
    address, or one booked or moved less than REMINDER_QUIET ago (its confirmation has only
    just arrived). Reminders queued at night are sent from REMINDER_EARLIEST.
    """
    now = now or timezone.now()
    # Midnight after the window's last day: screening dates up to today + N days.
    last_day = timezone.localdate(now) + timedelta(days=settings.REMINDER_DAYS_BEFORE)
    horizon = datetime.combine(
        last_day + timedelta(days=1), dtime.min, tzinfo=timezone.get_current_timezone()
    )
    candidates = (
        Reservation.objects.filter(
            status=Reservation.Status.CONFIRMED,
            changed_at__lte=now - REMINDER_QUIET,
            items__is_live=True,
            items__slot__starts_at__gt=now,
            items__slot__starts_at__lt=horizon,
        )
        .exclude(citizen__email="")
        .exclude(notifications__kind=Notification.Kind.REMINDER)
        .values_list("pk", flat=True)
        .distinct()
    )
    queued = 0
    send_from = _daytime(now)
    for reservation_id in list(candidates):
        try:
            with transaction.atomic():
                Notification.objects.create(
                    reservation_id=reservation_id,
                    kind=Notification.Kind.REMINDER,
                    next_attempt_at=send_from,
                )
            queued += 1
        except IntegrityError:
            continue  # another worker queued it a moment ago
    if queued:
        log.info("notification.reminders_queued count=%s", queued)
    return queued


# --- Admin --------------------------------------------------------------------------------


def retry_failed(*, notification_ids: Iterable[int]) -> int:
    """Put failed messages back in the queue with a fresh set of attempts.

    Only failed rows change: a pending row may be in a worker's hands right now, and
    making it due again would let a second worker send it too. Returns how many changed.
    """
    return Notification.objects.filter(
        pk__in=list(notification_ids), status=Notification.Status.FAILED
    ).update(
        status=Notification.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
    )
