"""web.choice_inputs writes what the choices macro's own Jinja loop wrote."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup
from wtforms import Form, RadioField, SelectMultipleField

# The loop that was in macros/forms.html before choice_inputs replaced it.
OLD_LOOP = """
{% for value, label in field.choices %}
  {% set input_id = field.id if loop.first else field.id ~ '-' ~ loop.index %}
  {% if kind == 'radio' %}
    {% set checked = field.data == value %}
  {% else %}
    {% set checked = field.data and value in field.data %}
  {% endif %}
  <div class="choice">
    <input class="choice-input" id="{{ input_id }}" name="{{ field.name }}" type="{{ kind }}" \
value="{{ value }}"{% if checked %} checked{% endif %}>
    <label class="choice-label" for="{{ input_id }}">{{ label }}</label>
  </div>
{% endfor %}"""

CHOICES = [
    ("a", "Apples & pears"),
    ("b<", 'Say "hi"'),
    ("c", Markup("<abbr>PEG</abbr> feeding")),
    ("d", "Dogs"),
]


class Pick(Form):
    one = RadioField("One", choices=CHOICES)
    many = SelectMultipleField("Many", choices=CHOICES)


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize(
    ("one", "many"), [(None, None), ("a", []), ("b<", ["c", "d"]), ("zz", ["a", "b<", "zz"])]
)
def test_choice_inputs_match_the_old_loop(app, one, many):
    from marketplace.web import choice_inputs

    form = Pick(data={"one": one, "many": many})
    template = app.jinja_env.from_string(OLD_LOOP)
    with app.test_request_context("/"):
        for field, kind in ((form.one, "radio"), (form.many, "checkbox")):
            new = str(choice_inputs(field, kind))
            old = template.render(field=field, kind=kind)
            assert _squash(new) == _squash(old)
            assert "&amp; pears" in new and "<abbr>PEG</abbr>" in new and "&#34;hi&#34;" in new
    # The same field and choices twice (the parts are kept per process): still right.
    again = Pick(data={"one": "d", "many": ["a"]})
    html = str(choice_inputs(again.one, "radio"))
    assert html.count(" checked") == 1 and 'value="d" checked' in html
