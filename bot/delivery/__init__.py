"""Sending the outbox: the ``Channel`` protocol each platform implements, its errors, the pacing
that keeps every platform's flood limits, and the sender."""
