"""No table can be allocated twice over overlapping time: a GiST exclusion constraint on Postgres."""

from django.db import migrations

from assignments.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("assignments", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE assignments_tableallocation ADD CONSTRAINT allocation_no_overlap "
                "EXCLUDE USING gist (table_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)"
            ),
            reverse_sql="ALTER TABLE assignments_tableallocation DROP CONSTRAINT allocation_no_overlap",
        ),
    ]
