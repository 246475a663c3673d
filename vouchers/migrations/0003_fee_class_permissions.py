"""The administrator role configures fee classes in admin (vouchers.FeeClass)."""

from django.db import migrations

ACTIONS = ["add", "change", "delete", "view"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("vouchers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    administrator, _ = Group.objects.get_or_create(name="administrator")
    for action in ACTIONS:
        administrator.permissions.add(
            Permission.objects.get(
                content_type__app_label="vouchers", codename=f"{action}_feeclass"
            )
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="administrator").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="vouchers",
                codename__in=[f"{action}_feeclass" for action in ACTIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0002_fee_class"),
        ("staff", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
