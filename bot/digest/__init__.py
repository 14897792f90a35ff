"""Digests: which stories a chat gets and in what order, their platform-neutral layout, outlet
labels and instant alerts."""
