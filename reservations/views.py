"""The resident's journey (work in progress: see issue #3)."""

from django.http import HttpResponse
from django.shortcuts import render

from reservations.models import ScreeningType


def home(request):
    return render(
        request,
        "reservations/home.html",
        {"screenings": ScreeningType.objects.filter(is_active=True)},
    )


def _todo(request, *args, **kwargs):
    return HttpResponse("Not yet", status=501)


availability = book = book_extras = book_edit = book_choose = book_confirm = _todo
book_done = lookup = cancel = move = move_times = _todo
