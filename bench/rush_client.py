"""bench_rush's residents: a browser-like HTTP client that books through kenshin's HTML
pages, and the loops that drive many of them at once.

A resident behaves as a browser does: it keeps the cookies it is given (csrftoken),
reads each page's forms and submits them with their hidden fields (CSRF token, form
token, signed state) and an Origin header, follows the 303 after confirming, and, on a
waiting page (a `Retry-After` header or `<meta http-equiv="refresh">`), waits as told
(capped) and loads the refresh address again. It never runs JavaScript (kenshin needs
none). Pages are read with regular expressions rather than an HTML parser so that the
client spends as little of the shared CPU as it can.
"""

from __future__ import annotations

import base64
import gzip
import html
import http.client
import json
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.common import run_threads
from bench.rush_seed import katakana_number

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_INPUT = re.compile(r"<input\b([^>]*)>", re.I)
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
_OPTION = re.compile(r"<option\b([^>]*)>", re.I)
_ATTR = re.compile(r'([\w:-]+)(?:\s*=\s*"([^"]*)")?')
_BOOK_LINK = re.compile(r'<a\b[^>]*href="(/(?:en/)?book/\d+/)"')
_REFRESH = re.compile(
    r'<meta\b[^>]*http-equiv="refresh"[^>]*content="(\d+)(?:;\s*url=([^"]*))?"', re.I
)
MAX_WAIT_SECONDS = 5.0  # one wait on a waiting page, whatever it asks for


def _attrs(text: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v or "") for k, v in _ATTR.findall(text)}


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]]  # what the browser would send without any typing

    @property
    def names(self) -> set[str]:
        return {name for name, _value in self.fields}


def forms_of(text: str) -> list[Form]:
    """The POST forms of a page, each with the values a browser would submit untouched:
    hidden and pre-filled inputs, checked radios and boxes, each select's chosen option."""
    found = []
    for form_attrs, body in _FORM.findall(text):
        attrs = _attrs(form_attrs)
        if attrs.get("method", "get").lower() != "post":
            continue
        fields: list[tuple[str, str]] = []
        for input_attrs in _INPUT.findall(body):
            a = _attrs(input_attrs)
            kind = a.get("type", "text").lower()
            if "name" not in a or kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("radio", "checkbox") and "checked" not in a:
                continue
            fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        for select_attrs, options in _SELECT.findall(body):
            a = _attrs(select_attrs)
            choices = [_attrs(o) for o in _OPTION.findall(options)]
            chosen = next((o for o in choices if "selected" in o), choices[0] if choices else {})
            if "name" in a:
                fields.append((a["name"], chosen.get("value", "")))
        found.append(Form(attrs.get("action", ""), fields))
    return found


@dataclass
class Page:
    status: int
    text: str
    location: str
    retry_after: float | None  # seconds, when the page asks the browser to come back
    refresh_url: str

    def form(self, action_part: str) -> Form | None:
        return next((f for f in forms_of(self.text) if action_part in f.action), None)

    @property
    def is_waiting(self) -> bool:
        return self.retry_after is not None

    @property
    def offers_alternatives(self) -> bool:
        """The "that time is full" page lists other times (forms or links to book them)."""
        return bool(self.form("/book/choose/")) or bool(_BOOK_LINK.search(self.text))


class Timeout(Exception):
    """The server did not answer within the client's timeout."""


class Broken(Exception):
    """The connection failed (refused, reset, closed without an answer)."""


