"""Residents' personal data (個人情報), kept apart from the booking machinery.

Only what the health centre needs to match a booking against the resident registry is
collected. Screening results are never stored here (they would be 要配慮個人情報).
"""

from datetime import date

from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from citizens.normalize import furigana_key


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


def person_key(furigana: str, birth_date: date) -> str:
    """Who a person is, for the one-booking-per-screening-per-year rule: フリガナ + 生年月日."""
    return f"{furigana_key(furigana)}|{birth_date.isoformat()}"


def person_hash(person_key_value: str) -> str:
    """A keyed hash of person_key: recognises the same person again, does not say who.

    Keyed with SECRET_KEY (salted_hmac), so the list of hashes cannot be reversed by
    hashing every name and birthday without the key. Rotating SECRET_KEY makes old hashes
    unrecognisable (the interval rule then forgets past screenings; see README).
    """
    return salted_hmac(
        "kenshin.citizens.person_hash", person_key_value, algorithm="sha256"
    ).hexdigest()
