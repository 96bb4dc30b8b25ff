"""A fresh install starts in the rollout state MAITRE_ROLLOUT_INITIAL_MODE names: shadow in production
(the base settings' default), the engine in development and tests; an existing install keeps its switches."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from waffle.models import Switch

from assignments import flags
from assignments.flags import PipelineMode

pytestmark = pytest.mark.django_db

migration = importlib.import_module("assignments.migrations.0003_rollout_switches")


def _fresh_install(settings, mode: str | None) -> PipelineMode:
    Switch.objects.filter(name__in=(flags.PIPELINE_V3, flags.SHADOW_MODE, flags.KILL_SWITCH)).delete()
    if mode is None:
        del settings.MAITRE_ROLLOUT_INITIAL_MODE
    else:
        settings.MAITRE_ROLLOUT_INITIAL_MODE = mode
    migration.create(apps, None)
    cache.clear()  # waffle caches switches
    flags.forget_mode()
    return flags.pipeline_mode()


def test_production_default_is_shadow(settings):
    from config.settings import base

    assert base.MAITRE_ROLLOUT_INITIAL_MODE == "shadow"  # unless the environment says otherwise
    assert _fresh_install(settings, "shadow") == PipelineMode.SHADOW
    assert not Switch.objects.get(name=flags.KILL_SWITCH).active


def test_engine_and_legacy_when_asked(settings):
    assert _fresh_install(settings, "engine") == PipelineMode.ENGINE
    assert _fresh_install(settings, "legacy") == PipelineMode.LEGACY


def test_an_existing_install_keeps_its_switches(settings):
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=True)
    settings.MAITRE_ROLLOUT_INITIAL_MODE = "shadow"
    migration.create(apps, None)
    cache.clear()
    flags.forget_mode()
    assert flags.pipeline_mode() == PipelineMode.LEGACY and Switch.objects.get(name=flags.KILL_SWITCH).active
