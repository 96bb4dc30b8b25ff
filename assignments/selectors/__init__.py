"""Read-only queries shaped for a screen (the admin's queue, the assign form, the day's timeline)."""
