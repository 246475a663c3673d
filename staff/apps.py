from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    default = True
    name = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from staff import third_party

        third_party.relabel()


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with kenshin's admin site as the default `admin.site`.

    Listed in INSTALLED_APPS instead of "django.contrib.admin", so every
    `@admin.register` in every app lands on a site that demands the second factor.
    """

    default = False
    default_site = "staff.sites.StaffAdminSite"
