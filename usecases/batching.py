"""Many use-case changes as one unit of work (an import of thousands of rows).

Inside ``usecases.services.batch()`` the services still check and write each use case as they do
for a form (permission, model rules, the use case itself with its reference code), but the work
that repeats per row is collected here and done once when the block ends, before its transaction
commits:

- reference codes: the counter row is read and locked once, then counted on in memory and written
  back once (the lock is held until the transaction ends, so nobody else can take a code meanwhile:
  the codes are the same as row by row, without gaps);
- the children of new use cases (tasks, KPIs, models), the audit events and any other rows handed
  to ``add`` are bulk-created;
- the change hooks run once over every changed use case (a hook with a bulk version in
  ``usecases.services.BULK_CHANGE_HOOKS`` gets them all at once, others are called per use case),
  then the cost estimates are refreshed for all of them in one pass.

A failure anywhere in the block rolls the whole block back (nothing is flushed).
"""

import contextvars

from portal.models import ReferenceSequence

_CURRENT = contextvars.ContextVar("usecase_batch", default=None)


def current():
    """The batch in progress, or None (every change is then complete on its own)."""
    return _CURRENT.get()


class Batch:
    def __init__(self):
        self.changed = {}  # use case pk -> (use_case, user), the latest state of each
        self.events = []  # unsaved AuditEvent instances, in the order they happened
        self.rows = {}  # model -> [unsaved instances], bulk-created at the end
        self.references = {}  # scope -> last value handed out

    def activate(self):
        return _CURRENT.set(self)

    @staticmethod
    def deactivate(token):
        _CURRENT.reset(token)

    # --- collected work ----------------------------------------------------------------------

    def reference(self, prefix, year, take_first):
        """The next code of ``<prefix>-<year>``: the first through ``take_first`` (which locks
        the counter), the next ones counted on from it."""
        scope = f"{prefix}-{year}"
        if scope not in self.references:
            code = take_first(prefix, year)
            self.references[scope] = int(code.rsplit("-", 1)[1])
            return code
        self.references[scope] += 1
        return f"{scope}-{self.references[scope]:04d}"

    def add(self, instance):
        """Create ``instance`` (no signals, no ``save()``) with the others of its model at the end."""
        self.rows.setdefault(type(instance), []).append(instance)

    def changed_use_case(self, use_case, user):
        self.changed[use_case.pk] = (use_case, user)

    # --- the end of the block ----------------------------------------------------------------

    def write_rows(self):
        """Create the rows collected so far (before anything reads them)."""
        rows, self.rows = self.rows, {}
        for model, instances in rows.items():
            model.objects.bulk_create(instances, batch_size=1000)

    def flush(self, hooks, bulk_hooks, refresh_costs):
        for scope, last_value in self.references.items():
            # The row is locked by this transaction since the first code was taken.
            ReferenceSequence.objects.filter(scope=scope, last_value__lt=last_value).update(last_value=last_value)
        self.references = {}
        self.write_rows()
        if self.events:
            events, self.events = self.events, []
            type(events[0]).objects.bulk_create(events, batch_size=1000)
        changed, self.changed = list(self.changed.values()), {}
        if not changed:
            return
        for key, hook in hooks.items():
            bulk = bulk_hooks.get(key)
            if bulk is not None:
                bulk(changed)
            else:
                for use_case, user in changed:
                    hook(use_case, user)
        refresh_costs([use_case.pk for use_case, _user in changed])
