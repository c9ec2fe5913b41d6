"""BBWS DynamoDB readiness: the contract, the verification engine and its report.

The engine never imports pytest; the features in ``features/`` ask it questions through ``steps/``.
"""

__version__ = "0.1.0"
