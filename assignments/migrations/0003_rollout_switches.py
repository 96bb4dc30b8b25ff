"""The rollout switches, created in the state MAITRE_ROLLOUT_INITIAL_MODE names (docs/operations/rollout.md):
`shadow` in production (the legacy assigner confirms, the engine's choice is recorded beside it, until the
shadow_report figures say to turn it on), `engine` in development, tests and the demo. Only a fresh install
runs this; an existing one keeps its switches as they are."""

from django.conf import settings
from django.db import migrations

INITIAL = {  # mode -> (pipeline_v3, shadow_mode); the kill switch always starts off
    "shadow": (False, True),
    "engine": (True, False),
    "legacy": (False, False),
}

SWITCHES = {  # name -> note
    "assignment_pipeline_v3": "Gates the event-driven assignment pipeline; off means the legacy first-fit assigner.",
    "assignment_shadow_mode": "Legacy assigner confirms; the new engine's choice is recorded as 'shadow' attempts.",
    "assignment_kill_switch": "Diverts at once to the legacy assigner, whatever the other switches say.",
}


def create(apps, schema_editor):
    Switch = apps.get_model("waffle", "Switch")
    pipeline_v3, shadow = INITIAL[getattr(settings, "MAITRE_ROLLOUT_INITIAL_MODE", "engine")]
    initial = {"assignment_pipeline_v3": pipeline_v3, "assignment_shadow_mode": shadow, "assignment_kill_switch": False}
    for name, note in SWITCHES.items():
        Switch.objects.get_or_create(name=name, defaults={"active": initial[name], "note": note})


def remove(apps, schema_editor):
    apps.get_model("waffle", "Switch").objects.filter(name__in=SWITCHES).delete()


class Migration(migrations.Migration):
    dependencies = [("assignments", "0002_allocation_exclusion"), ("waffle", "0004_update_everyone_nullbooleanfield")]

    operations = [migrations.RunPython(create, remove)]
