"""Bind every feature file; the scenarios are the acceptance documents QA reads."""

from pytest_bdd import scenarios

scenarios(".")  # relative to bdd_features_base_dir (features/)
