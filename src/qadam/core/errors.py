"""Errors that services raise and views turn into messages naming the field to fix."""

from __future__ import annotations

from django.utils.functional import Promise

Message = str | Promise


class ServiceError(Exception):
    """Bad input: nothing was written. `errors` maps a field name ("" for the whole form) to
    translated messages that say what to fix."""

    status_code = 400

    def __init__(self, errors: dict[str, list[Message]] | Message, field: str = "") -> None:
        if isinstance(errors, dict):
            self.errors = {key: [str(m) for m in value] for key, value in errors.items()}
        else:
            self.errors = {field: [str(errors)]}
        super().__init__("; ".join(f"{k or 'form'}: {' '.join(v)}" for k, v in self.errors.items()))

    def as_list(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]


class ConflictError(ServiceError):
    """The record changed under the user (another transfer, a duplicate submission)."""

    status_code = 409
