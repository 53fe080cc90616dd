"""Rules and education (roadmap step 6): policies and acknowledgements, training, the
prompt library. Models live in ``governance.models.education``."""
