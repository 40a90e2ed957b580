"""The form macros in templates/macros/forms.html: what each writes for a field."""

from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Form

from marketplace.date_input import DateInputError, DateInputField, parse_date_parts


class Home(Form):
    smoking_home = BooleanField(
        "Someone smokes in my home",
        description="We do not show carers who would rather work in homes where nobody smokes.",
    )
    remember = BooleanField("Remember me")


def _render(app, source: str, **context) -> str:
    with app.test_request_context("/"):
        template = app.jinja_env.from_string('{% import "macros/forms.html" as f %}' + source)
        return re.sub(r"\s+", " ", template.render(**context))


def test_a_checkbox_shows_its_hint_and_is_described_by_it(app):
    html = _render(app, "{{ f.checkbox(form.smoking_home) }}", form=Home())
    assert '<div class="hint choice-hint" id="smoking_home-hint">We do not show carers' in html
    assert re.search(
        r'<input [^>]*id="smoking_home"[^>]*aria-describedby="smoking_home-hint"', html
    )


def test_a_checkbox_without_a_hint_is_described_by_nothing(app):
    html = _render(app, "{{ f.checkbox(form.remember) }}", form=Home())
    assert "aria-describedby" not in html and "hint" not in html


def test_a_checkbox_error_is_shown_and_read_with_the_box(app):
    form = Home()
    form.smoking_home.errors = ["Say whether someone smokes"]
    html = _render(app, "{{ f.checkbox(form.smoking_home) }}", form=form)
    assert "form-group-error" in html
    assert '<p class="error-message" id="smoking_home-error">' in html
    assert 'aria-describedby="smoking_home-hint smoking_home-error"' in html


def test_the_profile_smoking_question_keeps_its_hint(make, login):
    user = make.user(roles=["person"])
    page = login(user).get("/profile").get_data(as_text=True)
    assert "We do not show carers who would rather work in homes where nobody smokes." in page
    assert re.search(r'id="smoking_home"[^>]*aria-describedby="smoking_home-hint"', page)


# -- dates: marketplace.date_input and the date_input macro ---------------------------------


class When(Form):
    start = DateInputField("When does it start?", "The first day.", what="The start date")
    ends = DateInputField("Last day (optional)", what="The last day", optional=True)


@pytest.mark.parametrize(
    ("typed", "message", "wrong"),
    [
        (("", "", ""), "Enter the start date", {"day", "month", "year"}),
        (("1", "", "2027"), "The start date must include a month", {"month"}),
        (("1", "", ""), "The start date must include a month and a year", {"month", "year"}),
        (("x", "3", "2027"), "The start date must be a real date, like 27 3 2027", {"day"}),
        (("31", "2", "2027"), "The start date must be a real date", {"day"}),
        (("1", "13", "2027"), "The start date must be a real date", {"month"}),
        (("1", "3", "27"), "The year must include 4 numbers", {"year"}),
    ],
)
def test_a_typed_date_says_what_is_wrong_and_which_boxes(typed, message, wrong):
    with pytest.raises(DateInputError, match=message) as raised:
        parse_date_parts(*typed, what="The start date")
    assert raised.value.parts == wrong


def test_a_date_in_three_boxes_with_spaces_is_read():
    assert parse_date_parts(" 27 ", "3", "2027 ") == date(2027, 3, 27)


def _posted(**boxes: str) -> When:
    return When(MultiDict(boxes))


def test_the_field_reads_its_own_boxes_and_an_optional_blank_date_is_none():
    form = _posted(start_day="27", start_month="3", start_year="2027")
    assert form.validate() and form.start.data == date(2027, 3, 27) and form.ends.data is None
    assert form.start.id == "start_day"  # the error summary links to the first box


def test_the_field_keeps_what_was_typed_and_marks_only_the_wrong_box(app):
    form = _posted(start_day="27", start_month="", start_year="2027", ends_day="31")
    assert not form.validate()
    assert form.start.errors == ["The start date must include a month"]
    assert form.ends.errors == ["The last day must include a month and a year"]
    html = _render(app, "{{ f.error_summary(form) }}{{ f.date_input(form.start) }}", form=form)
    assert '<a href="#start_day">The start date must include a month</a>' in html
    assert '<legend class="fieldset-legend legend-s">When does it start?</legend>' in html
    assert 'aria-describedby="start_day-hint start_day-error"' in html
    assert (
        '<div class="hint" id="start_day-hint">The first day. For example, 27 3 2027</div>' in html
    )
    assert 'class="input input-width-2 input-error" id="start_month" name="start_month"' in html
    assert 'class="input input-width-2" id="start_day" name="start_day"' in html
    assert 'id="start_year" name="start_year" type="text" inputmode="numeric" value="2027"' in html


def test_a_date_set_by_the_view_is_shown_in_the_boxes(app):
    form = When()
    form.start.data = date(2026, 4, 1)
    html = _render(app, "{{ f.date_input(form.start) }}", form=form)
    assert 'name="start_day" type="text" inputmode="numeric" value="1"' in html
    assert 'name="start_month" type="text" inputmode="numeric" value="4"' in html
    assert "error" not in html
    assert not When(MultiDict({})).validate()  # a required date, no boxes posted


def test_a_whole_date_problem_marks_every_box(app):
    form = _posted(start_day="1", start_month="1", start_year="2020")
    assert form.validate()
    form.start.fail("The start date must be in the future")
    html = _render(app, "{{ f.date_input(form.start) }}", form=form)
    assert html.count("input-error") == 3
