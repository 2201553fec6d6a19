"""The ``roisim`` command: click commands (``main``) and the progress line (``progress``)."""
