"""``{% status_badge obj %}``: the state of a use case, stage, assessment or exception as a
badge coloured by its meaning for the reader (see ``portal.badges``)."""

from django import template

from portal.badges import badge_for

register = template.Library()


@register.inclusion_tag("portal/includes/status_badge.html", takes_context=True)
def status_badge(context, obj, badge_id=""):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"badge": badge_for(obj, user), "badge_id": badge_id}
