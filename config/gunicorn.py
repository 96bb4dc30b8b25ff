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
    """In the arbiter, where Django is not set up: drop the dead worker's live gauges and heartbeat now (the
    scrape would drop them anyway once the heartbeat is stale)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from config.metrics import forget_process

        forget_process(worker.pid, os.environ["PROMETHEUS_MULTIPROC_DIR"])
