"""The platform's one page layout, shared by the sign-in and onboarding pages."""

from __future__ import annotations

from typing import Any

from flask import render_template_string

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Connect Lab Rentals</title>
<style>
 body { font: 15px/1.5 system-ui, sans-serif; max-width: 640px; margin: 40px auto; color: #222; }
 a.button, button { display: inline-block; background: #635bff; color: #fff; padding: 9px 16px;
            border-radius: 4px; text-decoration: none; font-weight: 600; margin: 6px 0;
            border: 0; font-size: 15px; cursor: pointer; }
 a.secondary { background: #fff; color: #635bff; border: 1px solid #635bff; }
 td, th { padding: 4px 10px 4px 0; text-align: left; }
 label { display: block; margin: 8px 0 2px; }
</style></head><body>
<h1>{{ title }}</h1>
{{ body | safe }}
</body></html>"""


def page(title: str, body: str, status: int = 200, **values: Any) -> Any:
    """``body`` (a Jinja template, autoescaped) inside the layout."""
    inner = render_template_string(body, **values)
    return render_template_string(PAGE, title=title, body=inner), status
