"""The pipeline that does the I/O around the pure stages: the poller (fetch, classify, archive,
group into stories), the summaries, and the digest queue."""
