"""Settings of the worker process started by ``test_reminder_worker``: the portal's own
settings (read from the environment as usual), with the recording mail backend.

``EMAIL_URL`` only offers django-environ's schemes, so the backend is set here rather
than through the environment. Only the test's subprocess uses this module.
"""

from portal.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.governance.mail_recorder.RecordingBackend"
