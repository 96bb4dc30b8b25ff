"""How the console draws things: pure functions from plain data to what a page shows (no Django)."""
