from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "キャンセル待ち"

    def ready(self) -> None:
        # Every place reservations.services frees is offered to the next in line, inside
        # the same transaction (reservations.freed_places).
        from reservations import freed_places
        from waitlist.listeners import offer_places_freed

        freed_places.register(offer_places_freed)
