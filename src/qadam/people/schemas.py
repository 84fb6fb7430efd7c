"""API schemas of the people module."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Field, Schema

from qadam.core.api import Id, Text
from qadam.custody.models import LegalStatus
from qadam.custody.schemas import InstitutionRef, LocationOut

PersonSort = Literal[
    "relevance",
    "name",
    "-name",
    "birth_date",
    "-birth_date",
    "case_number",
    "-case_number",
    "id",
    "-id",
]


class PersonFilters(Schema):
    q: Text | None = Field(
        None,
        max_length=100,
        description="Name in Cyrillic or Latin (typo-tolerant), or a case number.",
        examples=["Жанибеков Нурлан"],
    )
    iin: str | None = Field(
        None, pattern=r"^[0-9]{12}$", description="12-digit IIN.", examples=["900517300013"]
    )
    institution: Id | None = Field(
        None, description="Id of the institution holding the person now.", examples=[12]
    )
    legal_status: LegalStatus | None = Field(None, examples=["remand"])
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)
    sort: PersonSort = Field(
        "relevance", description="relevance (best match first when `q` is given; else by name)."
    )


class PersonSummary(Schema):
    id: int = Field(..., examples=[42])
    case_number: str = Field(..., examples=["Q-2025-0000042"])
    iin: str = Field(..., examples=["900517300013"])
    full_name: str = Field(..., examples=["Жанибеков Нурлан Серикович"])
    full_name_latin: str = Field(..., examples=["Zhanibekov Nurlan"])
    birth_date: date = Field(..., examples=["1990-05-17"])
    sex: str = Field(..., examples=["M"])
    legal_status: str = Field(
        ..., description="remand, sentenced, or empty when not held.", examples=["remand"]
    )
    current_institution: InstitutionRef | None = None


class PersonListOut(Schema):
    count: int = Field(..., description="How many persons match, in all pages.", examples=[1])
    limit: int
    offset: int
    items: list[PersonSummary]


class PersonDetail(PersonSummary):
    surname: str
    first_name: str
    patronymic: str
    surname_latin: str
    first_name_latin: str
    patronymic_latin: str
    birth_place: str
    citizenship: str = Field(..., examples=["KZ"])
    language: str = Field(..., examples=["kk"])
    location: LocationOut
    lawful_until: date | None = Field(
        None, description="The last day the person may lawfully be held.", examples=["2025-06-30"]
    )
