from django.conf import settings
from django.http import HttpRequest

from reservations.display import city_name, health_centre_name
from reservations.language import is_english


def site(request: HttpRequest) -> dict[str, str]:
    """Names and numbers every page may show (the health centre's phone above all).

    The names are in the page's language where one is configured (CITY_NAME_EN …), else
    Japanese, which templates mark lang="ja" with the `japanese` filter. TITLE_CITY_NAME is
    empty when an English page has no English name: a <title> cannot mark a language, so it
    leaves the Japanese out.
    """
    city = city_name()
    english_missing = is_english() and not settings.CITY_NAME_EN
    return {
        "CITY_NAME": city,
        "TITLE_CITY_NAME": "" if english_missing else city,
        "HEALTH_CENTRE_NAME": health_centre_name(),
        "HEALTH_CENTRE_PHONE": settings.HEALTH_CENTRE_PHONE,
    }
