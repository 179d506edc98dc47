"""The traffic half: capturing what the app sends (mitmproxy addon and its supervisor), finding personal
information in it, and attributing each destination.

mitmproxy is imported only by ``addon.py``, ``supervisor.py`` and ``replay.py``.
"""
