"""Numbers on the cost pages: grouped the reader's way (1,125,000), with no meaningless zeros
(2.5, not 2.5000). Only the pages use these; forms and the API keep plain numbers."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def amount(value, places=2):
    """``value`` rounded to at most ``places`` decimals, trailing zeros dropped, with the
    active language's thousand separator; empty for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return value
    if number == 0:
        number = Decimal(0)  # no "-0"
    exponent = number.normalize().as_tuple().exponent
    decimals = -exponent if exponent < 0 else 0
    return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
