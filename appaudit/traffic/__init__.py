"""The traffic half: capturing what the app sends (mitmproxy addon and its supervisor), finding personal
information in it, and attributing each destination.

mitmproxy is imported only by ``addon.py`` and ``replay.py`` here (``supervisor.py`` runs ``mitmdump``
as a process), and by ``appaudit/policy/sources.py``, which reads policy pages out of a capture.
"""
