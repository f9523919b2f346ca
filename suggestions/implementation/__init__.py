"""大家干: adoption of excellent ideas and their implementation (workflow, desk, reminders)."""
