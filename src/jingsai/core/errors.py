"""Errors a person can act on. Services raise them; views, the API and commands show
their messages (already translated) and change nothing."""

from django.core.exceptions import ValidationError


class UserError(Exception):
    """Bad input or a forbidden step, with a message for the person who tried it."""

    def __init__(self, message, *, code="invalid", problems=None):
        self.message = message
        self.code = code
        self.problems = problems or []
        super().__init__(str(message))

    def __str__(self):
        return str(self.message)


class Problem:
    """One thing wrong with one place of an input: a spreadsheet cell, a form field, a
    spec key. `where` locates it (row/column, or a path), `message` says what is wrong."""

    __slots__ = ("code", "column", "message", "row", "value", "where")

    def __init__(self, message, *, row=None, column=None, value=None, where=None, code="invalid"):
        self.message = message
        self.row = row
        self.column = column
        self.value = value
        self.where = where
        self.code = code

    def as_dict(self):
        return {
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "where": self.where,
            "code": self.code,
            "message": str(self.message),
        }

    def __repr__(self):
        return f"Problem({self.as_dict()!r})"


class Rejected(UserError):
    """An input rejected as a whole because of the listed problems; nothing was stored."""

    def __init__(self, message, problems, *, code="rejected"):
        super().__init__(message, code=code, problems=list(problems))


def field_errors(error, model):
    """A Django ValidationError (from full_clean) as a UserError whose problems name each
    field as the interface does (its verbose name), for the API and commands to show."""
    problems = []
    for name, messages in error.message_dict.items():
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # NON_FIELD_ERRORS or a name that is not a field
            label = None
        problems.extend(Problem(message, where=label, code="invalid") for message in messages)
    text = "；".join(f"{p.where}：{p.message}" if p.where else str(p.message) for p in problems)
    return UserError(text, problems=problems)


def clean(instance, exclude=None):
    """The instance's full_clean(), its errors raised as field_errors() does: a UserError
    naming each field as the interface does. Services call it before saving."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise field_errors(error, type(instance)) from None
