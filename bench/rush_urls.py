"""The two baselines bench_rush measures kenshin against, served by the same gunicorn
settings and Django middleware as the product (bench/rush_settings.py):

- `/` — a trivial view, HttpResponse("ok"): the ceiling of a Django page on this machine;
- `/minimal-book/` — the least a booking can be: one conditional UPDATE of a slot's
  counter and one INSERT, in one transaction (POST slot=<id>&n=<number>; 201 booked,
  409 full). The INSERT goes to a benchmark-only table, rush_seed.MINIMAL_TABLE, that
  bench_rush creates in its throwaway database.
"""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench.rush_seed import MINIMAL_TABLE
from reservations.models import Slot


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csrf_exempt
def minimal_book(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        slot_id = int(request.POST.get("slot", ""))
    except ValueError:
        return HttpResponse(status=400)
    person = request.POST.get("n", "")[:50]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Slot._meta.db_table} SET booked = booked + 1 "
            "WHERE id = %s AND booked < capacity",
            [slot_id],
        )
        if cursor.rowcount != 1:
            return HttpResponse("full", status=409)
        cursor.execute(
            f"INSERT INTO {MINIMAL_TABLE} (slot_id, person) VALUES (%s, %s)", [slot_id, person]
        )
    return HttpResponse("booked", status=201)


urlpatterns = [
    path("", ok),
    path("minimal-book/", minimal_book),
]
