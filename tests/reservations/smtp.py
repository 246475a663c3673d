"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd, in its own thread).

    with smtp_server() as server:            # accepts and keeps every message
        ...
        server.messages  -> [Received(...)]

`port` may be given so that a test can send to a server that is not running yet
(connection refused) and start it later on the same port. `reply_rcpt` / `reply_data`
make the server refuse recipients or message bodies with that SMTP reply.
"""

import asyncio
import logging
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO, recipients included; tests need none of it.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        # Django folds long encoded subjects starting on a new line; readers strip that.
        return str(self.message["Subject"]).strip()

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class Sink:
    """aiosmtpd handler: remembers what it accepted, or refuses as told."""

    def __init__(self, *, reply_rcpt=None, reply_data=None, delay=0.0):
        self.reply_rcpt = reply_rcpt
        self.reply_data = reply_data
        self.delay = delay
        self.messages: list[Received] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reply_rcpt:
            return self.reply_rcpt.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply_data:
            return self.reply_data
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=message_from_bytes(envelope.content, policy=policy.default),
        )
        with self.lock:
            self.messages.append(received)
        return "250 OK: queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(*, port=None, **sink_options):
    sink = Sink(**sink_options)
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    """Point Django's mail at the test server (plain SMTP, no auth, short timeout)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
