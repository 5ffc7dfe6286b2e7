"""Shared pytest wiring: fixtures live in tests/fixtures/, one module per real peer."""
pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.vcsim",
    "tests.fixtures.fuelsim",
    "tests.fixtures.slack",
    "tests.fixtures.stack",
]
