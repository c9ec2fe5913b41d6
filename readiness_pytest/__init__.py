"""The readiness suite's pytest plugin (entry point ``pytest11``): its command-line options.

Kept out of ``readiness/`` because the engine never imports pytest.
"""
