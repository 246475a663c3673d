"""core.form_renderer draws the common widgets in Python: every widget of the residents'
forms must come out byte for byte as Django's own widget templates draw it, in both
languages, empty, filled in and with errors."""

from datetime import date, timedelta

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import timezone, translation

from citizens.forms import JapaneseDateWidget
from core.form_renderer import FastWidgetRenderer
from reservations.forms import AvailabilityFilterForm, CitizenDetailsForm, LookupForm
from reservations.time_forms import ExtrasForm
from tests.factories import ScreeningTypeFactory, SlotFactory, local_dt

TEMPLATES = DjangoTemplates()
FAST = FastWidgetRenderer()

TRICKY = {
    "name": 'O\'Brien <b>"&"</b>',
    "furigana": "やまだ はなこ",
    "birth_date_era": "S",
    "birth_date_year": "45<",
    "birth_date_month": "13",
    "birth_date_day": "",
    "sex": "X",
    "postal_code": "352-0001",
    "address": "新座市野火止1-2-3 & 4",
    "phone": "",
    "email": "a@b",
    "email_confirm": "c@d",
}


def drawn_both_ways(form):
    """Each field's widget as (Django's templates, this renderer)."""
    pairs = []
    for name in form.fields:
        form.renderer = TEMPLATES
        expected = str(form[name])
        form.renderer = FAST
        pairs.append((name, expected, str(form[name])))
    return pairs


def assert_same(form):
    for name, expected, drawn in drawn_both_ways(form):
        assert drawn == expected, name


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: CitizenDetailsForm(),
        lambda: CitizenDetailsForm(TRICKY),
        lambda: CitizenDetailsForm(require_email=True),
        lambda: CitizenDetailsForm(
            initial={"birth_date": date(1970, 5, 1), "sex": "F", "name": "山田 花子"}
        ),
        lambda: LookupForm(),
        lambda: LookupForm({"number": "<1234>", "birth_date_year": "x"}),
        lambda: AvailabilityFilterForm(
            {"venue": "2", "month": "2027-13"},
            venues=[(1, "市民会館"), (2, "Hall & <Co>")],
            months=[("2027-01", "2027年1月"), ("2027-02", "2027年2月")],
        ),
        lambda: AvailabilityFilterForm(
            initial={"month": "2027-02"}, venues=[(1, "市民会館")], months=[("2027-02", "2月")]
        ),
    ],
)
def test_the_residents_forms_are_drawn_as_djangos_templates_draw_them(make, language):
    with translation.override(language):
        form = make()
        if form.is_bound:
            form.is_valid()  # errors add aria-invalid and aria-describedby
        assert_same(form)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_radio_groups_of_extra_screenings_are_drawn_as_djangos_templates_draw_them(language):
    day = timezone.localdate() + timedelta(days=14)
    stomach = ScreeningTypeFactory(code="stomach", name="胃がん検診", name_en="")
    slots = [SlotFactory(screening_type=stomach, starts_at=local_dt(day, h)) for h in (9, 10)]
    with translation.override(language):
        assert_same(ExtrasForm(candidates={stomach: slots}, initial_ids=[slots[1].pk]))
        bound = ExtrasForm({f"extra_{stomach.pk}": "999"}, candidates={stomach: slots})
        bound.is_valid()
        assert_same(bound)


def test_widgets_it_does_not_draw_go_to_djangos_templates():
    class Choose(forms.Form):
        when = forms.DateField(widget=forms.SelectDateWidget)
        note = forms.CharField(widget=forms.Textarea)
        ok = forms.BooleanField(widget=forms.CheckboxInput)

    assert_same(Choose({"when_year": "2026", "note": "<x>"}))


def test_a_date_of_birth_with_a_sub_widget_of_its_own_template_is_still_whole():
    class Custom(forms.TextInput):
        template_name = "django/forms/widgets/textarea.html"

    widget = JapaneseDateWidget()
    widget.widgets[3] = Custom()
    expected = widget.render("born", None, {"id": "id_born"}, renderer=TEMPLATES)
    assert widget.render("born", None, {"id": "id_born"}, renderer=FAST) == expected
    assert "<textarea" in expected


def test_the_site_draws_its_widgets_with_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "core.form_renderer.FastWidgetRenderer"
    assert isinstance(get_default_renderer(), FastWidgetRenderer)
