"""An email delivery through the SMTP server of the settings (--smtp-host and the rest): plain text,
one message to every recipient of a rule. Without --smtp-host no email is sent. It blocks: callers
run it in a thread."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from footfall.web.alerts.webhook import TIMEOUT, Outcome
from footfall.web.settings import Config

ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
MAX_RECIPIENTS = 20


def configured(config: Config) -> bool:
    return bool(config.smtp_host)


def recipients(text: str) -> tuple[str, ...]:
    """Addresses separated by commas, spaces or lines; ValueError names the first that is not one."""
    found = tuple(dict.fromkeys(part for part in re.split(r"[\s,;]+", text) if part))
    for address in found:
        if not ADDRESS.match(address) or len(address) > 254:
            raise ValueError(f"“{address[:80]}” is not an email address.")
    if len(found) > MAX_RECIPIENTS:
        raise ValueError(f"A rule mails at most {MAX_RECIPIENTS} addresses.")
    return found


def sender(config: Config) -> str:
    return config.smtp_from or config.smtp_user or "footfall@localhost"


def message(config: Config, to: tuple[str, ...], subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender(config)
    mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=sender(config).rpartition("@")[2] or "footfall")
    mail.set_content(body)
    return mail


def send(config: Config, to: tuple[str, ...], subject: str, body: str) -> Outcome:
    if not configured(config):
        return Outcome(False, "error: SMTP is not configured (--smtp-host)")
    try:
        with smtplib.SMTP(config.smtp_host, int(config.smtp_port), timeout=TIMEOUT) as smtp:
            if config.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            refused = smtp.send_message(message(config, to, subject, body))
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, f"error: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}")
    if refused:
        return Outcome(False, f"error: refused {', '.join(sorted(refused))}")
    return Outcome(True, "sent")
