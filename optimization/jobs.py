"""The optimizer on a schedule: every minute (by default) the scheduler asks which restaurants' slots are
due; each due slot runs once, on a worker."""

import dramatiq
from dramatiq_crontab import interval

from assignments.conf import events_settings


# Read once, when this module is imported: the scheduler's interval is fixed for the process (restart to change it).
@interval(seconds=events_settings.SCHEDULE_SECONDS["optimizer"])
@dramatiq.actor(queue_name="maintenance", max_retries=0, time_limit=60_000)
def start_due_optimizer_runs() -> None:
    from optimization.scheduling import optimizer_runs_start_due

    optimizer_runs_start_due()


@dramatiq.actor(queue_name="maintenance", max_retries=0, time_limit=600_000)
def run_optimizer(run_id: int) -> None:
    from optimization.scheduling import optimizer_run_execute

    optimizer_run_execute(run_id=run_id)
