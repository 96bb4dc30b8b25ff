"""gunicorn hooks for the web process (`-c python:config.gunicorn`): each worker marks itself alive for
the metrics, and a dead worker's live gauges are dropped (prometheus_client multiprocess mode)."""

worker_class = (
    "uvicorn_worker.UvicornWorker"  # ASGI: the availability stream (SSE) holds no thread per client
)
graceful_timeout = 20
accesslog = "-"
max_requests = 5000
max_requests_jitter = 500


def post_worker_init(worker):
    from config.metrics import process_started

    process_started("web")


def child_exit(server, worker):
    """In the arbiter, where Django is not set up: drop the dead worker's live gauges."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
