"""Rules and education through the API: policy documents with their versions and
acknowledgements, training courses and completions, and the shared prompt library.

The serializers check the input; every write then goes through ``governance.education.services``,
which checks who may act and writes the audit event. Object lists are scoped in the queryset:
people see the policies and courses meant for them, their own completions and the prompts
``visible_to`` them; managers and the holders of the figures permissions see everything."""
