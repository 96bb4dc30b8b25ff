"""Write services: every change to the database goes through a function here or assignments.lifecycle."""
