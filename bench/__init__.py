"""Benchmarks for vnsearch: each module prints medians of several runs, never pass/fail.

A package so that the scripts import each other as ``bench.common`` etc.: with the
``bench`` folder itself on ``sys.path``, ``bench/http.py`` would shadow the standard
library's ``http`` (and break ``urllib`` and ``http.client``).
"""
