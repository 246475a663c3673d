"""Residents' personal data (個人情報), kept apart from the booking machinery.

Only what the health centre needs to match a booking against the resident registry is
collected. Screening results are never stored here (they would be 要配慮個人情報).
"""

from datetime import date

from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from citizens.normalize import furigana_key, normalise_furigana


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class Citizen(models.Model):
    """The person named on one reservation.

    One row per reservation rather than one per person: the data is deleted with the
    reservation when its purpose has passed, and a resident who corrects their address on
    a new booking does not silently rewrite an old one.
    """

    name = models.CharField(_("name"), max_length=60)  # 氏名
    furigana = models.CharField(_("furigana"), max_length=60)  # フリガナ, full-width katakana
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    postal_code = models.CharField(_("postal code"), max_length=7)  # 7 digits, no hyphen
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self) -> str:
        # Never the name: __str__ ends up in logs, admin history and error reports.
        return f"{self._meta.verbose_name} #{self.pk}"

    @property
    def person_key(self) -> str:
        return person_key(self.furigana, self.birth_date)

    @property
    def person_keys(self) -> list[str]:
        return person_keys(self.furigana, self.birth_date)


def person_identity(furigana: str, birth_date: date) -> str:
    """フリガナ + 生年月日 as one readable string: what person_key hashes. Never stored."""
    return f"{furigana_key(furigana)}|{birth_date.isoformat()}"


def person_key(furigana: str, birth_date: date) -> str:
    """Who a person is, for the one-booking-per-screening-per-year rule: a keyed hash of
    フリガナ + 生年月日 (64 hex digits).

    ReservationItem.person_key holds it, and so do its unique constraint and index, and the
    database's error messages that quote them (a unique violation prints the key into the
    PostgreSQL server log): none holds a readable name or date of birth. When the booking
    is purged, the same value is kept as ScreeningHistory.person_hash.
    """
    return person_hash(person_identity(furigana, birth_date))


def legacy_person_identity(furigana: str, birth_date: date) -> str:
    """The readable key as it was stored before reservations 0005: 「・」 was kept.

    Still needed to recognise screening history written before then (its hashes cannot
    be recomputed: the names behind them were purged), and bookings the new folding made
    into one person's second booking (see that migration). Remove it, with
    `person_keys`' second key, once no such row can be left: after the longest screening
    interval plus RESERVATION_RETENTION_DAYS.
    """
    return f"{normalise_furigana(furigana).replace(' ', '')}|{birth_date.isoformat()}"


def person_keys(furigana: str, birth_date: date) -> list[str]:
    """The keys a person's earlier bookings and history may be stored under: person_key,
    and the key of the folding before reservations 0005 when that differs (フリガナ with
    「・」)."""
    keys = [person_key(furigana, birth_date)]
    legacy = person_hash(legacy_person_identity(furigana, birth_date))
    return keys if legacy in keys else [*keys, legacy]


def person_hash(identity: str) -> str:
    """A keyed hash of a readable identity: recognises the same person again, does not
    say who.

    Keyed with SECRET_KEY (salted_hmac), so the hashes cannot be reversed by hashing every
    name and birthday without the key. Rotating SECRET_KEY makes every stored hash
    unrecognisable: live bookings must then be re-keyed (`manage.py rekey_persons`), and
    the interval rule forgets the screenings kept as history (see docs/staff.md).
    """
    return salted_hmac("kenshin.citizens.person_hash", identity, algorithm="sha256").hexdigest()
