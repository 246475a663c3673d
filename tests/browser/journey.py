"""Shared by the browser tests: the scene, the words on the buttons, axe."""

from datetime import timedelta

from django.utils import timezone

from reservations.models import ScreeningType
from tests.factories import SlotFactory, health_centre, local_dt
from tests.reservations.test_views import ensure_screenings

TEXT = {
    "ja": {
        "prefix": "",
        "continue": "次へ進む",
        "add_screening": "同じ日の検診を追加する",
        "book": "この内容で予約する",
        "lookup_link": "予約の確認・変更・取消",
        "find": "予約を確認する",
        "change": "日時を変更する",
        "move": "この日時に変更する",
        "cancel": "この予約を取り消す",
        "yes": "はい、取り消します",
        "done": "予約が完了しました",
        "moved": "予約を変更しました。",
        "cancelled": "予約を取り消しました",
        "problem": "入力内容に問題があります",
        "not_found": "一致する予約が見つかりません",
        # 昭和35年 in the era box: how most residents think of 1960.
        "dob": ("S", "35", "5", "1"),
    },
    "en": {
        "prefix": "/en",
        "continue": "Continue",
        "add_screening": "Add a screening on the same day",
        "book": "Confirm and book",
        "lookup_link": "Check, change or cancel a booking",
        "find": "Find my booking",
        "change": "Change the date or time",
        "move": "Move my booking",
        "cancel": "Cancel this booking",
        "yes": "Yes, cancel my booking",
        "done": "Your booking is complete",
        "moved": "Your booking has been moved.",
        "cancelled": "Your booking has been cancelled",
        "problem": "There is a problem",
        "not_found": "could not find a booking",
        "dob": ("AD", "1960", "5", "1"),
    },
}


class Place:
    """Lung 9:00 + stomach 9:30 at the health centre on one day, and again a week later."""

    def __init__(self):
        ensure_screenings()
        self.lung = ScreeningType.objects.get(code="lung")
        self.stomach = ScreeningType.objects.get(code="stomach")
        self.centre = health_centre()
        self.day = timezone.localdate() + timedelta(days=14)
        self.later = self.day + timedelta(days=7)
        self.lung_slot = self.slot(self.lung, self.day, 9, 0)
        self.stomach_slot = self.slot(self.stomach, self.day, 9, 30)
        self.lung_later = self.slot(self.lung, self.later, 9, 0)
        self.stomach_later = self.slot(self.stomach, self.later, 9, 30)

    def slot(self, screening, day, hour, minute):
        return SlotFactory(
            screening_type=screening, venue=self.centre, starts_at=local_dt(day, hour, minute)
        )


def check_accessible(page, where):
    """axe-core on the page as it is now: no violation of any rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{where}: {page.url}\n{results.generate_report()}"


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def fill_details(page, dob, **overrides):
    era, year, month, day = dob
    values = {
        "#id_name": "山田 花子",
        "#id_furigana": "やまだ はなこ",  # hiragana: normalised to katakana
        "#id_birth_date_1": year,
        "#id_birth_date_2": month,
        "#id_birth_date_3": day,
        "#id_postal_code": "３５２－０００１",  # full-width, as a phone IME types it
        "#id_address": "新座市野火止1-2-3",
        "#id_phone": "048-481-0000",
        "#id_email": "hanako@example.jp",
        "#id_email_confirm": "hanako@example.jp",
        **overrides,
    }
    page.select_option("#id_birth_date_0", era)
    for selector, value in values.items():
        page.fill(selector, value)
    page.check("#id_sex_0")  # 女性 / Female
