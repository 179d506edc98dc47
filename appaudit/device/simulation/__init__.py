"""The parts of the simulated device: scenario files, screens and hit-testing, timed network traffic."""
