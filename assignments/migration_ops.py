"""Migration operations that exist only on PostgreSQL (and are no-ops elsewhere), reversibly."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs only when the database is PostgreSQL, forwards and backwards."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
