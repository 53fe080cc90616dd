"""The table of reminder kinds, ``ReminderKind`` value -> ``Kind``.

Declared apart from the kinds themselves, which read the models: a ``Reminder`` row finds
its kind's texts here without the models importing the kinds. ``kinds`` adds the base
kinds; rules and education add theirs at start-up.
"""

from portal.registry import Registry

KINDS = Registry("governance.reminder_kinds", "Reminder kinds by ReminderKind value: what each chases and says.")
