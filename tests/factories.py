"""factory-boy factories: the one place test data is shaped."""

from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone

from citizens.models import Citizen
from reservations import services
from reservations.models import ScreeningType, Slot, Venue


def local_dt(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


class ScreeningTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningType
        django_get_or_create = ["code"]

    code = "lung"
    name = "肺がん検診"
    name_en = "Lung cancer screening"
    min_age = 40
    interval_years = 1
    fee = 500


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"会場{n}")
    name_en = factory.Sequence(lambda n: f"Venue {n}")
    address = "新座市野火止1-1-1"
    access = "駅から徒歩5分"


def health_centre(**overrides) -> Venue:
    """The city health centre, named and described in both languages."""
    values = {
        "name": "新座市保健センター",
        "name_en": "Niiza Health Centre",
        "access": "志木駅からバス10分",
        "access_en": "10 minutes by bus from Shiki Station",
    }
    return VenueFactory(**{**values, **overrides})


class SlotFactory(factory.django.DjangoModelFactory):
    """An open slot two weeks from now, 10 places, window open since yesterday."""

    class Meta:
        model = Slot

    venue = factory.SubFactory(VenueFactory)
    screening_type = factory.SubFactory(ScreeningTypeFactory)
    starts_at = factory.LazyFunction(
        lambda: local_dt(timezone.localdate() + timedelta(days=14), 9, 0)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=30))
    capacity = 10
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=1))


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    name = "山田 花子"
    furigana = factory.Sequence(lambda n: f"ヤマダ ハナコ{'ア' * (n % 5)}{n}")
    birth_date = date(1970, 5, 1)
    sex = "F"
    postal_code = "3520001"
    address = "新座市野火止1-2-3"
    phone = "048-481-0000"
    email = "hanako@example.jp"


def details(**overrides) -> services.CitizenDetails:
    """A resident's form input, already normalised; 56 years old, female, in the city."""
    values = {
        "name": "山田 花子",
        "furigana": "ヤマダ ハナコ",
        "birth_date": date(1970, 5, 1),
        "sex": "F",
        "postal_code": "3520001",
        "address": "新座市野火止1-2-3",
        "phone": "048-481-0000",
        "email": "hanako@example.jp",
    }
    values.update(overrides)
    return services.CitizenDetails(**values)
