"""The running bot: the composition root (``container``), the ticks of ``digestbot run``
(``daemon``, ``jobs``, ``scheduler``), its housekeeping job and health endpoint."""
