"""Which style fits a use case, closed or open, and why (the facts in docs/ADOPTION.md).

Each signal adds points to one side with its reason; the side with more points wins,
and a tie goes to closed AI, the roadmap's small start (step 3). Restricted data always
goes to a self-hosted open model. Every data level gives its own reason first.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from governance.choices import RecommendedStyle
from portal.choices import DataClassification
from usecases.choices import UseCaseAudience, UseCaseCategory

CLOSED, OPEN = "closed", "open"

# One reason per data level, each true of that level alone (restricted data is not merely
# confidential: it never leaves the company).
LEVEL_REASONS = {
    DataClassification.PUBLIC: _("Public data: any AI service may process it, so the task decides the style."),
    DataClassification.INTERNAL: _(
        "Internal data: closed AI or an open model may process it within the classification matrix; the task decides."
    ),
    DataClassification.CONFIDENTIAL: _("Confidential data: self-hosting keeps it inside the company."),
    DataClassification.RESTRICTED: _(
        "Restricted data never leaves the company: only a self-hosted open model may process it."
    ),
}
CONFIDENTIAL_ON_CLOSED = _(
    "Confidential data on closed AI: only where the classification matrix allows it, on its conditions "
    "(see the policy checks)."
)


@dataclass(frozen=True)
class Recommendation:
    style: str
    reasons: list
    open_points: int
    closed_points: int

    @property
    def label(self):
        return RecommendedStyle(self.style).label


def recommend(facts):
    """``facts`` is a use case or any object with its intake attributes."""
    signals = []  # (side, points, reason)
    level = getattr(facts, "data_classification", "")
    category = getattr(facts, "category", "")
    audience = getattr(facts, "audience", "")
    level_reason = LEVEL_REASONS.get(level)
    if level in (DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED):
        signals.append((OPEN, 5, level_reason))
    if getattr(facts, "tuned_on_own_data", False):
        reason = {
            UseCaseCategory.CREATIVE: _("Brand tone tuned on our own past creative: open models can be fine-tuned."),
            UseCaseCategory.CONTENT_SEO: _("Domain-specific writing from our own documents fits a tuned open model."),
            UseCaseCategory.SALES_SUPPORT: _("Product and contract terms need fine control: a tuned open model."),
            UseCaseCategory.ANALYTICS: _("Own metrics and business logic: an open model coupled to our data."),
        }.get(category, _("Tuning on our own data is easier with an open model."))
        signals.append((OPEN, 3, reason))
    if getattr(facts, "uses_internal_knowledge", False):
        signals.append((OPEN, 3, _("Answers from internal knowledge (FAQ, search) work best on our own data.")))
    if getattr(facts, "fast_start", False):
        signals.append((CLOSED, 3, _("A quick start matters: use an existing tool or vendor API first.")))
    if audience == UseCaseAudience.CUSTOMER_FACING or getattr(facts, "customers_see_output", False):
        signals.append((CLOSED, 2, _("Customers see it: closed models give stable answers in many languages.")))
    if category == UseCaseCategory.ANALYTICS and level in (DataClassification.PUBLIC, DataClassification.INTERNAL):
        signals.append((CLOSED, 2, _("Reports and competitor analysis: closed models organise information fast.")))
    if category == UseCaseCategory.CREATIVE and not getattr(facts, "tuned_on_own_data", False):
        signals.append((CLOSED, 1, _("Mass-produced creative: the AI built into ad and design tools is enough.")))
    open_points = sum(points for side, points, _reason in signals if side == OPEN)
    closed_points = sum(points for side, points, _reason in signals if side == CLOSED)
    # Restricted data never leaves the company, whatever else speaks for closed AI.
    if open_points > closed_points or level == DataClassification.RESTRICTED:
        style = (
            RecommendedStyle.OPEN_SELF_HOSTED
            if level in (DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED)
            else RecommendedStyle.OPEN
        )
        reasons = [reason for side, _points, reason in signals if side == OPEN]
    else:
        style = RecommendedStyle.CLOSED
        reasons = [reason for side, _points, reason in signals if side == CLOSED] or [
            _("A general task: start small on closed AI and measure (roadmap step 3).")
        ]
        if level == DataClassification.CONFIDENTIAL:
            reasons.insert(0, CONFIDENTIAL_ON_CLOSED)
    if level in (DataClassification.PUBLIC, DataClassification.INTERNAL):
        # Neither side gains from these levels, but the reader should see the level was weighed.
        reasons.insert(0, level_reason)
    return Recommendation(style, reasons, open_points, closed_points)
