"""The readiness suite's pytest plugin (entry point ``pytest11``): its command-line options, and the targets
chosen by marker.

Kept out of ``readiness/`` because the engine never imports pytest.
"""
