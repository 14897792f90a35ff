"""The one OpenAI-compatible client (SDK set-up, errors), its outage back-off, and usage metering
with the daily token budget."""
