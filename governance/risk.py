"""Risk tier from the intake questions, in the EU AI Act's four tiers."""

from usecases.choices import RiskTier, UseCaseAudience


def derive_risk_tier(use_case):
    """The most severe tier any answer points to."""
    if use_case.prohibited_practice:
        return RiskTier.PROHIBITED
    if use_case.decides_about_people:
        return RiskTier.HIGH
    if use_case.customers_see_output or use_case.audience == UseCaseAudience.CUSTOMER_FACING:
        return RiskTier.LIMITED
    return RiskTier.MINIMAL
