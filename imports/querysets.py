from django.db import models


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An import shows the rows of someone's file: only to the person who uploaded it."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)
