"""The Determination Rules catalog and the logic of each item (installed as ``appaudit.checks``)."""
