"""Inputs of the rule editor: a field or a row's cell, with its label, value and the
problems found at it (competitions.editor names them)."""

from django import template

register = template.Library()

INPUT_MODES = {"decimal": "decimal", "integer": "numeric"}


def _input(name, label, value, errors, kind, options, help_text, suffix, col, placeholder, datalist, css):
    return {
        "name": name, "id": f"f-{name}", "label": label, "value": value if value is not None else "",
        "errors": errors, "kind": kind, "options": options or [], "help": help_text, "suffix": suffix,
        "col": col, "placeholder": placeholder, "datalist": datalist, "css": css,
        "inputmode": INPUT_MODES.get(kind, ""),
    }


@register.inclusion_tag("competitions/editor/field.html", takes_context=True)
def field(context, name, label, kind="text", options=None, help="", suffix="", col="col-12 col-md-6",
          placeholder="", datalist="", css=""):
    value = context["state"]["fields"].get(name, "")
    return _input(name, label, value, context["errors"].get(name, []), kind, options, help, suffix, col,
                  placeholder, datalist, css)


@register.inclusion_tag("competitions/editor/field.html", takes_context=True)
def cell(context, section, column, label, kind="text", options=None, suffix="", col="col-6 col-md",
         placeholder="", datalist="", css=""):
    name = f"{section}-{context['i']}-{column}"
    value = context["row"].get(column, "")
    return _input(name, label, value, context["errors"].get(name, []), kind, options, "", suffix, col,
                  placeholder, datalist, css)


@register.simple_tag(takes_context=True)
def row_problems(context, section):
    """Problems about a whole row (not one of its cells)."""
    return context["errors"].get(f"{section}-{context['i']}", [])
