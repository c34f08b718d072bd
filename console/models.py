from django.db import models
from django.db.models.functions import Lower


class CustomProperty(models.Model):
    """An environment Custom Property: a key/value row admins manage in the console.

    Typed, validated access lives in `console.properties`; unknown keys are kept as text.
    """

    key = models.CharField(max_length=100)
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "custom properties"
        constraints = [
            models.UniqueConstraint(Lower("key"), name="console_property_key_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"