class Browser:
    """One resident's browser: one connection (re-opened when the server closes it, as
    gunicorn's sync workers do after every answer) and a cookie jar."""

    def __init__(self, port: int, *, timeout: float) -> None:
        self.origin = f"http://127.0.0.1:{port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.referer = self.origin + "/"

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None) -> Page:
        headers = {
            "User-Agent": "kenshin-bench-rush",
            "Accept": "text/html",
            "Accept-Language": "ja",
            "Accept-Encoding": "gzip",  # as browsers do: a compressed page is read as one
            "Referer": self.referer,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
            data = response.read()
        except TimeoutError as exc:
            self.conn.close()
            raise Timeout(str(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            raise Broken(f"{type(exc).__name__}: {exc}") from exc
        if response.will_close:
            self.conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Content-Encoding", "") == "gzip":
            data = gzip.decompress(data)
        text = data.decode("utf-8", "replace")
        retry = response.getheader("Retry-After")
        refresh = _REFRESH.search(text)
        retry_after: float | None = None
        if retry and retry.strip().isdigit():
            retry_after = float(retry)
        elif refresh:
            retry_after = float(refresh.group(1))
        if method == "GET":
            self.referer = self.origin + path
        return Page(
            status=response.status,
            text=text,
            location=response.getheader("Location", ""),
            retry_after=retry_after,
            refresh_url=html.unescape(refresh.group(2) or "") if refresh else "",
        )


def resident_answers(n: int) -> dict[str, str]:
    """What resident n types into the details form, by field name: a woman born in 1955–
    1974 living in the city (eligible for lung, stomach and breast screening)."""
    born = date(1955 + n % 20, 1 + n % 12, 1 + n % 28)
    return {
        "name": f"試験 {n}",
        "furigana": f"ラッシュ {katakana_number(n)}",
        "birth_date_era": "AD",
        "birth_date_year": str(born.year),
        "birth_date_month": str(born.month),
        "birth_date_day": str(born.day),
        "sex": "F",
        "postal_code": "352-0001",
        "address": "新座市野火止1-2-3",
        "phone": "048-481-0000",
        "email": f"r{n}@example.jp",
        "email_confirm": f"r{n}@example.jp",
    }


def fill(form: Form, answers: dict[str, str]) -> list[tuple[str, str]]:
    """The form's own values with the resident's answers typed over them; answers for boxes
    the form does not have are left out (the page then refuses, and that is counted)."""
    filled = [(name, answers.get(name, value)) for name, value in form.fields]
    present = form.names
    filled += [(name, value) for name, value in answers.items() if name not in present]
    return filled


STEPS = ("form", "details", "extras", "confirm", "done")


def ticket_number(url: str) -> int | None:
    """The place in the line inside a waiting page's ticket (`?ticket=`), read without the
    key: a Django signed value is `base64(JSON):timestamp:signature`, and its JSON is
    [number, arrived, epoch, turn] (waitingroom.room.Ticket)."""
    values = parse_qs(urlsplit(url).query).get("ticket")
    if not values:
        return None
    payload = values[0].split(":", 1)[0]
    if payload.startswith("."):  # compressed: not what the room writes
        return None
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        number = json.loads(decoded)[0]
    except (ValueError, IndexError, TypeError):
        return None
    return number if isinstance(number, int) else None


@dataclass
class Outcome:
    kind: str  # booked | full | refused | 5xx | timeout | broken | unexpected
    detail: str = ""
    full_with_alternatives: bool = False
    arrived: float = 0.0  # perf_counter of the first request
    admitted: float | None = None  # perf_counter of the first page that was not a wait
    first_answer: float = 0.0  # seconds until the first answer (page or waiting page)
    waits: int = 0
    # The number of the line's ticket the waiting pages gave (None: never told to wait),
    # and when each request answered with a waiting page was sent (perf_counter).
    ticket: int | None = None
    held_at: list[float] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)  # step → seconds
    total: float = 0.0


class Resident:
    """One resident's whole booking: form → details → (extras) → confirm → done page."""

    def __init__(self, browser: Browser, n: int, slot_id: int, deadline: float) -> None:
        self.browser = browser
        self.n = n
        self.slot_id = slot_id
        self.deadline = deadline
        self.outcome = Outcome("unexpected")

    def _step(
        self, step: str, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> Page:
        started = sent = time.perf_counter()
        page = self.browser.request(method, path, fields)
        if not self.outcome.first_answer:
            self.outcome.first_answer = time.perf_counter() - started
        while page.is_waiting and time.perf_counter() < self.deadline:
            self.outcome.waits += 1
            self.outcome.held_at.append(sent)
            self.outcome.ticket = ticket_number(page.refresh_url) or self.outcome.ticket
            time.sleep(min(page.retry_after or 1.0, MAX_WAIT_SECONDS))
            target = urlsplit(page.refresh_url)
            again = target.path + (f"?{target.query}" if target.query else "") or path
            sent = time.perf_counter()
            page = self.browser.request("GET", again)
        if self.outcome.admitted is None and not page.is_waiting:
            self.outcome.admitted = time.perf_counter()
        self.outcome.steps[step] = time.perf_counter() - started
        if page.status >= 500:
            raise _Stop("5xx", f"{step}: {page.status}")
        return page

    def run(self) -> Outcome:
        self.outcome.arrived = time.perf_counter()
        try:
            self._flow()
        except _Stop as stop:
            self.outcome.kind, self.outcome.detail = stop.kind, stop.detail
        except Timeout as exc:
            self.outcome.kind, self.outcome.detail = "timeout", str(exc)
        except Broken as exc:
            self.outcome.kind, self.outcome.detail = "broken", str(exc)
        finally:
            self.browser.close()
        self.outcome.total = time.perf_counter() - self.outcome.arrived
        return self.outcome

    def _full(self, step: str, page: Page) -> None:
        self.outcome.full_with_alternatives = page.offers_alternatives
        raise _Stop("full", step)

    def _flow(self) -> None:
        book = f"/book/{self.slot_id}/"
        page = self._step("form", "GET", book)
        details = page.form(book)
        if details is None:
            # A time taken before the form was even shown: the "full" page (200 on a GET).
            if page.status in (200, 409):
                self._full("form", page)
            raise _Stop("refused", f"form: {page.status}, no details form")
        page = self._step("details", "POST", book, fill(details, resident_answers(self.n)))
        if page.status == 409:
            self._full("details", page)
        confirm = page.form("/book/confirm/")
        if confirm is None:
            extras = page.form("/book/extras/")
            if extras is None:
                kind = "refused" if page.status == 400 else "unexpected"
                raise _Stop(kind, f"details: {page.status}")
            page = self._step("extras", "POST", "/book/extras/", extras.fields)
            if page.status == 409:
                self._full("extras", page)
            confirm = page.form("/book/confirm/")
            if confirm is None:
                raise _Stop("unexpected", f"extras: {page.status}, no confirm form")
        page = self._step("confirm", "POST", "/book/confirm/", confirm.fields)
        if page.status == 409:
            self._full("confirm", page)
        if page.status != 303 or "/book/done/" not in page.location:
            raise _Stop("refused" if page.status < 500 else "5xx", f"confirm: {page.status}")
        page = self._step("done", "GET", urlsplit(page.location).path)
        if page.status != 200:
            raise _Stop("unexpected", f"done: {page.status}")
        self.outcome.kind = "booked"


class _Stop(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def run_residents(
    *,
    port: int,
    numbers: range,
    slot_ids: list[int],
    concurrency: int,
    seconds: float,
    timeout: float,
) -> tuple[list[Outcome], float]:
    """Residents `numbers`, `concurrency` at a time, each choosing one of `slot_ids` at
    random; no new resident starts after `seconds`. The outcomes and the wall time."""
    queue: Iterator[int] = iter(numbers)
    lock = threading.Lock()
    outcomes: list[Outcome] = []
    deadline = time.perf_counter() + seconds

    def worker(_w: int) -> None:
        while time.perf_counter() < deadline:
            with lock:
                n = next(queue, None)
            if n is None:
                return
            slot_id = random.Random(n).choice(slot_ids)
            browser = Browser(port, timeout=timeout)
            outcome = Resident(browser, n, slot_id, deadline + timeout).run()
            with lock:
                outcomes.append(outcome)

    wall = run_threads(worker, concurrency)
    return outcomes, wall
