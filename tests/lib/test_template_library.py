"""The built-in filters print exactly what Django's `date` filter prints, only faster; the
hand-written `<select>` shows the choices and the chosen one."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django import forms
from django.template import engines
from django.utils import timezone, translation

from clinic.accounts.roles import Role
from tests.conftest import make_user

PAIRS = [
    ('{{ v|date:"j M Y" }}', "{{ v|day }}"),
    ('{{ v|date:"j M Y H:i" }}', "{{ v|day_time }}"),
    ('{{ v|date:"j M Y H:i:s" }}', '{{ v|day_time:"s" }}'),
    ('{{ v|date:"c" }}', "{{ v|iso }}"),
]
UTC = dt.UTC
MOMENTS = [
    dt.datetime(2026, 1, 5, 9, 7, 3, tzinfo=UTC),
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night clocks go forward in Europe
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # and back
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def render(source: str, value: object) -> str:
    return engines["django"].from_string(source).render({"v": value})


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Australia/Sydney"])
@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_date_filters_print_what_django_prints_in_every_zone_and_language(zone, language, moment):
    with timezone.override(zoneinfo.ZoneInfo(zone)), translation.override(language):
        for django_form, ours in PAIRS:
            assert render(ours, moment) == render(django_form, moment)


@pytest.mark.parametrize("day", [dt.date(2026, 1, 5), dt.date(2024, 2, 29), dt.date(1950, 12, 31)])
def test_a_date_prints_as_the_date_filter_prints_it(day):
    with translation.override("de"):
        assert render("{{ v|day }}", day) == render('{{ v|date:"j M Y" }}', day)
        assert render("{{ v|iso }}", day) == day.isoformat()
        assert render("{{ v|day_time }}", day) == render('{{ v|date:"j M Y" }}', day)


@pytest.mark.parametrize("empty", [None, "", "not a date"])
def test_nothing_to_print_prints_nothing(empty):
    assert render("{{ v|day }}|{{ v|day_time }}|{{ v|iso }}", empty) == "||"


class Filters(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any"), ("a", "Active")])
    person = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="code", empty_label="Anyone"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from clinic.accounts.models import User

        self.fields["person"].queryset = User.objects.order_by("username")  # type: ignore[attr-defined]


def select(form: forms.Form, name: str) -> str:
    source = '{% include "includes/select.html" with field=f %}'
    return engines["django"].from_string(source).render({"f": form[name]})


@pytest.mark.django_db
def test_the_select_marks_the_chosen_person_and_offers_everyone():
    chosen = make_user(Role.CLINICIAN, username="b.chosen", first_name="Bea", last_name="Chosen")
    make_user(Role.CLINICIAN, username="a.other", first_name="Al", last_name="Other")
    html = select(Filters({"person": str(chosen.code)}), "person")
    assert f'<option value="{chosen.code}" selected>Bea Chosen</option>' in html
    assert ">Al Other</option>" in html and '<option value="" >' not in html
    assert html.count(" selected") == 1
    assert '<option value="">Anyone</option>' in html


def test_the_select_marks_the_empty_choice_when_nothing_is_chosen_and_escapes_labels():
    class Odd(forms.Form):
        kind = forms.ChoiceField(choices=[("", "Any"), ("x", "<b>bold</b>")])

    html = select(Odd(), "kind")
    assert '<option value="" selected>Any</option>' in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert 'name="kind" id="id_kind"' in html


def test_row_url_gives_each_row_the_address_reverse_gives_it():
    import uuid

    from django.urls import reverse

    source = (
        "{% for patient, entry in rows %}"
        "{% row_url 'patients:medication-edit' code=patient entry=entry %};{% endfor %}"
    )
    rows = [(uuid.uuid4(), uuid.uuid4()) for _ in range(3)] + [(uuid.UUID(int=2), uuid.UUID(int=1))]
    html = engines["django"].from_string(source).render({"rows": rows})
    expected = [
        reverse("patients:medication-edit", kwargs={"code": p, "entry": e}) for p, e in rows
    ]
    assert html.split(";")[:-1] == expected


def test_row_url_refuses_a_value_that_is_not_a_code():
    source = "{% row_url 'patients:patient-detail' code=value %}"
    with pytest.raises(ValueError):
        engines["django"].from_string(source).render({"value": "../admin"})


def test_row_url_follows_the_script_prefix_the_app_is_served_under():
    import uuid

    from django.urls import reverse, set_script_prefix

    code = uuid.uuid4()
    source = "{% row_url 'patients:patient-detail' code=code %}"
    template = engines["django"].from_string(source)
    at_root = template.render({"code": code})
    set_script_prefix("/clinic/")
    try:
        under_prefix = template.render({"code": code})
        expected = reverse("patients:patient-detail", kwargs={"code": code})
    finally:
        set_script_prefix("/")
    assert at_root == f"/patients/{code}/"
    assert under_prefix == expected == f"/clinic/patients/{code}/"


class _Inputs(forms.Form):
    """A field of every kind the filter forms write with `input_tag`, and some they do not."""

    words = forms.CharField(required=False, max_length=20)
    needed = forms.CharField(help_text="Say it twice.")
    code = forms.UUIDField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(required=False, min_value=0)
    wanted = forms.BooleanField(required=False)
    shy = forms.CharField(required=False, disabled=True, initial="x")
    search = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": 'A "b"'})
    )
    notes = forms.CharField(required=False, widget=forms.Textarea)  # not an <input>
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), ("a", "A")])


INPUT_CASES = [
    None,  # unbound
    {},  # bound, nothing sent: `needed` is missing
    {
        "words": '<b>"O\'Neil" & co</b>',
        "needed": "yes",
        "code": "not-a-code",
        "day": "2026-02-30",
        "count": "-3",
        "wanted": "on",
        "search": "x' onfocus='alert(1)",
        "notes": "<script>",
        "kind": "a",
    },
    {"needed": "y", "code": "9b2c1f0e-0000-4000-8000-000000000001", "day": "2026-03-29"},
]


@pytest.mark.parametrize("data", INPUT_CASES)
def test_input_tag_writes_what_django_writes_for_every_field(data):
    form = _Inputs(data)
    form.is_valid()
    template = engines["django"].from_string("{{ field|input_tag }}")
    for field in form:
        assert template.render({"field": field}) == str(field), field.name


@pytest.mark.django_db
def test_the_filter_forms_inputs_are_written_as_django_writes_them():
    from clinic.audit.forms import AuditFilterForm
    from clinic.reminders.forms import QueueFilterForm

    template = engines["django"].from_string("{{ field|input_tag }}")
    for form in (
        AuditFilterForm({"patient": "nope", "mrn": '"x"', "date_from": "2026-01-05"}),
        QueueFilterForm({"recipient": "<Ann>", "due_from": "yesterday", "due_to": "2026-01-05"}),
    ):
        form.is_valid()
        for field in form:
            assert template.render({"field": field}) == str(field), field.name
