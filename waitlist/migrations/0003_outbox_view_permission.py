"""The administrator role sees the waitlist mail outbox in admin (numbers and outcomes only),
to find failed mails and queue them again."""

from django.db import migrations

CODENAME = "view_waitlistmail"


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("waitlist")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    administrator, _ = Group.objects.get_or_create(name="administrator")
    administrator.permissions.add(
        Permission.objects.get(content_type__app_label="waitlist", codename=CODENAME)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="administrator").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="waitlist", codename=CODENAME)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("waitlist", "0002_entry_voucher_number"),
        ("staff", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
