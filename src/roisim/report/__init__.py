"""What a reader sees: number formatting (``numbers``) and the text report (``text``)."""
