"""Declarative lab specs: the YAML a user writes, validated into frozen dataclasses."""
