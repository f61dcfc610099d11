from django.db import models


class Order(models.Model):
    """The shop's own data, keyed by the authsvc user id its access tokens name."""

    user_id = models.UUIDField(db_index=True)
    item = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
