"""Comment threads on a requirement, one of its scenarios, or one of its plan items.

A thread is a top-level comment and its replies (one level deep, like a chat thread). Items are
revision-scoped rows, so a comment names an item by its stable number ("I-3"), which survives
new revisions.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

BODY_LIMIT = 5000


class Comment(models.Model):
    requirement = models.ForeignKey(
        "requirements.Requirement", on_delete=models.CASCADE, related_name="comments"
    )
    scenario = models.ForeignKey(
        "requirements.Scenario",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    item_number = models.PositiveIntegerField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=BODY_LIMIT)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["requirement", "created_at"])]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.on} {self.body[:40]}"

    @property
    def on(self) -> str:
        """The key of what the thread is about: "REQ-12", "S-3" or "I-2"."""
        if self.scenario is not None:
            return f"S-{self.scenario.number}"
        if self.item_number:
            return f"I-{self.item_number}"
        return self.requirement.key
