"""Every log line carries the correlation id of the booking's trip through the pipeline (or '-')."""

import logging


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = "-"
        return True
