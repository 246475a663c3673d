"""The details form: normalises what residents type and explains every refusal."""

import time
from datetime import date

import pytest
from django.core import signing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reservations.eligibility import CitizenDetails, Reason
from reservations.forms import (
    CitizenDetailsForm,
    LookupForm,
    add_eligibility_errors,
    error_summary,
)
from reservations.tokens import BookingState, new_form_token, read_manage_token, sign_manage_token

VALID = {
    "name": "山田　花子",
    "furigana": "やまだ はなこ",
    "birth_date_era": "S",
    "birth_date_year": "４５",
    "birth_date_month": "5",
    "birth_date_day": "1",
    "sex": "F",
    "postal_code": "３５２－０００１",
    "address": "新座市野火止1-2-3",
    "phone": "０４８（４８１）２２１１",
    "email": "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ",
    "email_confirm": "hanako@example.jp",
}


def form(**changes):
    return CitizenDetailsForm({**VALID, **changes})


def test_details_are_normalised_into_citizen_details():
    f = form()
    assert f.is_valid(), f.errors
    assert f.to_details() == CitizenDetails(
        name="山田 花子",
        furigana="ヤマダ ハナコ",
        birth_date=date(1970, 5, 1),
        sex="F",
        postal_code="3520001",
        address="新座市野火止1-2-3",
        phone="048-481-2211",
        email="hanako@example.jp",
    )


def test_to_details_refuses_an_invalid_form():
    with pytest.raises(ValueError):
        form(name="").to_details()


def test_half_width_kana_furigana_is_accepted():
    f = form(furigana="ﾔﾏﾀﾞ ﾊﾅｺ")
    assert f.is_valid(), f.errors
    assert f.cleaned_data["furigana"] == "ヤマダ ハナコ"


def test_furigana_in_kanji_or_latin_is_refused():
    for value in ("山田 花子", "Yamada Hanako"):
        f = form(furigana=value)
        assert not f.is_valid()
        assert "furigana" in f.errors


@pytest.mark.parametrize("code", ["3520001", "352-0001", "〒352-0001", "352 0001"])
def test_postal_code_with_or_without_hyphen(code):
    f = form(postal_code=code)
    assert f.is_valid(), f.errors
    assert f.cleaned_data["postal_code"] == "3520001"


def test_postal_code_outside_the_city_names_the_health_centre_phone(settings):
    settings.HEALTH_CENTRE_PHONE = "048-000-1234"
    f = form(postal_code="100-0001")
    assert not f.is_valid()
    message = f.errors["postal_code"][0]
    assert "048-000-1234" in message
    assert "100-0001" in message


def test_empty_city_postal_code_list_accepts_any_code(settings):
    settings.CITY_POSTAL_CODES = []
    assert form(postal_code="100-0001").is_valid()


@pytest.mark.parametrize("code", ["35200011", "abc", "352-00a1", "12-34567"])
def test_malformed_postal_codes_are_refused(code):
    assert "postal_code" in form(postal_code=code).errors


def test_email_must_be_typed_the_same_twice():
    f = form(email_confirm="hanako@example.com")
    assert not f.is_valid()
    assert "email_confirm" in f.errors


def test_email_confirmation_ignores_case():
    assert form(email="Hanako@Example.jp", email_confirm="hanako@example.jp").is_valid()


def test_email_is_optional_for_residents_too():
    f = form(email="", email_confirm="")
    assert f.is_valid(), f.errors
    assert f.to_details().email == ""


def test_email_can_still_be_required_by_a_channel_that_needs_it():
    f = CitizenDetailsForm({**VALID, "email": "", "email_confirm": ""}, require_email=True)
    assert not f.is_valid()
    assert "email" in f.errors


def test_phone_desk_may_book_without_email():
    f = CitizenDetailsForm({**VALID, "email": "", "email_confirm": ""}, require_email=False)
    assert f.is_valid(), f.errors
    assert f.to_details().email == ""


def test_phone_desk_email_given_once_must_be_confirmed():
    f = CitizenDetailsForm({**VALID, "email_confirm": ""}, require_email=False)
    assert not f.is_valid()
    assert "email_confirm" in f.errors


@pytest.mark.parametrize("phone", ["12345", "048-481-22111111", "abc", "148-481-2211"])
def test_implausible_phone_numbers_are_refused(phone):
    assert "phone" in form(phone=phone).errors


