"""The sender: claims due rows, reads the contact from intake, sends, records.

Each row is marked `sending` (committed) before the send and `sent` after it. A process that dies
between the two leaves the row `sending`; after the lease it is sent again with the same
Message-ID / RequestId, which the receiving side recognises (docs/decisions.md says how far that
holds at real providers). A failure waits base·2^n seconds, up to the last try, then the row is a
dead letter that an operator may replay (the HTTP API, `make notify-dlt`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

import asyncpg

from services.notifier.adapters import repository
from services.notifier.adapters.contacts import Contact
from services.notifier.adapters.repository import Delivery
from services.notifier.domain.messages import Channel, Message, SendFailed, backoff_s, render
from services.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)
BATCH = 20
FAULT_EXIT_CODE = 75


class Sender:
    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        settings: NotifierSettings,
        contact: Callable[[str], Awaitable[Contact | None]],
        send_email: Callable[[str, Message, str], Awaitable[str]],
        send_sms: Callable[[str, str, str], Awaitable[str]] | None,
        on_outcome: Callable[[str, str], None] = lambda channel, outcome: None,
    ):
        self.pool, self.s, self.contact = pool, settings, contact
        self.send_email, self.send_sms, self.on_outcome = send_email, send_sms, on_outcome
        self.wake = asyncio.Event()  # set by the consumer after a batch: no need to wait for the poll

    async def run(self) -> None:
        while True:
            try:
                while await self.round():
                    pass
            except asyncpg.PostgresError as exc:
                log.warning("sent-log unavailable (%s); trying again", type(exc).__name__)
            except OSError as exc:
                log.warning("sent-log unreachable (%s); trying again", type(exc).__name__)
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.s.poll_interval_s)

    async def round(self) -> int:
        """One claim of due rows, sent one after the other; how many were claimed."""
        claimed = await repository.claim(self.pool(), BATCH, self.s.sending_lease_s)
        contacts: dict[str, Contact | None] = {}
        for delivery in claimed:
            await self._one(delivery, contacts)
        return len(claimed)

    async def _one(self, d: Delivery, contacts: dict[str, Contact | None]) -> None:
        code, channel = d.notice.dossier_code, d.channel
        try:
            if code not in contacts:
                contacts[code] = await self.contact(code)
            address = _address(contacts[code], channel)
            if address is None:
                await repository.finish(self.pool(), d.key, "skipped", "not asked for, or no contact")
                self.on_outcome(channel, "skipped")
                return
            if channel == Channel.SMS and self.send_sms is None:
                await repository.finish(self.pool(), d.key, "skipped", "SMS turned off")
                self.on_outcome(channel, "skipped")
                return
            message = render(d.notice, channel, self.s.tracking_url)
            if channel == Channel.EMAIL:
                await self.send_email(address, message, d.notice.event_id)
            else:
                assert self.send_sms is not None
                await self.send_sms(address, message.text, d.notice.event_id)
        except SendFailed as exc:
            contacts.pop(code, None)  # read again next time: intake may have been the failure
            last = exc.permanent or d.attempts + 1 >= self.s.max_attempts
            wait = None if last else backoff_s(d.attempts + 1, self.s.backoff_base_s, self.s.backoff_max_s)
            await repository.failed(self.pool(), d.key, str(exc), wait)
            log.warning(
                "%s %s of %s#%d failed (%s)%s",
                d.notice.event_type.value,
                channel.value,
                code,
                d.notice.seq,
                exc,
                " : dead letter" if wait is None else f"; next try in {wait:.0f} s",
            )
            self.on_outcome(channel, "dead" if wait is None else "retry")
            return
        if self.s.fault_exit_after_send:  # tests only: the crash between the send and its record
            log.error("fault injection: exiting after the send of %s#%d %s", code, d.notice.seq, channel.value)
            os._exit(FAULT_EXIT_CODE)
        await repository.finish(self.pool(), d.key, "sent")
        self.on_outcome(channel, "sent")
        log.info("%s %s of %s#%d sent", d.notice.event_type.value, channel.value, code, d.notice.seq)


def _address(contact: Contact | None, channel: Channel) -> str | None:
    if contact is None or channel.value not in contact.channels:
        return None
    return contact.email if channel == Channel.EMAIL else contact.phone
