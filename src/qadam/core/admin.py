"""Reference-data administration: regions, departments, offences, institution types; and the
scope of staff accounts (institutions, regions, probation offices).

Only holders of `manage_reference_data` (the administrator role) may enter; a staff member's scope
is changed only by holders of `manage_users`. Every change is written to the audit trail in the
same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qadam.core.audit import audit_write
from qadam.core.models import AuditEvent, Offence, Organisation, Region, UisDepartment, User
from qadam.core.policies import has_capability
from qadam.core.roles import ScopeLevel


class QadamAdminSite(admin.AdminSite):
    site_header = _("Qadam reference data")
    site_title = _("Qadam reference data")
    index_title = _("Reference data")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and has_capability(user, "manage_reference_data"))


site = QadamAdminSite(name="admin")


class ReferenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Permissions come from the capability, and every write is audited."""

    def _allowed(self, request: HttpRequest) -> bool:
        return has_capability(request.user, "manage_reference_data")  # type: ignore[arg-type]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # reference rows are closed with a validity date, never deleted

    @transaction.atomic
    def save_model(
        self, request: HttpRequest, obj: models.Model, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit_write(
            actor=request.user,  # type: ignore[arg-type]
            action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
            verb="reference data changed" if change else "reference data added",
            obj=obj,
            details={"fields": sorted(form.changed_data)},
        )


@admin.register(Region, site=site)
class RegionAdmin(ReferenceAdmin):
    list_display = ("code", "legacy_code", "name_kk", "name_ru", "name_en")
    search_fields = ("code", "legacy_code", "name_kk", "name_ru", "name_en")


@admin.register(UisDepartment, site=site)
class UisDepartmentAdmin(ReferenceAdmin):
    list_display = ("code", "name_kk", "name_ru", "name_en")
    filter_horizontal = ("regions",)


@admin.register(Organisation, site=site)
class OrganisationAdmin(ReferenceAdmin):
    list_display = ("code", "kind", "name_kk", "name_ru", "name_en")


@admin.register(Offence, site=site)
class OffenceAdmin(ReferenceAdmin):
    list_display = (
        "article",
        "part",
        "gravity",
        "title_ru",
        "max_term_months",
        "valid_from",
        "valid_to",
    )
    list_filter = ("gravity", "chapter")
    search_fields = ("article", "title_kk", "title_ru", "title_en")


# The list that a scope level draws on: a user scoped to institutions needs at least one, etc.
SCOPE_LISTS = {
    ScopeLevel.INSTITUTION: "institutions",
    ScopeLevel.REGION: "regions",
    ScopeLevel.PROBATION_OFFICE: "probation_offices",
}


class StaffScopeForm(ModelForm[User]):
    class Meta:
        model = User
        fields = ("scope_level", "regions", "institutions", "probation_offices")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        field = SCOPE_LISTS.get(data.get("scope_level", ""))
        if field is not None and not data.get(field):
            self.add_error(
                field,
                _("Choose at least one: the scope level set above draws on this list."),
            )
        return data


@admin.register(User, site=site)
class StaffScopeAdmin(ReferenceAdmin):
    """Where a staff member's scope is set: the level, and the institutions, regions or probation
    offices it covers. Accounts and roles are created elsewhere (`demo_users`, operators)."""

    form = StaffScopeForm
    list_display = ("username", "last_name", "first_name", "role", "scope_level", "is_active")
    list_filter = ("role", "scope_level", "is_active")
    search_fields = ("username", "first_name", "last_name")
    fields = (
        "username",
        "first_name",
        "last_name",
        "role",
        "scope_level",
        "institutions",
        "regions",
        "probation_offices",
    )
    readonly_fields = ("username", "first_name", "last_name", "role")
    filter_horizontal = ("institutions", "regions", "probation_offices")

    def _allowed(self, request: HttpRequest) -> bool:
        return has_capability(request.user, "manage_users")  # type: ignore[arg-type]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: ModelForm[Any], change: bool
    ) -> None:
        admin.ModelAdmin.save_model(self, request, obj, form, change)  # audited with its lists

    @transaction.atomic
    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formsets: list[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        assert isinstance(user, User)
        audit_write(
            actor=request.user,  # type: ignore[arg-type]
            action=AuditEvent.Action.UPDATE,
            verb="staff scope changed",
            obj=user,
            details={
                "fields": sorted(form.changed_data),
                "scope_level": user.scope_level,
                "institutions": sorted(user.institutions.values_list("code", flat=True)),
                "regions": sorted(user.regions.values_list("code", flat=True)),
                "probation_offices": sorted(user.probation_offices.values_list("code", flat=True)),
            },
        )