@pytest.mark.parametrize(
    "phone",
    ["+81-48-481-2211", "+81 (0)48-481-2211", "＋８１－４８－４８１－２２１１", "0484812211"],
)
def test_international_and_full_width_phone_numbers_are_stored_in_the_domestic_form(phone):
    f = form(phone=phone)
    assert f.is_valid(), f.errors
    assert f.to_details().phone == "048-481-2211"


def test_a_foreign_phone_number_is_refused_in_words():
    from django.utils import translation

    with translation.override("ja"):
        assert form(phone="+44 20 7946 0958").errors["phone"] == [
            "電話番号は 048-481-2211 や 090-1234-5678 のように入力してください。"
        ]


@pytest.mark.parametrize("furigana", ["ヤマモト　ユウコ－", "ヤマモト ユウコ‐", "やまもと ゆうこ−"])
def test_a_dash_typed_for_the_long_vowel_mark_is_accepted_as_one(furigana):
    f = form(furigana=furigana)
    assert f.is_valid(), f.errors
    assert f.to_details().furigana == "ヤマモト ユウコー"


@pytest.mark.parametrize(
    "phone",
    ["0-9-0-1-2-3-4-5-6-7-8", "０９０ー１ー２ー３ー４ー５ー６ー７ー８", "(090)(1234)(5678)---"],
)
def test_a_valid_phone_number_always_fits_the_phone_column(phone):
    # A number typed with a hyphen between every digit is a valid number; stored as typed
    # it was 21 characters, and PostgreSQL refused it at the very last step (a 500).
    from citizens.models import Citizen

    f = form(phone=phone)
    assert f.is_valid(), f.errors
    stored = f.to_details().phone
    assert stored.replace("-", "") in ("09012345678",)
    assert len(stored) <= Citizen._meta.get_field("phone").max_length


def test_a_hundred_thousand_characters_get_a_message_not_a_crash():
    huge = "あ" * 100_000
    f = CitizenDetailsForm({key: huge for key in VALID})
    assert not f.is_valid()
    for name in ("name", "furigana", "postal_code", "address", "phone", "email"):
        assert name in f.errors, name


def test_control_characters_are_refused():
    assert "name" in form(name="山田\x00花子").errors
    assert "address" in form(address="新座市\x1b[31m").errors


@pytest.mark.parametrize("name", ["name", "furigana", "address", "phone", "email", "email_confirm"])
def test_a_nul_character_gets_one_clear_message_in_japanese(name):
    # Django's own Japanese for "Null characters are not allowed." says "enter some
    # characters", which is the opposite of the advice; and it came on top of ours.
    from django.utils import translation

    with translation.override("ja"):
        errors = form(**{name: VALID[name] + "\x00"}).errors.get(name, [])
        assert errors == ["この欄から特殊な文字を削除してください。"], errors


INVISIBLE = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\u3164"]


@pytest.mark.parametrize("name", ["name", "furigana", "address"])
@pytest.mark.parametrize("invisible", INVISIBLE)
def test_a_box_of_only_invisible_characters_is_refused_in_words(name, invisible):
    from django.utils import translation

    for language, message in (
        ("ja", "この欄には画面に表示されない文字しか入っていません。もう一度入力してください。"),
        ("en", "This box contains only characters that do not show on screen. Type it again."),
    ):
        with translation.override(language):
            errors = form(**{name: invisible * 3}).errors.get(name, [])
            assert errors == [message], (language, errors)
    # With spaces around it, the same.
    assert form(**{name: f" {invisible} \u3000"}).errors[name][0].startswith("この欄には")


def test_invisible_characters_are_dropped_from_what_is_otherwise_valid():
    f = form(
        name="\ufeff山田\u200b 花子\u2060",
        furigana="\u200bやまだ\u200c はなこ\ufeff",
        address="新座市\u200b野火止1-2-3\u00ad",
        postal_code="\ufeff352-0001",
        phone="048\u200b-481-2211",
        email="\ufeffhanako@example.jp",
        birth_date_year="\u200b45",
    )
    assert f.is_valid(), f.errors
    details = f.to_details()
    assert (details.name, details.furigana, details.address) == (
        "山田 花子",
        "ヤマダ ハナコ",
        "新座市野火止1-2-3",
    )
    assert (details.postal_code, details.phone, details.email) == (
        "3520001",
        "048-481-2211",
        "hanako@example.jp",
    )
    # The same person as without them, for the one-booking-per-year rule.
    assert details.person_key == form().to_details().person_key


