from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LotteryConfig(AppConfig):
    name = "lottery"
    verbose_name = _("Lottery rounds")
