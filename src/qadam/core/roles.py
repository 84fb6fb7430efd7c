"""Staff roles (design.md §1) and the capabilities each role holds.

A capability is a Django permission on the `core.Capability` model; each role is a Django group that
holds its capabilities. Policies ask `user.has_perm("core.<capability>")`, never for a role by name,
so a capability can move between roles by editing this table and migrating.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEPTION = "reception", _("Reception and registry officer")
    REGIME = "regime", _("Regime officer")
    PSYCHOLOGIST = "psychologist", _("Psychologist or social worker")
    MEDICAL = "medical", _("Medical officer")
    PROBATION = "probation", _("Probation officer")
    EM_OPERATOR = "em_operator", _("Electronic monitoring operator")
    HEAD = "head", _("Head of institution or regional department")
    ANALYST = "analyst", _("Central analyst")
    PROSECUTOR = "prosecutor", _("Complaints handler or prosecutor")
    MONITOR = "monitor", _("Monitoring commission or NPM member")
    AUDITOR = "auditor", _("Auditor or data-protection officer")
    ADMIN = "admin", _("Administrator")


class ScopeLevel(models.TextChoices):
    INSTITUTION = "institution", _("Institutions")
    REGION = "region", _("Regions")
    PROBATION_OFFICE = "probation_office", _("Probation offices")
    NATIONAL = "national", _("National")


# Capability code → English description (translated in the UI through gettext_lazy).
CAPABILITIES: dict[str, str] = {
    "view_person": "See person records in scope",
    "search_person": "Search person records in scope",
    "admit_person": "Admit a person and record identity",
    "record_movement": "Record transfers, absences, escapes and releases",
    "correct_movement": "Correct a ledger event by a reversing event",
    "approve_merge": "Approve or undo a merge of person records",
    "request_merge": "Request a merge of duplicate person records",
    "view_population": "See population and occupancy figures",
    "view_detention_alarms": "Receive lawful-detention alarms",
    "export_lists": "Export lists to CSV and XLSX",
    "view_health_tier": "Read health records (health tier)",
    "view_complaint_tier": "Read confidential complaints (complaint tier)",
    "view_oversight_tier": "Read oversight records (oversight tier)",
    "view_audit": "Read the audit trail",
    "subject_access_export": "Export everything held about one person",
    "manage_reference_data": "Edit reference data",
    "manage_users": "Manage staff accounts and roles",
    "view_aggregates": "See national aggregate statistics",
    "use_api": "Use the machine API",
    "assess_person": "Assess a person's risks and needs",
    "manage_plan": "Build and change resocialisation plans",
    "countersign_plan": "Countersign a version of a resocialisation plan",
    "view_plan": "See resocialisation plans in scope",
    "view_sentence": "See sentences, release dates and worklists in scope",
    "manage_sentence": "Enter verdicts, counts and adjustments; request a date override",
    "approve_date_override": "Approve or reject a manual override of a sentence date",
    "activate_legislation": "Recalculate sentences under new rule files and activate them",
    "view_assessment": "See risk and needs assessments in scope",
    "approve_assessment_override": "Approve or reject an override of an assessment's risk band",
    "validate_instruments": "See assessment instruments and validate them on registry outcomes",
}

# Role → capabilities. Health, complaint and oversight tiers are held by their own roles only.
# `use_api`: registry systems (reception), heads, and the devices of psychologists (an assessment
# tablet) and probation officers, which act in the name of the officer, who stays accountable.
ROLE_CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.RECEPTION: frozenset(
        {
            "view_sentence",
            "manage_sentence",
            "view_person",
            "search_person",
            "admit_person",
            "record_movement",
            "request_merge",
            "view_population",
            "export_lists",
            "use_api",
            "view_plan",
        }
    ),
    Role.REGIME: frozenset(
        {
            "view_sentence",
            "view_person",
            "search_person",
            "record_movement",
            "view_population",
            "export_lists",
            "view_plan",
        }
    ),
    Role.PSYCHOLOGIST: frozenset(
        {
            "view_sentence",
            "view_person",
            "search_person",
            "export_lists",
            "assess_person",
            "view_assessment",
            "manage_plan",
            "view_plan",
            "use_api",
        }
    ),
    Role.MEDICAL: frozenset({"view_person", "search_person", "view_health_tier"}),
    Role.PROBATION: frozenset(
        {
            "view_sentence",
            "view_person",
            "search_person",
            "export_lists",
            "manage_plan",
            "view_plan",
            "view_assessment",
            "use_api",
        }
    ),
    Role.EM_OPERATOR: frozenset({"view_person", "search_person"}),
    Role.HEAD: frozenset(
        {
            "view_sentence",
            "approve_date_override",
            "view_person",
            "search_person",
            "record_movement",
            "correct_movement",
            "approve_merge",
            "request_merge",
            "view_population",
            "view_detention_alarms",
            "export_lists",
            "use_api",
            "countersign_plan",
            "view_plan",
            "view_assessment",
            "approve_assessment_override",
        }
    ),
    Role.ANALYST: frozenset(
        {"view_population", "view_aggregates", "export_lists", "validate_instruments"}
    ),
    Role.PROSECUTOR: frozenset(
        {
            "view_sentence",
            "view_person",
            "search_person",
            "view_population",
            "view_detention_alarms",
            "view_complaint_tier",
        }
    ),
    Role.MONITOR: frozenset({"view_population", "view_oversight_tier"}),
    Role.AUDITOR: frozenset(
        {
            "view_sentence",
            "view_person",
            "search_person",
            "view_audit",
            "subject_access_export",
            "export_lists",
        }
    ),
    Role.ADMIN: frozenset(
        {"activate_legislation", "manage_reference_data", "manage_users", "view_population"}
    ),
}

# Roles whose members should use a second factor (TOTP) when it is required by settings.
PRIVILEGED_ROLES = frozenset({Role.HEAD, Role.AUDITOR, Role.ADMIN, Role.ANALYST})
