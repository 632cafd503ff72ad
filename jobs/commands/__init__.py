"""Command modules: each registers its commands on `jobs.cli.app` when imported.

`jobs.cli` imports every module of this package at start-up, so a module here must not import
anything slow (pandas, statsmodels, prophet, matplotlib) at its top level.
"""
