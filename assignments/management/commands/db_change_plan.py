"""The DB change plan's dry run: what `migrate` would do to this database, as an artifact to review.

Writes artifacts/db-diff.txt (or --out): the unapplied migrations in order, whether each can be undone,
their SQL, and the commands to back up before and to roll back after. Run it against staging (a restored
copy of production) before the release; docs/operations/db-change-plan.md has the whole procedure.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assignments.management.base import MaitreCommand, writable_path


class Command(MaitreCommand):
    help = "Write the SQL of the unapplied migrations and the backup/rollback plan to artifacts/db-diff.txt."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            default=str(settings.BASE_DIR / "artifacts" / "db-diff.txt"),
            help="file to write the plan to",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to plan for")

    def handle(self, *args, out, database, **options):
        if database not in connections:
            raise CommandError(f"--database: no database {database!r}; known: {', '.join(connections)}")
        path = writable_path(out)
        connection = connections[database]
        executor = MigrationExecutor(connection)
        graph = executor.loader.graph
        plan = executor.migration_plan(graph.leaf_nodes())
        applied = executor.loader.applied_migrations
        lines = [
            "# Maitre DB change plan (dry run)",
            f"# database: {connection.vendor} {connection.settings_dict.get('NAME')}",
            f"# written: {timezone.now():%Y-%m-%d %H:%M:%S %Z}",
            "",
        ]
        if not plan:
            lines.append("No unapplied migrations: `migrate` has nothing to do.")
        else:
            lines += ["## 1. Plan (in this order)", ""]
            irreversible = []
            for migration, _backwards in plan:
                ops_ok = all(op.reversible for op in migration.operations)
                if not ops_ok:
                    irreversible.append(migration)
                lines.append(
                    f"- {migration.app_label}.{migration.name}  "
                    f"[{'reversible' if ops_ok else 'IRREVERSIBLE: restore the backup to undo'}]"
                )
                for op in migration.operations:
                    lines.append(f"    - {op.describe()}")
            lines += [
                "",
                "## 2. Before: back up",
                "",
                'pg_dump --format=custom --file=maitre-$(date -u +%Y%m%dT%H%M%SZ).dump "$DATABASE_URL"',
                "(or note a PITR restore point: SELECT pg_create_restore_point('before-release');)",
                "",
                "## 3. Rollback: stop the workers and the scheduler; with THIS release still installed (it has the",
                "##    migrations to undo) run the following, then deploy the previous release",
                "",
            ]
            lines.append(
                "python manage.py db_rollback_cleanup   # hand pending deliveries back (see the doc)"
            )
            for app, target in self._rollback_targets(plan, applied, graph):
                lines.append(f"python manage.py migrate {app} {target}")
            if irreversible:
                lines.append(
                    "# irreversible: "
                    + ", ".join(f"{m.app_label}.{m.name}" for m in irreversible)
                    + " -> restore the backup instead"
                )
            lines += ["", "## 4. SQL, migration by migration", ""]
            for migration, backwards in plan:
                lines.append(f"-- {migration.app_label}.{migration.name}")
                sql = executor.loader.collect_sql([(migration, backwards)])
                lines += sql or ["-- (no SQL)"]
                lines.append("")
        try:
            path.write_text("\n".join(lines) + "\n")
        except OSError as exc:
            raise CommandError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
        self.stdout.write(f"{len(plan)} unapplied migration(s); plan written to {path}")

    @staticmethod
    def _rollback_targets(plan, applied, graph):
        """Per app, the migration to go back to: its newest applied one, or zero."""
        apps = []
        for migration, _ in plan:
            if migration.app_label not in apps:
                apps.append(migration.app_label)
        targets = []
        for app in reversed(apps):  # dependents first
            done = [key for key in applied if key[0] == app]
            leaf = max(done, key=lambda key: len(graph.forwards_plan(key))) if done else None
            targets.append((app, leaf[1] if leaf else "zero"))
        return targets
