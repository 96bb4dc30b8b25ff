import pytest


@pytest.fixture
def allow_private_webhooks(settings):
    """Deliveries may go to this machine (the tests' local receivers); production refuses any address that
    is not public (webhooks.egress)."""
    settings.MAITRE_EVENTS = {**settings.MAITRE_EVENTS, "WEBHOOK_ALLOW_PRIVATE_HOSTS": True}
