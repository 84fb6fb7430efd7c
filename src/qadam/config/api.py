"""The machine API, version 1, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at
/api/v1/docs). Each module contributes a router from its own `api.py`."""

from __future__ import annotations

from ninja import NinjaAPI

from qadam.assessment.api import router as assessment_router
from qadam.core.api import StaffSessionAuth, TokenAuth, install_error_handlers
from qadam.core.api import router as core_router
from qadam.custody.api import router as custody_router
from qadam.people.api import router as people_router
from qadam.plans.api import router as plans_router
from qadam.sentences.api import router as sentences_router

api = NinjaAPI(
    title="Qadam API",
    version="1",
    description=(
        "Scoped reads of persons, the movements ledger, institutions and population, sentences, "
        "assessments and resocialisation plans, and recording of movements, verdicts, "
        "assessments and progress on plan steps through the same rules as the forms. "
        "Authenticate with `Authorization: Bearer <token>` (issued by `qadam api_token "
        "create`). Errors are "
        '`{"errors": {"field": ["message"]}}` in the language asked for by Accept-Language '
        "(kk, ru, en). Records outside the client's scope answer 404."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), StaffSessionAuth()],
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", people_router)
api.add_router("/", custody_router)
api.add_router("/", sentences_router)
api.add_router("/", assessment_router)
api.add_router("/", plans_router)
