"""tests/plugin: the pytest plugin and the connect-lab-emulator command, as a user of the
installed wheel meets them. ``example/`` is that user's suite: it runs only through the
wheel (test_wheel.py) or pytester, never as part of this suite."""

collect_ignore = ["example"]
