"""Form widgets drawn in Python: the same HTML as Django's widget templates, much cheaper.

Django draws every widget through a template (an <input> is input.html inside text.html,
with attrs.html for its attributes; a <select> one included template per option; a radio
group two per choice). On the details form that is about a hundred template renders,
1.7 ms of a page that residents load on opening day. `FastWidgetRenderer` (settings.
FORM_RENDERER) draws the widgets whose templates are listed in `DRAWN` with string
formatting instead, byte for byte what those templates produce (tests/core/
test_form_renderer.py compares the two for every widget of the residents' forms), and
hands everything else — form and error-list templates, the admin's widgets, a widget
with its own template — to Django's template renderer as before.

A widget that overrides one of these templates gets its own template name, so it is
never drawn here by mistake; a project override of Django's widget templates would need
FORM_RENDERER = TemplatesSetting, which this renderer is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from django.forms.renderers import DjangoTemplates

Context = Mapping[str, Any]

WIDGETS = "django/forms/widgets/"
DATE_OF_BIRTH = "citizens/widgets/japanese_date.html"


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescaping: str(), escaped unless safe.
    html.escape is what django.utils.html.escape does, without its lazy-string wrapper
    (which costs more than the escaping, and this runs for every attribute)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: Context) -> str:
    """input.html, with the newline that ends the template file."""
    value = widget["value"]
    shown = f' value="{_text(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>\n"
    )


def _text_input(widget: Context) -> str:
    """text.html, email.html …: input.html included, and the including file's newline."""
    return _input(widget) + "\n"


def _select_option(option: Context) -> str:
    return (
        f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
    )


def _select(widget: Context) -> str:
    """select.html with select_option.html for each option (and optgroups)."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            parts.append(f"\n  {_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _input_option(option: Context) -> str:
    """input_option.html (a radio or checkbox with its label around it), as included by
    radio_option.html or checkbox_option.html (one more newline)."""
    if not option["wrap_label"]:
        return _input(option) + "\n\n"
    option_id = option["attrs"].get("id")
    label_for = f' for="{_text(option_id)}"' if option_id else ""
    return f"<label{label_for}>{_input(option)} {_text(option['label'])}</label>\n\n"


def _multiple_input(widget: Context) -> str:
    """multiple_input.html (radio.html, checkbox_select.html), with their newlines."""
    attrs = widget["attrs"]
    parts = ["<div"]
    if attrs.get("id"):
        parts.append(f' id="{_text(attrs["id"])}"')
    if attrs.get("class"):
        parts.append(f' class="{_text(attrs["class"])}"')
    parts.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            parts.append(f"<div>\n    {_option(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>\n\n")
    return "".join(parts)


def _japanese_date(widget: Context) -> str:
    """citizens/widgets/japanese_date.html: era select, year, month and day boxes, each
    with its label."""
    parts = ['<div class="date-input">']
    for label, part in widget["parts"]:
        parts.append(
            '\n<div class="date-input__item"><label class="date-input__label" '
            f'for="{_text(part["attrs"].get("id", ""))}">{_text(label)}</label>\n'
            f"{_subwidget(part)}</div>"
        )
    parts.append("\n</div>\n")
    return "".join(parts)


# Django's widget templates that only include input.html.
_INPUTS = ("text", "email", "number", "password", "hidden", "url", "search", "tel")

DRAWN: dict[str, Callable[[Context], str]] = {
    **{f"{WIDGETS}{name}.html": _text_input for name in _INPUTS},
    f"{WIDGETS}input.html": _input,
    f"{WIDGETS}select.html": _select,
    f"{WIDGETS}radio.html": _multiple_input,
    f"{WIDGETS}checkbox_select.html": _multiple_input,
    DATE_OF_BIRTH: _japanese_date,
}
_OPTIONS: dict[str, Callable[[Context], str]] = {
    f"{WIDGETS}select_option.html": _select_option,
    f"{WIDGETS}radio_option.html": _input_option,
    f"{WIDGETS}checkbox_option.html": _input_option,
}


def _option(option: Context) -> str:
    draw = _OPTIONS.get(option["template_name"])
    if draw is None:  # a widget with an option template of its own
        return _fallback.get_template(option["template_name"]).render({"widget": option})
    return draw(option)


def _subwidget(widget: Context) -> str:
    draw = DRAWN.get(widget["template_name"])
    if draw is None:
        return _fallback.get_template(widget["template_name"]).render({"widget": widget})
    return draw(widget)


class FastWidgetRenderer(DjangoTemplates):
    """Django's default form renderer, with the common widgets drawn in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        draw = DRAWN.get(template_name)
        if draw is None or "widget" not in context:
            return super().render(template_name, context, request=request)
        return draw(context["widget"]).strip()


# Option and sub-widget templates this module does not draw, rendered as an include
# would render them (not stripped).
_fallback = DjangoTemplates()
