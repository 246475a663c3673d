from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """Names and numbers every page may show (the health centre's phone above all)."""
    return {
        "CITY_NAME": settings.CITY_NAME,
        "HEALTH_CENTRE_NAME": settings.HEALTH_CENTRE_NAME,
        "HEALTH_CENTRE_PHONE": settings.HEALTH_CENTRE_PHONE,
    }
