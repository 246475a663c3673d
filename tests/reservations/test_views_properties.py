"""Property-based: whatever arrives at a resident's endpoint, the answer is never a 500.

Hypothesis throws arbitrary form data (text of any length and alphabet, missing fields,
wrong field names, huge values, NUL characters) at every POST endpoint and garbage at the
GET ones; every answer must be below 500, and nothing must be booked by accident.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reservations.models import Reservation
from reservations.tokens import BookingState, new_form_token, sign_manage_token
from tests.reservations.test_views import PERSON, Scene

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELDS = [
    *PERSON,
    "form_token",
    "state",
    "token",
    "slot",
    "choice",
    "confirm",
    "month",
    "number",
    "change",
    "extra_1",
    "slot_1",
    "venue",
]
texts = st.one_of(
    st.text(max_size=50),
    st.text(alphabet="0123456789-_:.", max_size=30),
    st.just("x" * 100_000),
    st.just("\x00"),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
form_data = st.dictionaries(st.sampled_from(FIELDS), texts, max_size=len(FIELDS))

POST_URLS = [
    "/book/{slot}/",
    "/book/extras/",
    "/book/edit/",
    "/book/choose/",
    "/book/confirm/",
    "/lookup/",
    "/lookup/booking/",
    "/lookup/cancel/",
    "/lookup/move/",
    "/lookup/move/times/",
]


@pytest.fixture
def scene():
    return Scene()


@pytest.fixture
def valid_tokens(scene):
    """Real signed state and tokens, so that property tests also reach deeper branches."""
    from reservations import services
    from tests.factories import details

    reservation = services.reservation_create(
        slots=[scene.lung_hall], details=details()
    ).reservation
    state = BookingState(
        new_form_token(),
        [scene.lung_slot.pk],
        BookingState.pack_details(details(furigana="テスト タロウ")),
    ).dumps()
    return {"state": state, "token": sign_manage_token(reservation.number)}


@pytest.mark.parametrize("url", POST_URLS)
@given(data=form_data, use_real_tokens=st.booleans())
@PROPERTY
def test_any_post_gets_an_answer_below_500(scene, valid_tokens, url, data, use_real_tokens):
    client = Client(raise_request_exception=True)
    if use_real_tokens:
        data = {**data, **{k: v for k, v in valid_tokens.items() if k not in data}}
    before = Reservation.objects.count()
    response = client.post(url.format(slot=scene.lung_slot.pk), data)
    assert response.status_code < 500
    if url != "/book/confirm/":
        assert Reservation.objects.count() == before


@given(
    path=st.sampled_from(["/screenings/lung/", "/en/screenings/lung/", "/", "/lookup/"]),
    query=st.dictionaries(
        st.sampled_from(["venue", "month", "page", "x"]), st.text(max_size=30), max_size=3
    ),
)
@PROPERTY
def test_any_query_string_gets_an_answer_below_500(scene, path, query):
    client = Client(raise_request_exception=True)
    assert client.get(path, query).status_code < 500


@given(
    segment=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
)
@PROPERTY
def test_any_done_token_or_slot_path_gets_an_answer_below_500(scene, segment):
    from urllib.parse import quote

    client = Client(raise_request_exception=True)
    assert client.get(f"/book/done/{quote(segment, safe='')}/").status_code < 500
    assert client.get(f"/book/{quote(segment, safe='')}/").status_code < 500


def test_huge_slot_id_in_the_path_is_404(client, scene):
    assert client.get("/book/" + "9" * 40 + "/").status_code == 404
