"""Rule violations: what a service refuses, and the HTTP status that refusal means.

Services raise these (their own subclasses, named for the rule). The API's exception
handler (``portal.api.exceptions``) and the pages (``portal.pages.show_rule_violation``)
turn them into answers, so no view translates an error by hand.
"""


class RuleViolation(Exception):
    """A request the rules refuse. ``str(error)`` is the message the API answers with;
    ``messages`` the lines a page shows (like Django's ``ValidationError.messages``)."""

    status_code = 400

    @property
    def messages(self):
        return [str(self)]


class Invalid(RuleViolation):
    """The input or the object is not complete or not valid for this step (400)."""

    status_code = 400


class Forbidden(RuleViolation):
    """Not allowed for this user (403)."""

    status_code = 403


class NotFound(RuleViolation):
    """Nothing to show, on purpose without saying why (404)."""

    status_code = 404


class Conflict(RuleViolation):
    """Not possible in the object's current state, or it changed meanwhile (409)."""

    status_code = 409
