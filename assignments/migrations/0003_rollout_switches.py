"""The rollout switches: the v3 pipeline on, shadow mode and the kill switch off."""

from django.db import migrations

SWITCHES = {
    "assignment_pipeline_v3": (True, "Gates the event-driven assignment pipeline; off means the legacy first-fit assigner."),
    "assignment_shadow_mode": (False, "Legacy assigner confirms; the new engine's choice is recorded as 'shadow' attempts."),
    "assignment_kill_switch": (False, "Diverts at once to the legacy assigner, whatever the other switches say."),
}


def create(apps, schema_editor):
    Switch = apps.get_model("waffle", "Switch")
    for name, (active, note) in SWITCHES.items():
        Switch.objects.get_or_create(name=name, defaults={"active": active, "note": note})


def remove(apps, schema_editor):
    apps.get_model("waffle", "Switch").objects.filter(name__in=SWITCHES).delete()


class Migration(migrations.Migration):
    dependencies = [("assignments", "0002_allocation_exclusion"), ("waffle", "0004_update_everyone_nullbooleanfield")]

    operations = [migrations.RunPython(create, remove)]
