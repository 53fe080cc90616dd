"""Reminders: which items are due, who is told, and how the outbox is sent.

``kinds`` says what each kind of reminder chases, its due dates, recipients and texts
(``KINDS``, a registry: rules and education add theirs at start-up). ``scan`` turns due
items into outbox rows, one per (kind, subject, due date, step, recipient), with
``bulk_create(ignore_conflicts=True)``: running it twice, or on two hosts, adds nothing.
Each step has a window of due dates ending at "today or later", so a day without a scan
is caught up by the next one, and an item whose earlier step was missed gets only its
current step, never a burst of stale ones.

``outbox`` sends: it claims a batch by a conditional UPDATE, sends, and records the
outcome of the batch in a few statements. Delivery is **at-least-once**: a row stays
claimed until its outcome is recorded, and a claim older than ``REMINDER_CLAIM_TIMEOUT``
is taken again, so a worker killed mid-batch loses nothing; the price is that the
messages of the batch in flight at the crash may go out a second time (with the same
Message-ID, so mail systems can fold them). A lost reminder is worse than a rare
duplicate: a forgotten review is what this feature exists to prevent. In-app
notifications are exactly-once (created with the row's outcome, unique per row).

Adding a kind: a ``ReminderKind`` value, a ``Kind`` subclass added to ``KINDS`` (in
``kinds``, or by the app at start-up, as rules and education do), and its default
``ReminderSetting`` row (migration).

The Celery tasks (``governance.tasks``) call the scan and the outbox, never the other way
round. This package imports nothing itself, so importing one of its modules loads no other.
"""
