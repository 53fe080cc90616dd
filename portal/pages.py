"""What the HTML pages share when a service refuses a request."""

from django.contrib import messages


def show_rule_violation(request, error, form=None):
    """Show a refused request on the page: the lines of a rule violation (or of a Django
    ``ValidationError``) as errors of ``form`` when given, else as error messages.

    Returns the status of a page that answers in place (409 for a conflict, 400 otherwise);
    pages that redirect ignore it."""
    for line in error.messages:
        if form is None:
            messages.error(request, line)
        else:
            form.add_error(None, line)
    return getattr(error, "status_code", 400)