@pytest.mark.parametrize("furigana", ["ー", "・", "ー・ー", "ー ー", "・ ・"])
def test_furigana_of_only_long_marks_or_dots_is_refused(furigana):
    from django.utils import translation

    with translation.override("ja"):
        assert form(furigana=furigana).errors["furigana"] == [
            "フリガナにはカタカナを1文字以上入力してください（例：ヤマダ ハナコ）。"
        ]
    with translation.override("en"):
        assert "at least one katakana letter" in form(furigana=furigana).errors["furigana"][0]
    assert form(furigana="ヤマダ ハナコー").is_valid()  # ー inside a name is fine


@pytest.mark.parametrize("field", ["name", "address"])
def test_name_or_address_of_only_symbols_is_refused(field):
    from django.utils import translation

    with translation.override("ja"):
        errors = form(**{field: "・ー。"}).errors[field]
    assert errors and "例：" in errors[0], errors


def test_error_summary_links_each_message_to_its_box():
    f = form(name="", birth_date_day="31", birth_date_month="2", sex="")
    assert not f.is_valid()
    anchors = [anchor for anchor, _message in error_summary(f)]
    assert anchors == ["id_name", "id_birth_date_3", "id_sex_0"]


def test_eligibility_reasons_are_shown_next_to_the_field_they_concern():
    f = form()
    assert f.is_valid()
    add_eligibility_errors(
        f,
        [
            Reason("too_young", "On 31 March 2027 you will be 38."),
            Reason("wrong_sex", "For women only."),
            Reason("already_booked", "You already have a booking."),
        ],
    )
    assert f.errors["birth_date"] == ["On 31 March 2027 you will be 38."]
    assert f.errors["sex"] == ["For women only."]
    assert f.non_field_errors() == ["You already have a booking."]


def test_initial_from_details_shows_them_again():
    details = form().to_details()
    f = CitizenDetailsForm(initial=CitizenDetailsForm.initial_from(details))
    html = f.as_div()
    assert "352-0001" in html and "ヤマダ ハナコ" in html and 'value="1970"' in html


@pytest.mark.parametrize(
    "number", ["1234-5678-9012", "123456789012", "１２３４－５６７８－９０１２", " 1234 5678 9012 "]
)
def test_lookup_accepts_numbers_with_hyphens_spaces_and_full_width(number):
    f = LookupForm(
        {
            "number": number,
            "birth_date_era": "AD",
            "birth_date_year": "1970",
            "birth_date_month": "5",
            "birth_date_day": "1",
        }
    )
    assert f.is_valid(), f.errors
    assert f.cleaned_data["number"] == "123456789012"


@pytest.mark.parametrize("number", ["12345678901", "1234567890123", "abcd-efgh-ijkl", ""])
def test_lookup_refuses_numbers_that_are_not_twelve_digits(number):
    f = LookupForm({"number": number, "birth_date_year": "1970"})
    assert not f.is_valid()
    assert "number" in f.errors


def test_booking_state_survives_the_round_trip_and_refuses_tampering():
    details = form().to_details()
    state = BookingState(new_form_token(), [3, 7], BookingState.pack_details(details))
    packed = state.dumps()
    again = BookingState.loads(packed)
    assert again.slot_ids == [3, 7]
    assert again.citizen_details() == details
    with pytest.raises(signing.BadSignature):
        BookingState.loads(packed[:-2] + ("A" if packed[-2] != "A" else "B") + packed[-1])
    with pytest.raises(signing.BadSignature):
        BookingState.loads("")


def test_booking_state_expires_after_a_day(monkeypatch):
    state = BookingState(new_form_token(), [1], {"name": "x"}).dumps()
    later = time.time() + 25 * 60 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(signing.SignatureExpired):
        BookingState.loads(state)


def test_manage_token_is_bound_to_its_salt():
    token = sign_manage_token("123456789012")
    assert read_manage_token(token) == "123456789012"
    other = signing.dumps({"n": "123456789012"}, salt="something-else")
    with pytest.raises(signing.BadSignature):
        read_manage_token(other)


field_names = [*VALID, "birth_date_era"]


@given(st.dictionaries(st.sampled_from(field_names), st.text(max_size=400)))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_any_input_gives_errors_not_exceptions(data):
    f = CitizenDetailsForm(data)
    if f.is_valid():
        details = f.to_details()
        assert len(details.name) <= 60 and len(details.furigana) <= 60
        assert len(details.postal_code) == 7
    else:
        assert error_summary(f)


@given(st.dictionaries(st.sampled_from(["number", *field_names]), st.text(max_size=60)))
def test_lookup_form_never_raises(data):
    LookupForm(data).is_valid()
