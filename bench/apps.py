from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Registers the benchmark commands (bench_engine, loadtest, ...); no models."""

    name = "bench"
    verbose_name = "Benchmarks (development only)"
