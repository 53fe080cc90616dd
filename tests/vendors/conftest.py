import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """Evidence uploads land in a temporary folder, never in VAR_DIR."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root
