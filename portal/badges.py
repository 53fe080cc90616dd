"""Status badges coloured by what a state means to the reader, the same on every page.

Each state of a model maps to one meaning: waiting on me, waiting on others, done, refused,
or neutral (a draft, something stopped). Some states wait on *someone*: who is worked out
per reader by the model's ``is_mine(obj, user)`` (e.g. "changes requested" waits on the
requester, "in review" on the deciders). Apps register one ``StatusMap`` per model in
``BADGES`` from their ``install()``; this module knows no domain model.
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.registry import Registry


class Meaning(models.TextChoices):
    WAITING_ON_ME = "waiting_on_me", _("Waiting on you")
    WAITING_ON_OTHERS = "waiting_on_others", _("Waiting on others")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")
    NEUTRAL = "neutral", _("No action needed")


# A state that waits on someone: ``is_mine`` says whether on the reader.
WAITING = "waiting"


def _status(obj):
    return obj.status


def _status_label(obj):
    return obj.get_status_display()


@dataclass(frozen=True)
class StatusMap:
    """How one model's states read as badges.

    ``states``: ``{state: Meaning or WAITING}``, one row per state of the model.
    ``is_mine(obj, user)``: for WAITING states, whether the reader is the one to act.
    ``state`` / ``label``: the object's state code and its label (default: ``status``).
    ``all_states``: every state the model can have (the test checks none is left unmapped).
    """

    states: dict
    is_mine: object = None
    state: object = _status
    label: object = _status_label
    all_states: tuple = field(default=())


BADGES = Registry("portal.badges.BADGES", "model label (app_label.ModelName) -> StatusMap")


@dataclass(frozen=True)
class Badge:
    meaning: str
    meaning_label: str
    label: str
    state: str


def badge_for(obj, user):
    """The badge of ``obj`` for ``user``; an unknown model or state reads as neutral."""
    status_map = BADGES.get(obj._meta.label)
    if status_map is None:
        state = str(getattr(obj, "status", ""))
        label = obj.get_status_display() if hasattr(obj, "get_status_display") else state
        meaning = Meaning.NEUTRAL
    else:
        state = str(status_map.state(obj))
        label = status_map.label(obj)
        meaning = status_map.states.get(state, Meaning.NEUTRAL)
        if meaning == WAITING:
            mine = status_map.is_mine is not None and user is not None and status_map.is_mine(obj, user)
            meaning = Meaning.WAITING_ON_ME if mine else Meaning.WAITING_ON_OTHERS
    meaning = Meaning(meaning)
    return Badge(meaning=meaning.value, meaning_label=str(meaning.label), label=str(label), state=state)
