"""What each kind of import reads and writes: use cases, vendors, AI models (one module each)."""

from imports.choices import ImportKind


def kind_for(key):
    from imports.kinds import models, usecases, vendors

    return {
        ImportKind.USE_CASES: usecases.KIND,
        ImportKind.VENDORS: vendors.KIND,
        ImportKind.AI_MODELS: models.KIND,
    }[key]
