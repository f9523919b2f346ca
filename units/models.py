from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("县(市、区)")
    ZONE = "zone", _("开发区")
    DEPARTMENT = "department", _("市直单位")
    TOWN = "town", _("乡镇(街道)")


# The units that report to the city in the campaign: counties, the zone and
# city departments (6 + 1 + 68 = 75 in Jincheng). Towns report through their county.
REPORTING_KINDS = (UnitKind.COUNTY, UnitKind.ZONE, UnitKind.DEPARTMENT)


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def reporting(self):
        return self.filter(kind__in=REPORTING_KINDS)

    def within(self, unit: "Unit"):
        """The unit itself and every unit below it."""
        return self.filter(path__startswith=unit.path)

    def within_any(self, units) -> "UnitQuerySet":
        condition = Q(pk__in=[])
        for unit in units:
            condition |= Q(path__startswith=unit.path)
        return self.filter(condition)


class Unit(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("1405/140502/140502001/"): one indexed
    # prefix query finds a unit's whole subtree for roll-ups and scoping.
    path = models.CharField(max_length=255, editable=False, db_index=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The path is derived from the parent chain and must never drift from
        # it, so it is kept here rather than in every caller.
        old_path = self.path
        self.path = f"{self.parent.path if self.parent_id else ''}{self.code}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save(update_fields=["path"])

    @property
    def is_reporting(self) -> bool:
        return self.kind in REPORTING_KINDS


class SupervisionGroup(models.Model):
    """督导组: a group led by one person that follows a set of units."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    leader_name = models.CharField(_("组长"), max_length=50)
    units = models.ManyToManyField(
        Unit, verbose_name=_("督导单位"), related_name="supervision_groups"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("督导组")
        verbose_name_plural = _("督导组")

    def __str__(self):
        return self.name


class ScreenerMembership(models.Model):
    """Binds a screener to a unit; the screener also covers the unit's sub-units."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screener_memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="screener_memberships")

    class Meta:
        verbose_name = _("初筛单位")
        verbose_name_plural = _("初筛单位")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="unique_screener_unit"),
        ]

    def __str__(self):
        return f"{self.user} → {self.unit}"
