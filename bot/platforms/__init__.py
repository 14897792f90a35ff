"""Chat platforms as plug-ins: ``base`` (the ``Platform`` protocol and the registry), the terminal,
and one folder per platform."""
