"""A mail backend for the real-worker reminder test: every delivery is a durable line.

Each message appends one line ``<pid> <Message-ID>`` to the file named by the
environment variable ``REMINDER_MAIL_LOG`` (append mode, flushed and fsynced before
the message counts as sent), so the test can count deliveries made by a worker process
that it later kills with SIGKILL. ``REMINDER_MAIL_DELAY`` (seconds, default 0) makes
each message slow, like a real mail server, so the kill lands in the middle of a batch.
"""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        path = os.environ["REMINDER_MAIL_LOG"]
        delay = float(os.environ.get("REMINDER_MAIL_DELAY", "0"))
        sent = 0
        with open(path, "a", encoding="utf-8") as log:
            for message in email_messages:
                message_id = message.message()["Message-ID"]  # the header as it goes on the wire
                if delay:
                    time.sleep(delay)
                log.write(f"{os.getpid()} {message_id}\n")  # one write(2) per line, O_APPEND
                log.flush()
                os.fsync(log.fileno())
                sent += 1
        return sent
