"""E-mail over SMTP (the standard library's client, in a worker thread), with a Message-ID made from
the event, so sending the same notice again is recognisable as the same message."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, localtime

from services.notifier.domain.messages import Message, SendFailed
from services.notifier.settings import NotifierSettings


def message_id(event_id: str, domain: str) -> str:
    return f"<{event_id}.email@{domain}>"


class SmtpSender:
    def __init__(self, settings: NotifierSettings):
        self.s = settings

    async def send(self, to: str, message: Message, event_id: str) -> str:
        mail = EmailMessage()
        mail["From"] = self.s.mail_from
        mail["To"] = to
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(localtime())
        mail["Message-ID"] = message_id(event_id, self.s.message_id_domain)
        mail.set_content(message.text, charset="utf-8")
        await asyncio.to_thread(self._deliver, mail)
        return str(mail["Message-ID"])

    def _deliver(self, mail: EmailMessage) -> None:
        s = self.s
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.send_timeout_s) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:  # its text names the address: not passed on
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise SendFailed(f"SMTP recipient refused {codes}", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed(f"SMTP unreachable: {type(exc).__name__}") from None
