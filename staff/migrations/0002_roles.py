"""The two staff roles as groups, with the admin permissions each one needs.

administrator: venues, screening types and slots (add/change/view); reservations
(view/change: cancel on a resident's behalf); the reserved screenings and mails inside a
reservation and the resident's details behind it (view); staff accounts (view) and the
reset of a lost second factor.
health_centre: no admin permissions at all. Its pages (phone desk, export batches) are
under /staff/ and check the group itself.
"""

from django.db import migrations

ADMINISTRATOR_PERMISSIONS = [
    ("reservations", "venue", ["add", "change", "view"]),
    ("reservations", "screeningtype", ["add", "change", "view"]),
    ("reservations", "slot", ["add", "change", "view"]),
    ("reservations", "reservation", ["view", "change"]),
    ("reservations", "reservationitem", ["view"]),
    ("reservations", "notification", ["view"]),
    ("citizens", "citizen", ["view"]),
    ("auth", "user", ["view"]),
]
CUSTOM_PERMISSIONS = [("staff", "reset_second_factor")]


def _ensure_permissions(apps):
    """Permissions are normally created after all migrations; these are needed now."""
    from django.contrib.auth.management import create_permissions

    for label in ("reservations", "citizens", "auth", "staff"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    _ensure_permissions(apps)

    administrator, _ = Group.objects.get_or_create(name="administrator")
    wanted = [
        (app_label, f"{action}_{model}")
        for app_label, model, actions in ADMINISTRATOR_PERMISSIONS
        for action in actions
    ] + CUSTOM_PERMISSIONS
    for app_label, codename in wanted:
        administrator.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    Group.objects.get_or_create(name="health_centre")


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["administrator", "health_centre"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_staff_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reservations", "0002_seed_screening_types"),
        ("citizens", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
