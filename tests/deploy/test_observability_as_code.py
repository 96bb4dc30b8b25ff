"""Dashboards and alerts as code: every metric that the Grafana dashboard or the Prometheus rules name is
one the app exports, and the dashboard covers what operators asked for. (`promtool check rules` runs in
.ci/run and here when promtool is installed.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml
from django.conf import settings
from prometheus_client import REGISTRY

DEPLOY = settings.BASE_DIR / "deploy"
METRIC = re.compile(r"\b((?:maitre|django)_[a-z0-9_]+)\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
    "summary": ("_count", "_sum", "_created"),
    "info": ("_info",),
}


def dashboard_exprs() -> list[str]:
    dash = json.loads((DEPLOY / "grafana" / "maitre-dashboard.json").read_text())
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def rule_exprs() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


@pytest.fixture
def exported(db) -> set[str]:
    import config.metrics  # noqa: F401  (the process gauge)
    import webhooks.services  # noqa: F401

    names = set()
    for family in REGISTRY.collect():
        names.update(family.name + s for s in SUFFIXES.get(family.type, ("",)))
    return names


def test_every_metric_the_dashboard_and_the_rules_name_is_exported(exported):
    named = {m for expr in dashboard_exprs() + rule_exprs() for m in METRIC.findall(expr)}
    assert len(named) >= 20
    assert sorted(named - exported) == []


def test_the_dashboard_covers_the_seeds_four_and_the_deployment(exported):
    exprs = " ".join(dashboard_exprs())
    for needed in (
        "maitre_lock_contended_total",
        "maitre_booking_transition_seconds_bucket",
        "maitre_assignment_outcomes_total",
        'maitre_bookings_finished_total{state="manual_review"}',
        "maitre_oldest_due_age_seconds",
        "maitre_circuit_breaker_open",
        "maitre_outbox_oldest_unpublished_age_seconds",
        'consumer="webhook"',
    ):
        assert needed in exprs, needed
    alerts = {
        r["alert"]
        for g in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
        for r in g["rules"]
    }
    assert {
        "MaitreManualReviewRateSpike",
        "MaitreDueBacklogOld",
        "MaitreBreakerOpen",
        "MaitreOutboxLag",
        "MaitreWebhookFailures",
    } <= alerts


@pytest.mark.skipif(
    not shutil.which("promtool"), reason="promtool not installed (.ci/install-extras installs it)"
)
def test_promtool_accepts_the_rules_and_the_scrape_config():
    for args in (
        ["check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        ["check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
    ):
        r = subprocess.run(["promtool", *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
