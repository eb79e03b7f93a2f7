"""Departments, teams, people and their per-team roles, the service catalog, org policy."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_COST_CURVE = {
    "requirements": 1,
    "design": 3,
    "development": 7,
    "testing": 15,
    "release": 30,
    "production": 100,
}


class Role(models.TextChoices):
    PM = "PM", _("Product manager")
    DEV = "DEV", _("Developer")
    TECH_LEAD = "TECH_LEAD", _("Tech lead")
    ARCHITECT = "ARCHITECT", _("Architect")
    ADMIN = "ADMIN", _("Administrator")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # Goes up with every change an administrator or an import makes to the name, e-mail or
    # whether they may sign in: the ETag of the person in the administration API.
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.display_name or self.username


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Goes up with every change to the department: its ETag in the administration API.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="teams", verbose_name=_("department")
    )
    # A committee's architects may review plans of any team.
    is_committee = models.BooleanField(_("is a technical committee"), default=False)
    # Goes up with every change to the team: its ETag in the administration API.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team", "role"], name="membership_unique_role")
        ]
        indexes = [models.Index(fields=["team", "role"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.team} · {self.get_role_display()}"


class Component(models.Model):
    class Kind(models.TextChoices):
        SYSTEM = "system", _("System")
        SERVICE = "service", _("Service")
        API = "api", _("API")
        DATABASE = "database", _("Database")
        FRONTEND = "frontend", _("Front end")
        JOB = "job", _("Job")
        LIBRARY = "library", _("Library")

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="components", verbose_name=_("owning team")
    )
    system = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts"
    )
    description = models.TextField(_("description"), blank=True, max_length=5000)
    # Goes up with every change to the component: its ETag in the administration API.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["key"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return self.name


class OrgPolicy(models.Model):
    """Organisation-wide settings; one row, created on first use."""

    cost_curve = models.JSONField(
        _("cost-of-change curve (weight by phase found)"), default=dict, blank=True
    )
    # A change affecting n parties weighs curve x (1 + factor x (n - 1)): 1 makes the weight
    # proportional to the parties, 0 ignores them.
    cost_per_extra_party = models.DecimalField(
        _("cost factor per extra affected party"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Goes up with every change to the policy: its ETag in the administration API.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("organisation policy")
        verbose_name_plural = _("organisation policy")

    def __str__(self) -> str:
        return str(_("Organisation policy"))

    def cost_weight(self, phase: str) -> int:
        return int({**DEFAULT_COST_CURVE, **(self.cost_curve or {})}[phase])

    def change_weight(self, phase: str, parties: int) -> int:
        """The cost weight of a change found in `phase` that affects `parties` parties: the
        curve's weight, scaled by the parties beyond the first."""
        scale = 1 + Decimal(self.cost_per_extra_party) * max(0, parties - 1)
        weighted = (self.cost_weight(phase) * scale).to_integral_value(ROUND_HALF_UP)
        return max(1, int(weighted))


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="cli")
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
