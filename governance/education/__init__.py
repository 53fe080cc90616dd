"""Rules and education (roadmap step 6): policies and acknowledgements, training, the
prompt library. Its models, choices and admin live here too, in the ``governance`` app (its tables)."""
