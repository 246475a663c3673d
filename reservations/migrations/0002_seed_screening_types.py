"""The four screenings the city offers, with the national guideline's eligibility.

がん予防重点健康教育及びがん検診実施のための指針 (厚生労働省): stomach 50+ every two fiscal
years (X-ray may be offered 40+ yearly; change the row if the city does), lung 40+ yearly,
breast women 40+ every two years. 30代のからだチェック is the city's own check for 30–39.
Administrators adjust fees and rules in admin; this only gives a fresh install real data.
"""

from django.db import migrations

SCREENINGS = [
    {
        "code": "stomach",
        "name": "胃がん検診",
        "name_en": "Stomach cancer screening",
        "min_age": 50,
        "max_age": None,
        "sex": "",
        "interval_years": 2,
        "fee": 1000,
        "display_order": 10,
        "description": "胃部エックス線検査（バリウム）を行います。",
        "description_en": "Stomach X-ray with barium.",
        "what_to_bring": "受診票、健康保険証など本人確認書類、費用。前日の夜9時以降は食事をしないでください。",
        "what_to_bring_en": "Your screening form, health insurance card or other ID, and the fee. Do not eat after 9 p.m. the day before.",
    },
    {
        "code": "lung",
        "name": "肺がん検診",
        "name_en": "Lung cancer screening",
        "min_age": 40,
        "max_age": None,
        "sex": "",
        "interval_years": 1,
        "fee": 500,
        "display_order": 20,
        "description": "胸部エックス線検査を行います。",
        "description_en": "Chest X-ray.",
        "what_to_bring": "受診票、健康保険証など本人確認書類、費用。",
        "what_to_bring_en": "Your screening form, health insurance card or other ID, and the fee.",
    },
    {
        "code": "breast",
        "name": "乳がん検診",
        "name_en": "Breast cancer screening",
        "min_age": 40,
        "max_age": None,
        "sex": "F",
        "interval_years": 2,
        "fee": 1000,
        "display_order": 30,
        "description": "マンモグラフィ検査を行います。",
        "description_en": "Mammography.",
        "what_to_bring": "受診票、健康保険証など本人確認書類、費用。上下に分かれた服装でお越しください。",
        "what_to_bring_en": "Your screening form, health insurance card or other ID, and the fee. Please wear a separate top and bottom.",
    },
    {
        "code": "body30",
        "name": "30代のからだチェック",
        "name_en": "Health check for people in their 30s",
        "min_age": 30,
        "max_age": 39,
        "sex": "",
        "interval_years": 1,
        "fee": 500,
        "display_order": 40,
        "description": "身体計測、血圧測定、血液検査、尿検査を行います。",
        "description_en": "Body measurements, blood pressure, blood and urine tests.",
        "what_to_bring": "受診票、健康保険証など本人確認書類、費用。前日の夜9時以降は食事をしないでください。",
        "what_to_bring_en": "Your screening form, health insurance card or other ID, and the fee. Do not eat after 9 p.m. the day before.",
    },
]


def seed(apps, schema_editor):
    ScreeningType = apps.get_model("reservations", "ScreeningType")
    for row in SCREENINGS:
        ScreeningType.objects.update_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
