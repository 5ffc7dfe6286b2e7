"""Shared pytest wiring: fixtures live in tests/fixtures/, one module per real peer."""
pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.vcenter_simulator",
    "tests.fixtures.fuel_simulator",
    "tests.fixtures.slack",
    "tests.fixtures.stack",
]
