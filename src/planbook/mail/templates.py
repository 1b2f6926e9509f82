"""The email templates (jinja2), rendered with every value a lead typed escaped or kept as text."""
from __future__ import annotations

from planbook.core.errors import TemplateError
from planbook.core.resources import TEMPLATES


def _env(html: bool):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "j2"]) if html else False, keep_trailing_newline=True)


def render_template(name: str, context: dict, html: bool) -> str:
    from jinja2 import TemplateError as JinjaError

    try:
        return _env(html).get_template(name).render(context)
    except JinjaError as exc:
        raise TemplateError(f"email template {name}: {exc}") from exc
