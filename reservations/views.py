from django.shortcuts import render

from reservations.models import ScreeningType


def home(request):
    """Placeholder top page (issue #3 builds the resident's journey)."""
    return render(
        request,
        "reservations/home.html",
        {"screenings": ScreeningType.objects.filter(is_active=True)},
    )
