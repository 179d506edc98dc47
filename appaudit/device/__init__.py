"""The device half: driving an app on an emulator (or the simulated device) and recording what a user sees.

``driver.py`` is the small interface every device implements; ``adb.py`` is the real one,
``simulated.py`` the one tests and the demo use. Everything above the driver (``ui/``, the runs,
the policy search) is shared and runs unchanged against both.
"""
