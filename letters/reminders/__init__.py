"""Reminders before 2 November: subscriptions, the yearly schedule, and the fan-out."""
